import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type * as Websockets from '@nestjs/websockets';
import {
  assertId,
  SessionStore,
  StateBackendUnavailableError,
  StateValidationError,
} from '@livegate/state';
import {
  AuthHttpException,
  AuthRedirectException,
  backendUnavailable,
  forbidden,
  invalidInput,
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
import {
  WIDGET_ACCESS_KEY,
  type WidgetAccessRequirement,
} from './decorators/widget-access.decorator';
import { ANONYMOUS } from './claims-principal';
import { hasClaims, PolicyEngine, type ClaimRequirement } from './policy-engine';
import { hasPermission } from './rbac';
import { setReplyHeader } from './reply-headers';
import { authStateOf, type AuthState } from './request-auth';

const ANONYMOUS_SOCKET: AuthState = Object.freeze({
  principal: ANONYMOUS,
  session: null,
  failure: null,
});

/** What a handler requires, read once per handler and controller from the decorators. */
interface AccessRequirements {
  isPublic: boolean;
  page: AuthPageOptions | undefined;
  roles: readonly string[];
  claims: readonly ClaimRequirement[];
  policies: readonly string[];
  permission: PermissionRequirement | undefined;
  /** `@WidgetAccess`, when `requireAuthForWidgets` makes it a requirement. */
  widget: WidgetAccessRequirement | undefined;
}

/**
 * The global guard: reads `@Public`, `@Roles`, `@RequirePermission`, `@Policy`,
 * `@RequireClaims`, `@WidgetAccess` and `@Auth` and decides. With auth enabled, a route without
 * decorators needs an authenticated principal. No or bad credentials: 401; not allowed: 403; a
 * resource the caller may not read: 404; the session store down: 503 (with `Retry-After` over
 * HTTP). On `@Auth` pages a denial is a 303 redirect. Roles and claims are decided without waiting
 * when the middleware has resolved the request.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  private readonly requirements = new WeakMap<object, WeakMap<object, AccessRequirements>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly policies: PolicyEngine,
    private readonly sessions: SessionStore,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (!this.auth.enabled) {
      return true;
    }
    const required = this.requirementsOf(context);
    if (required.isPublic) {
      return true;
    }
    const resolved = this.resolved(context);
    if (resolved && required.policies.length === 0 && !required.permission && !required.widget) {
      try {
        this.checkPrincipal(resolved, required);
        return true;
      } catch (error) {
        throw this.denial(error, context, required);
      }
    }
    return this.decide(context, required, resolved).then(
      () => true,
      (error: unknown) => {
        throw this.denial(error, context, required);
      },
    );
  }

  /**
   * A redirect on `@Auth` pages, a `WsException` on sockets, else the error as it is; a "try
   * later" answer over HTTP gets its `Retry-After` header here, whichever filter sends it.
   */
  private denial(error: unknown, context: ExecutionContext, required: AccessRequirements): unknown {
    if (
      error instanceof AuthHttpException &&
      error.retryAfterSeconds !== undefined &&
      context.getType() === 'http'
    ) {
      setReplyHeader(
        context.switchToHttp().getResponse(),
        'Retry-After',
        String(error.retryAfterSeconds),
      );
    }
    if (
      required.page?.redirect &&
      error instanceof AuthHttpException &&
      error.getStatus() !== 503
    ) {
      return new AuthRedirectException(required.page.redirect);
    }
    if (context.getType() === 'ws' && error instanceof AuthHttpException) {
      return wsException(error.getResponse() as object);
    }
    return error;
  }

  private requirementsOf(context: ExecutionContext): AccessRequirements {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byController = this.requirements.get(handler);
    let required = byController?.get(controller);
    if (required) {
      return required;
    }
    const targets = [handler, controller];
    const meta = <T>(key: string) => this.reflector.getAllAndOverride<T | undefined>(key, targets);
    const page = meta<AuthPageOptions>(AUTH_PAGE_KEY);
    const widget = meta<WidgetAccessRequirement>(WIDGET_ACCESS_KEY);
    const widgetsNeedAuth = this.auth.options.requireAuthForWidgets;
    required = {
      isPublic: meta<boolean>(IS_PUBLIC_KEY) === true,
      page,
      roles: meta<string[]>(ROLES_KEY) ?? [],
      claims: [...(meta<ClaimRequirement[]>(CLAIMS_KEY) ?? []), ...(page?.claims ?? [])],
      policies: [meta<string>(POLICY_KEY), page?.policy].filter(
        (name): name is string => typeof name === 'string' && name.length > 0,
      ),
      permission: meta<PermissionRequirement>(PERMISSION_KEY),
      widget: widget && widgetsNeedAuth ? widget : undefined,
    };
    // Without requireAuthForWidgets a widget route is open, unless it asks for more.
    required.isPublic ||=
      widget !== undefined &&
      !widgetsNeedAuth &&
      !page &&
      required.roles.length === 0 &&
      required.claims.length === 0 &&
      required.policies.length === 0 &&
      !required.permission;
    if (!byController) {
      byController = new WeakMap();
      this.requirements.set(handler, byController);
    }
    byController.set(controller, required);
    return required;
  }

  private async decide(
    context: ExecutionContext,
    required: AccessRequirements,
    resolved: AuthState | undefined,
  ): Promise<void> {
    const auth = resolved ?? (await this.resolve(context));
    this.checkPrincipal(auth, required);
    for (const name of required.policies) {
      if (!(await this.policies.evaluate(name, auth.principal, this.policyContext(context)))) {
        throw forbidden(`Denied by policy ${name}`);
      }
    }
    if (required.permission) {
      await this.checkPermission(context, required.permission, auth.session);
    }
    if (required.widget) {
      await this.checkWidget(context, required.widget, auth.session);
    }
  }

  /** Authentication, roles and claims: what needs no store call. */
  private checkPrincipal(auth: AuthState, required: AccessRequirements): void {
    if (auth.failure === 'backend_unavailable') {
      throw backendUnavailable();
    }
    const { principal } = auth;
    if (!principal.isAuthenticated) {
      throw unauthorized(
        auth.failure === 'invalid_credentials'
          ? 'The session is invalid or has expired'
          : undefined,
      );
    }
    const { roles } = required;
    if (roles.length > 0 && !roles.some((role) => principal.roles.includes(role))) {
      throw forbidden(`Requires one of the roles: ${roles.join(', ')}`);
    }
    if (required.claims.length > 0 && !hasClaims(principal, required.claims)) {
      throw forbidden('Missing a required claim');
    }
  }

  private async checkPermission(
    context: ExecutionContext,
    requirement: PermissionRequirement,
    session: AuthState['session'],
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

  /** A widget read: the session needs `read` on the widget, by role or by grant. */
  private async checkWidget(
    context: ExecutionContext,
    requirement: WidgetAccessRequirement,
    session: AuthState['session'],
  ): Promise<void> {
    if (!session) {
      throw unauthorized();
    }
    const widgetId = this.param(context, requirement.idParam);
    let readable: boolean;
    try {
      assertId('widgetId', widgetId);
      readable = await this.sessions.checkPermission(session.sessionId, 'widget', widgetId, 'read');
    } catch (error) {
      if (error instanceof StateValidationError) {
        throw invalidInput(error.message);
      }
      if (error instanceof StateBackendUnavailableError) {
        throw backendUnavailable();
      }
      throw notFound('No such widget');
    }
    if (!readable) {
      throw notFound('No such widget');
    }
  }

  /** The auth state the middleware (or the handshake) attached, without waiting; else undefined. */
  private resolved(context: ExecutionContext): AuthState | undefined {
    if (context.getType() === 'http') {
      return authStateOf(context.switchToHttp().getRequest());
    }
    // A socket that did not authenticate at the handshake is anonymous.
    return authOf(context) ?? ANONYMOUS_SOCKET;
  }

  /** The auth state of an HTTP request the middleware did not see, resolved now. */
  private resolve(context: ExecutionContext): Promise<AuthState> {
    return this.auth.resolveRequest(context.switchToHttp().getRequest());
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

/**
 * A `WsException` for a socket denial. `@nestjs/websockets` is loaded here, not at import: an
 * app without gateways need not install it, and one that reaches this has it loaded already.
 */
function wsException(response: object): Error {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { WsException } = require('@nestjs/websockets') as typeof Websockets;
  return new WsException(response);
}
