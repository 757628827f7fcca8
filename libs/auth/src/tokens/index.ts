export {
  MIN_SECRET_LENGTH,
  MAX_PREVIOUS_SECRETS,
  assertTokenSecret,
  type TokenSecrets,
} from './token-secrets';
export { TOKEN_VERSION, MAX_TOKEN_LENGTH, type TokenErrorCode } from './token-format';
export { MAX_SESSION_TOKEN_LIFETIME_SECONDS, MAX_WIDGET_TOKEN_TTL_SECONDS } from './token-purpose';
export { MAX_SUBJECT_LENGTH, CLOCK_SKEW_SECONDS } from './token-claims';
export {
  DEFAULT_SESSION_TOKEN_LIFETIME_MS,
  generateSessionToken,
  validateSessionToken,
  type SessionTokenValidation,
} from './session-token';
export {
  DEFAULT_WIDGET_TOKEN_TTL_SECONDS,
  generateWidgetToken,
  validateWidgetToken,
} from './widget-token';
