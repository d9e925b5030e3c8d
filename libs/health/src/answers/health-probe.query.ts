import { Transform, type TransformFnParams } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsOptional, IsString, Matches } from 'class-validator';
import { NAME_PATTERN, NAME_RULE } from '../options/option-rules';

/** Most names one request may `exclude`. */
export const MAX_EXCLUDED_CHECKS = 64;

const FLAG_RULE = 'must be true, false, 1, 0 or empty (the parameter alone means true)';
const EXCLUDE_RULE = `must be check names, at most ${MAX_EXCLUDED_CHECKS}; each ${NAME_RULE}`;

/** `?verbose`, `?verbose=true` and `?verbose=1` are true; `false` and `0` are false. */
function toFlag({ value }: TransformFnParams): unknown {
  if (value === '' || value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return value;
}

/** One `?exclude=a` is a list of one; repeated (`?exclude=a&exclude=b`) it is a list already. */
function toList({ value }: TransformFnParams): unknown {
  return typeof value === 'string' ? [value] : value;
}

/**
 * Query parameters of the probes (`/<path>/live`, `/ready`, `/startup`, `/group/:name`, their
 * per-check routes and the `/livez`-style aliases). Unknown parameters are ignored.
 */
export class HealthProbeQuery {
  /**
   * Answer in plain text, one line per check, as the Kubernetes API server answers
   * `/readyz?verbose`. Failure reasons only for callers the details policy admits.
   */
  @IsOptional()
  @Transform(toFlag)
  @IsBoolean({ message: FLAG_RULE })
  verbose?: boolean;

  /** Checks to leave out of this answer (repeatable); an unknown name adds a warning. */
  @IsOptional()
  @Transform(toList)
  @IsArray({ message: EXCLUDE_RULE })
  @ArrayMaxSize(MAX_EXCLUDED_CHECKS, { message: EXCLUDE_RULE })
  @IsString({ each: true, message: EXCLUDE_RULE })
  @Matches(NAME_PATTERN, { each: true, message: EXCLUDE_RULE })
  exclude?: string[];

  /**
   * Run the checks now (admitted callers only, rate-limited by `freshMinIntervalMs`); anybody
   * else is answered from the last results.
   */
  @IsOptional()
  @Transform(toFlag)
  @IsBoolean({ message: FLAG_RULE })
  fresh?: boolean;
}

/** Query parameters of `GET /<path>`. Unknown parameters are ignored. */
export class HealthDetailsQuery {
  /** As {@link HealthProbeQuery.fresh}, for every check. */
  @IsOptional()
  @Transform(toFlag)
  @IsBoolean({ message: FLAG_RULE })
  fresh?: boolean;
}
