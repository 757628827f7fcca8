/** Injection token of the options `LiveAuthModule.forRoot` was given. */
export const LIVE_AUTH_OPTIONS = Symbol('LIVE_AUTH_OPTIONS');
