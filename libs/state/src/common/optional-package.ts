import { StateConfigurationError } from '../state.errors';

/**
 * Loads a package only the chosen configuration needs (a driver, the OS keyring binding), so that
 * an app that does not choose it never loads it. A package that is not installed stops with a
 * `StateConfigurationError` naming it and what needs it; any other failure of the package (a
 * missing dependency of its own, a native module built for another Node) is rethrown as it is.
 */
export function loadOptionalPackage<T>(name: string, neededBy: string, install = name): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as T;
  } catch (error) {
    if (isMissing(error, name)) {
      throw new StateConfigurationError(
        `${neededBy} needs the ${name} package, which is not installed: npm install ${install}`,
        { cause: error },
      );
    }
    throw error;
  }
}

function isMissing(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    code === 'MODULE_NOT_FOUND' &&
    typeof message === 'string' &&
    // Only the package itself: a package that is there but misses one of its own dependencies
    // is a broken install, which the original error describes better.
    message.startsWith(`Cannot find module '${name}'`)
  );
}
