import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Module,
  Param,
  Post,
  Req,
  Res,
  type DynamicModule,
} from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import {
  Auth,
  AuthModule,
  CurrentSession,
  CurrentUser,
  LoginSessions,
  Policy,
  PolicyEngine,
  Public,
  RequireClaims,
  RequirePermission,
  Roles,
  WidgetAccess,
  type AuthModuleOptions,
  type ClaimsPrincipal,
  type LoginInput,
} from '@livegate/auth';
import {
  createMemoryBackend,
  SessionStore,
  StateExceptionFilter,
  StateModule,
  type StateBackendFactory,
  type StateModuleOptions,
  type UserSession,
} from '@livegate/state';

/** How often each page handler ran: a denied request must never reach one. */
export const handlerRuns: Record<string, number> = {};
const ran = (name: string) => (handlerRuns[name] = (handlerRuns[name] ?? 0) + 1);

@Controller()
class ProbeController {
  constructor(policies: PolicyEngine) {
    policies
      .addPolicy('BetaOnly', { requiresClaim: ['tier', 'beta'] })
      .addPolicy('AdminOnly', { requiresClaim: ['role', 'admin'] })
      .addPolicy('Throws', () => {
        throw new Error('policy bug');
      })
      .addPolicy('Rejects', async () => Promise.reject(new Error('policy bug')));
  }

  @Public()
  @Get('public')
  publicRoute(@CurrentUser() user: ClaimsPrincipal) {
    return { authenticated: user.isAuthenticated };
  }

  @Get('me')
  me(@CurrentUser() user: ClaimsPrincipal, @CurrentSession() session: UserSession | null) {
    return { userId: user.userId, roles: user.roles, sessionId: session?.sessionId ?? null };
  }

  @Roles('admin')
  @Get('admin')
  admin() {
    return { ok: 'admin' };
  }

  @Roles('admin', 'editor')
  @Get('editors')
  editors() {
    return { ok: 'editors' };
  }

  @RequirePermission('write', { resource: 'widget' })
  @Get('widgets/:id/edit')
  edit(@Param('id') id: string) {
    return { edit: id };
  }

  @RequirePermission('read', { resource: 'widget', idParam: 'widgetId' })
  @Get('widgets/:widgetId/view')
  view(@Param('widgetId') id: string) {
    return { view: id };
  }

  @RequirePermission('export')
  @Get('export')
  exportData() {
    return { ok: 'export' };
  }

  @Policy('BetaOnly')
  @Get('beta')
  beta() {
    return { ok: 'beta' };
  }

  @Policy('NotDefined')
  @Get('missing-policy')
  missingPolicy() {
    return { ok: 'never' };
  }

  @Policy('Throws')
  @Get('throwing-policy')
  throwingPolicy() {
    return { ok: 'never' };
  }

  @Policy('Rejects')
  @Get('rejecting-policy')
  rejectingPolicy() {
    return { ok: 'never' };
  }

  @RequireClaims(['role', 'editor'])
  @Get('claims')
  claims() {
    return { ok: 'claims' };
  }

  @Auth({ policy: 'AdminOnly', redirect: '/login' })
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Get('page')
  page() {
    ran('page');
    return '<h1>Admin page</h1>';
  }

  @WidgetAccess()
  @Get('widget-pages/:id')
  widgetPage(@Param('id') id: string) {
    ran('widget');
    return { widget: id };
  }

  @WidgetAccess('widgetId')
  @Roles('editor')
  @Get('widget-editors/:widgetId')
  widgetEditors(@Param('widgetId') id: string) {
    return { widget: id };
  }
}

/** Login routes: every input straight from the request body, as a careless app would pass it. */
@Controller('session')
class LoginController {
  constructor(private readonly logins: LoginSessions) {}

  @Public()
  @HttpCode(200)
  @Post('login')
  async login(
    @Req() request: unknown,
    @Res({ passthrough: true }) reply: unknown,
    @Body() body: LoginInput,
  ) {
    const session = await this.logins.login(request, reply, body);
    return { sessionId: session.sessionId, roles: session.roles, expiresAt: session.expiresAt };
  }

  @HttpCode(200)
  @Post('rotate')
  async rotate(@Req() request: unknown, @Res({ passthrough: true }) reply: unknown) {
    const session = await this.logins.rotate(request, reply);
    return { sessionId: session?.sessionId ?? null, roles: session?.roles ?? null };
  }

  @Public()
  @HttpCode(200)
  @Post('logout')
  async logout(@Req() request: unknown, @Res({ passthrough: true }) reply: unknown) {
    return { deleted: await this.logins.logout(request, reply) };
  }
}

/** Calls of each `SessionStore` method, counted by the store itself. */
export type StoreCalls = Record<string, number>;

/**
 * The memory backend, its session store counting every call: proves from outside that a request
 * was refused before any store lookup.
 */
export function countingMemoryBackend(): { backend: StateBackendFactory; calls: StoreCalls } {
  const calls: StoreCalls = {};
  const backend: StateBackendFactory = async (options) => {
    const memory = await createMemoryBackend(options);
    const sessions = new Proxy(memory.sessions, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || typeof property !== 'string') {
          return value;
        }
        return (...args: unknown[]) => {
          calls[property] = (calls[property] ?? 0) + 1;
          return (value as (...inner: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as SessionStore;
    return { ...memory, name: 'counting-memory', sessions, close: () => memory.close() };
  };
  return { backend, calls };
}

/** Sum of the counted calls; zero after a request means it never reached the session store. */
export const totalCalls = (calls: StoreCalls): number =>
  Object.values(calls).reduce((sum, count) => sum + count, 0);

/** Forgets the counted calls. */
export function resetCalls(calls: StoreCalls): void {
  for (const key of Object.keys(calls)) {
    delete calls[key];
  }
}

/** A test app: the given state backend, auth, and a route per decorator. */
export function authTestModule(
  auth: AuthModuleOptions,
  state: StateModuleOptions = { backend: 'memory' },
): DynamicModule {
  @Module({
    imports: [StateModule.forRoot(state), AuthModule.forRoot(auth)],
    controllers: [ProbeController, LoginController],
    providers: [{ provide: APP_FILTER, useClass: StateExceptionFilter }],
  })
  class AuthTestModule {}
  return { module: AuthTestModule };
}
