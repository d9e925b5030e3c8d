import type { HealthIndicatorOrigin } from './health-indicator-origin';
import { HealthMessages } from './health.messages';
import type { OptionProblem } from '../options/validate-options';

/**
 * Base class of every error the module throws, so that callers can catch them as one kind.
 */
export class HealthModuleError extends Error {
  /** Always `'HealthModuleError'`, also where a minifier renames the class. */
  override name = 'HealthModuleError';
}

/**
 * Thrown at boot (by `forRoot`, or when `forRootAsync`'s factory resolves) when module options
 * are invalid. The message names every invalid option, the value given and what is allowed.
 */
export class InvalidHealthModuleOptionsError extends HealthModuleError {
  /** Always `'InvalidHealthModuleOptionsError'`, also where a minifier renames the class. */
  override name = 'InvalidHealthModuleOptionsError';
  /** One entry per invalid option. */
  readonly problems: readonly OptionProblem[];
  constructor(problems: readonly OptionProblem[]) {
    super(HealthMessages.invalidModuleOptions(problems));
    this.problems = problems;
  }
}

/**
 * Thrown at boot, or by `HealthRegistry.register`, when an indicator's options are invalid. The
 * message names the class (or registration), every invalid option, the value and what is
 * allowed.
 */
export class InvalidHealthIndicatorOptionsError extends HealthModuleError {
  /** Always `'InvalidHealthIndicatorOptionsError'`, also where a minifier renames the class. */
  override name = 'InvalidHealthIndicatorOptionsError';
  /** One entry per invalid option. */
  readonly problems: readonly OptionProblem[];
  constructor(source: string, problems: readonly OptionProblem[]) {
    super(HealthMessages.invalidIndicatorOptions(source, problems));
    this.problems = problems;
  }
}

/**
 * Thrown at boot when a class marked `@HealthIndicator()` has no `check` method.
 */
export class MissingHealthCheckMethodError extends HealthModuleError {
  /** Always `'MissingHealthCheckMethodError'`, also where a minifier renames the class. */
  override name = 'MissingHealthCheckMethodError';
  constructor(source: string) {
    super(HealthMessages.missingCheckMethod(source));
  }
}

/**
 * Thrown at boot, or by `HealthRegistry.register`, when two indicators share a name. The
 * message names both, with their modules, and says what to do: for two instances of one class
 * (the class provided in two modules), provide it in one module and export it; for two
 * indicators, give one of them another name.
 */
export class DuplicateHealthIndicatorError extends HealthModuleError {
  /** Always `'DuplicateHealthIndicatorError'`, also where a minifier renames the class. */
  override name = 'DuplicateHealthIndicatorError';
  /**
   * @param name - the name both have.
   * @param added - the indicator being registered.
   * @param existing - the indicator registered first.
   * @param sameClass - the class name when both are instances of one class.
   */
  constructor(
    name: string,
    added: HealthIndicatorOrigin,
    existing: HealthIndicatorOrigin,
    sameClass?: string,
  ) {
    super(HealthMessages.duplicateName(name, existing, added, sameClass));
  }
}

/**
 * Thrown at boot when an indicator is request-scoped or transient (or depends on a
 * request-scoped provider): background checks run outside any request.
 */
export class HealthIndicatorScopeError extends HealthModuleError {
  /** Always `'HealthIndicatorScopeError'`, also where a minifier renames the class. */
  override name = 'HealthIndicatorScopeError';
  constructor(source: string, scope: 'request-scoped' | 'transient') {
    super(HealthMessages.nonSingletonScope(source, scope));
  }
}

/**
 * Thrown when a built-in indicator needs an optional package that is not installed (for example
 * `rabbitmqIndicator('amqp://…')` without `amqplib`). The message names the package and the
 * command that installs it.
 */
export class MissingOptionalDependencyError extends HealthModuleError {
  /** Always `'MissingOptionalDependencyError'`, also where a minifier renames the class. */
  override name = 'MissingOptionalDependencyError';
  /** The package to install, e.g. `"amqplib"`. */
  readonly packageName: string;
  constructor(packageName: string, feature: string) {
    super(HealthMessages.missingOptionalDependency(packageName, feature));
    this.packageName = packageName;
  }
}

/**
 * Thrown at boot when an app holds `HealthModule.forRoot()` (or `forRootAsync()`) more than
 * once, say in the root module and in a feature module: each import makes a module of its own,
 * which would run every check, map every route and write every log line once more. The message
 * names the modules that import it. Import it once, in the root module: it is global by default
 * (`isGlobal: true`), so its providers can be injected in every module.
 *
 * A module that imports `forRoot()` once and is itself imported by several modules is one
 * module, and is not an error.
 */
export class HealthModuleImportedTwiceError extends HealthModuleError {
  override name = 'HealthModuleImportedTwiceError';
  /** The modules that import `HealthModule.forRoot()` / `forRootAsync()`, by class name. */
  readonly importers: readonly string[];
  /** How many `HealthModule` modules the app holds. */
  readonly count: number;
  constructor(importers: readonly string[], count: number) {
    super(HealthMessages.importedTwice(importers, count));
    this.importers = importers;
    this.count = count;
  }
}
