/** The resolved auth options. Injectable. */
export const AUTH_OPTIONS = Symbol('livegate:auth-options');
/** The options given to `forRoot` / returned by the `forRootAsync` factory. */
export const AUTH_MODULE_OPTIONS = Symbol('livegate:auth-module-options');
