import type { LoginLimits } from './login-throttle';
import type { PasswordHasherOptions } from './password-hasher';

export const LOCAL_IDP_OPTIONS = Symbol('livegate:local-idp-options');

/** Options of the local identity provider (`LiveAuthModule.forRoot({ localIdp })`). */
export interface LocalIdpOptions {
  /** Sign-in attempts per account and per client address. Default `DEFAULT_LOGIN_LIMITS`. */
  limits?: LoginLimits;
  /** Argon2id parameters (OWASP's at least) and the number of hashes at once. */
  hashing?: PasswordHasherOptions;
  /**
   * The app's public origin (`https://app.example`). Default: the host each request was sent to,
   * which a page on another site cannot forge.
   */
  origin?: string;
}
