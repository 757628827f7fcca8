import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { WsException } from '@nestjs/websockets';
import { SessionStore, StateBackendUnavailableError } from '@livegate/state';
import {
  AuthHttpException,
  AuthRedirectException,
  backendUnavailable,
  forbidden,
  notFound,
  unauthorized,
} from './auth.errors';
import { AuthService } from './auth.service';
import { AUTH_PAGE_KEY, type AuthPageOptions } from './decorators/auth.decorator';
import { authOf } from './decorators/current-user.decorator';
import { IS_PUBLIC_KEY } from './decorators/public.decorator';
import { POLICY_KEY } from './decorators/policy.decorator';
import { CLAIMS_KEY } from './decorators/require-claims.decorator';
import {
  PERMISSION_KEY,
  type PermissionRequirement,
} from './decorators/require-permission.decorator';
import { ROLES_KEY } from './decorators/roles.decorator';
import { ANONYMOUS } from './claims-principal';
import { hasClaims, PolicyEngine, type ClaimRequirement } from './policy-engine';
import { hasPermission } from './rbac';
import type { RequestAuth } from './request-auth';

/**
 * The global guard: reads `@Public`, `@Roles`, `@RequirePermission`, `@Policy`,
 * `@RequireClaims` and `@Auth` and decides. With auth enabled, a route without decorators needs an
 * authenticated principal. No or bad credentials: 401; not allowed: 403; a resource the caller
 * may not read: 404; the session store down: 503. On `@Auth` pages a denial is a 303 redirect.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly policies: PolicyEngine,
    private readonly sessions: SessionStore,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const meta = <T>(key: string) => this.reflector.getAllAndOverride<T | undefined>(key, targets);
    if (!this.auth.enabled || meta<boolean>(IS_PUBLIC_KEY)) {
      return true;
    }
    const page = meta<AuthPageOptions>(AUTH_PAGE_KEY);
    try {
      await this.decide(context, page, meta);
      return true;
    } catch (error) {
      if (page?.redirect && error instanceof AuthHttpException && error.getStatus() !== 503) {
        throw new AuthRedirectException(page.redirect);
      }
      if (context.getType() === 'ws' && error instanceof AuthHttpException) {
        throw new WsException(error.getResponse() as object);
      }
      throw error;
    }
  }

  private async decide(
    context: ExecutionContext,
    page: AuthPageOptions | undefined,
    meta: <T>(key: string) => T | undefined,
  ): Promise<void> {
    const auth = await this.resolve(context);
    if (auth.failure === 'backend_unavailable') {
      throw backendUnavailable();
    }
    const { principal, session } = auth;
    if (!principal.isAuthenticated) {
      throw unauthorized(
        auth.failure === 'invalid_credentials'
          ? 'The session is invalid or has expired'
          : undefined,
      );
    }
    const roles = meta<string[]>(ROLES_KEY);
    if (roles && roles.length > 0 && !roles.some((role) => principal.roles.includes(role))) {
      throw forbidden(`Requires one of the roles: ${roles.join(', ')}`);
    }
    const claims = [...(meta<ClaimRequirement[]>(CLAIMS_KEY) ?? []), ...(page?.claims ?? [])];
    if (claims.length > 0 && !hasClaims(principal, claims)) {
      throw forbidden('Missing a required claim');
    }
    for (const name of [meta<string>(POLICY_KEY), page?.policy]) {
      if (name && !(await this.policies.evaluate(name, principal, this.policyContext(context)))) {
        throw forbidden(`Denied by policy ${name}`);
      }
    }
    const permission = meta<PermissionRequirement>(PERMISSION_KEY);
    if (permission) {
      await this.checkPermission(context, permission, session);
    }
  }

  private async checkPermission(
    context: ExecutionContext,
    requirement: PermissionRequirement,
    session: RequestAuth['session'],
  ): Promise<void> {
    if (!session) {
      throw forbidden(`Requires the ${requirement.permission} permission`);
    }
    try {
      if (!requirement.resource) {
        if (!(await hasPermission(this.sessions, session, requirement.permission))) {
          throw forbidden(`Requires the ${requirement.permission} permission`);
        }
        return;
      }
      const resourceId = this.param(context, requirement.idParam ?? 'id');
      if (!resourceId) {
        throw forbidden(`Requires the ${requirement.permission} permission`);
      }
      const check = (permission: string) =>
        this.sessions.checkPermission(
          session.sessionId,
          requirement.resource!,
          resourceId,
          permission,
        );
      // Both questions at once: one round trip of latency on a remote store.
      const [readable, allowed] = await Promise.all([
        check('read'),
        requirement.permission === 'read' ? true : check(requirement.permission),
      ]);
      // Not even readable: do not reveal that it exists.
      if (!readable) {
        throw notFound();
      }
      if (!allowed) {
        throw forbidden(
          `Requires the ${requirement.permission} permission on this ${requirement.resource}`,
        );
      }
    } catch (error) {
      if (error instanceof StateBackendUnavailableError) {
        throw backendUnavailable();
      }
      if (error instanceof AuthHttpException) {
        throw error;
      }
      // An id the store rejects names nothing the caller may read.
      throw notFound();
    }
  }

  /** The auth state the middleware (or the handshake) attached, or resolved here for HTTP. */
  private async resolve(context: ExecutionContext): Promise<RequestAuth> {
    if (context.getType() === 'http') {
      return this.auth.resolveRequest(context.switchToHttp().getRequest());
    }
    // A socket that did not authenticate at the handshake is anonymous.
    return authOf(context) ?? { principal: ANONYMOUS, session: null, failure: null };
  }

  private param(context: ExecutionContext, name: string): string | undefined {
    if (context.getType() === 'ws') {
      const data = context.switchToWs().getData<Record<string, unknown> | undefined>();
      const value = data?.[name];
      return typeof value === 'string' ? value : undefined;
    }
    const params = context.switchToHttp().getRequest<{ params?: Record<string, string> }>().params;
    return params?.[name];
  }

  private policyContext(context: ExecutionContext) {
    if (context.getType() === 'ws') {
      return { client: context.switchToWs().getClient() };
    }
    const request = context.switchToHttp().getRequest<{ params?: Record<string, string> }>();
    return { request, params: request.params };
  }
}
