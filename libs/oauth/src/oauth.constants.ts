/** The resolved OAuth configuration (`ResolvedOAuth`). */
export const OAUTH_RESOLVED = Symbol('livegate:oauth-resolved');
/** The module options as given. */
export const OAUTH_MODULE_OPTIONS = Symbol('livegate:oauth-module-options');
