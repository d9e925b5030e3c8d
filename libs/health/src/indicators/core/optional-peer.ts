import { createRequire } from 'node:module';
import { MissingOptionalDependencyError } from '../../errors';

/** Resolves packages as the library's own files do (from the app's node_modules). */
const loadModule = createRequire(__filename);

/**
 * Loads an optional peer dependency when a built-in needs it, never before: the library's entry
 * point and its types never import one.
 *
 * @param packageName - e.g. `"amqplib"`.
 * @param feature - what needs it, for the message: `"rabbitmqIndicator() with a URL"`.
 * @returns the package's exports.
 * @throws MissingOptionalDependencyError when the package is not installed; any other error the
 *   package throws while loading, as it is.
 * @internal
 */
export function loadOptionalPeer<T>(packageName: string, feature: string): T {
  try {
    return loadModule(packageName) as T;
  } catch (error) {
    const record = error as { code?: unknown; message?: unknown } | null;
    const notFound =
      record?.code === 'MODULE_NOT_FOUND' &&
      typeof record.message === 'string' &&
      record.message.includes(`'${packageName}'`);
    if (notFound) throw new MissingOptionalDependencyError(packageName, feature);
    throw error;
  }
}
