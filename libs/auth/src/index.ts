export * from './auth.module';
export * from './auth.options';
export {
  AUTH_CONFIG,
  AUTH_ENV_VARIABLES,
  authEnvironment,
  resolveAuthOptions,
  sessionCookieName,
} from './auth.config';
export { AUTH_OPTIONS } from './auth.constants';
export * from './auth.errors';
export * from './auth.service';
export * from './auth.middleware';
export * from './auth-platform.hook';
export * from './access.guard';
export * from './auth-redirect.filter';
export * from './claims-principal';
export * from './policy-engine';
export * from './rbac';
export * from './request-auth';
export * from './socket-auth';
export * from './widget-access';
export * from './decorators/public.decorator';
export * from './decorators/roles.decorator';
export * from './decorators/require-permission.decorator';
export * from './decorators/policy.decorator';
export * from './decorators/require-claims.decorator';
export * from './decorators/auth.decorator';
export * from './decorators/current-user.decorator';
export * from './decorators/current-session.decorator';
export * from './tokens';
