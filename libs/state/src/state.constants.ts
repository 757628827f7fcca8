/** The options given to `forRoot` / returned by the `forRootAsync` factory. */
export const STATE_MODULE_OPTIONS = Symbol('livegate:state-module-options');
/** The resolved options (explicit, then environment, then defaults). Injectable. */
export const STATE_OPTIONS = Symbol('livegate:state-options');
/** The backend instance holding every store. */
export const STATE_BACKEND = Symbol('livegate:state-backend');
