// How the example apps read their environment: one variable at a time, each problem recorded,
// then one error that lists them all.

/** The environment variables an app reads, usually `process.env`. */
export type AppEnv = Readonly<Record<string, string | undefined>>;

/**
 * Reads one variable: its trimmed value through `parse`, or `fallback` when it is unset or empty.
 * A value `parse` rejects (returns `undefined` for) records the problem
 * `` `${name} ${rule} (got "${raw}")` `` and gives `fallback`; with `secret: true` the value is
 * left out of the problem (URLs and tokens may carry a password).
 */
export type ReadVariable = <T>(
  name: string,
  parse: (raw: string) => T | undefined,
  rule: string,
  fallback: T,
  options?: { readonly secret?: boolean },
) => T;

/** What {@link envReader} gives: reads, a place for other problems, and the final check. */
export interface EnvReader {
  /** Reads one variable, see {@link ReadVariable}. */
  readonly read: ReadVariable;
  /** Records a problem that no single variable shows (two values out of order, say). */
  readonly problem: (text: string) => void;
  /**
   * Throws when anything was recorded.
   *
   * @throws Error `Invalid configuration: <problem>; <problem>.`, every problem in the order
   *   recorded.
   */
  readonly assertValid: () => void;
}

/**
 * A reader of `env` that collects every problem before it throws, so that one start names all the
 * invalid variables at once.
 *
 * @param env - the environment, usually `process.env`.
 */
export function envReader(env: AppEnv): EnvReader {
  const problems: string[] = [];
  const read: ReadVariable = (name, parse, rule, fallback, { secret = false } = {}) => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return fallback;
    const value = parse(raw);
    // URLs may carry a password: never echo them.
    if (value === undefined) problems.push(`${name} ${rule}${secret ? '' : ` (got "${raw}")`}`);
    return value ?? fallback;
  };
  return {
    read,
    problem: (text) => {
      problems.push(text);
    },
    assertValid: () => {
      if (problems.length > 0) throw new Error(`Invalid configuration: ${problems.join('; ')}.`);
    },
  };
}

/**
 * A `parse` for {@link ReadVariable}: a decimal integer (digits only, no sign) from `min` to `max`
 * inclusive, else `undefined`.
 */
export function integerIn(min: number, max: number): (raw: string) => number | undefined {
  return (raw) => {
    const value = Number(raw);
    return /^\d+$/.test(raw) && value >= min && value <= max ? value : undefined;
  };
}

/**
 * A `parse` for {@link ReadVariable}: a URL whose protocol (with its colon, e.g. `'redis:'`) is one
 * of `protocols`, kept as written, else `undefined`.
 */
export function urlWith(protocols: readonly string[]): (raw: string) => string | undefined {
  return (raw) => {
    try {
      return protocols.includes(new URL(raw).protocol) ? raw : undefined;
    } catch {
      return undefined;
    }
  };
}
