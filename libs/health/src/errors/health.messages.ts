import { formatOptionProblems, type OptionProblem } from '../options/validate-options';
import type { HealthIndicatorOrigin } from './health-indicator-origin';

/** `DatabaseHealth (in AppModule)`, or the source alone when no module is known. */
function describeOrigin(origin: HealthIndicatorOrigin): string {
  return origin.module === undefined ? origin.source : `${origin.source} (in ${origin.module})`;
}

/** @internal */
export const HealthMessages = {
  invalidModuleOptions: (problems: readonly OptionProblem[]) =>
    `Invalid HealthModule options:\n${formatOptionProblems(problems)}`,
  invalidIndicatorOptions: (source: string, problems: readonly OptionProblem[]) =>
    `Invalid health indicator options on ${source}:\n${formatOptionProblems(problems)}`,
  missingCheckMethod: (source: string) =>
    `${source} is marked @HealthIndicator() but has no check(context) method. ` +
    `Implement HealthIndicatorCheck: check() returns up(), degraded(message) or down(message).`,
  duplicateName: (
    name: string,
    first: HealthIndicatorOrigin,
    second: HealthIndicatorOrigin,
    sameClass: string | undefined,
  ) => {
    const both = `${describeOrigin(first)} and ${describeOrigin(second)}`;
    if (sameClass !== undefined && first.module !== undefined && second.module !== undefined) {
      const where =
        first.module === second.module
          ? `provided twice in ${first.module}`
          : 'provided in two modules';
      return (
        `Two health indicators are named "${name}": ${both}, two instances of one class ` +
        `${where}, which would run the same check twice. Provide ${sameClass} in one module ` +
        `and export it from there (import that module where ${sameClass} is injected), so ` +
        `that one instance runs. If both should run (two databases, say), give one of them ` +
        `another name: a subclass with @HealthIndicator({ name: '...' }).`
      );
    }
    if (sameClass !== undefined) {
      return (
        `Two health indicators are named "${name}": ${both}, two instances of one class, ` +
        `which would run the same check twice. Register one instance, or give the second ` +
        `another name with the name option of HealthRegistry.register.`
      );
    }
    return (
      `Two health indicators are named "${name}": ${both}. Give one of them another name ` +
      `with @HealthIndicator({ name: '...' }) (or the name option of HealthRegistry.register).`
    );
  },
  nonSingletonScope: (source: string, scope: string) =>
    `${source} is a ${scope} provider and cannot be a health indicator: the engine runs checks ` +
    `in the background, outside any request. Make it a singleton (the default scope) and ` +
    `inject what it needs through singleton providers.`,
  importedTwice: (importers: readonly string[], count: number) => {
    const by =
      importers.length >= 2
        ? `by ${importers.slice(0, -1).join(', by ')} and by ${importers[importers.length - 1]}`
        : importers.length === 1
          ? `${count} times by ${importers[0]}`
          : `${count} times`;
    return (
      `HealthModule.forRoot() is imported ${by}: import it once, in the root module ` +
      `(forRoot() and forRootAsync() count the same). Each import makes a module of its own, ` +
      `which would run every check, map every route and write every log line once more. ` +
      `HealthModule is global by default (isGlobal: true): inject HealthRegistry, ` +
      `HealthStateStore and its other providers in any module without importing it again.`
    );
  },
  notRegistered: (name: string) => `No health indicator is named "${name}".`,
  missingOptionalDependency: (packageName: string, feature: string) =>
    `${feature} needs the optional package "${packageName}", which is not installed. ` +
    `Install it: npm install ${packageName}`,
} as const;
