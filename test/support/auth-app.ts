import { Controller, Get, Header, Module, Param, type DynamicModule } from '@nestjs/common';
import {
  Auth,
  AuthModule,
  CurrentSession,
  CurrentUser,
  Policy,
  PolicyEngine,
  Public,
  RequireClaims,
  RequirePermission,
  Roles,
  type AuthModuleOptions,
  type ClaimsPrincipal,
} from '@livegate/auth';
import { StateModule, type StateModuleOptions, type UserSession } from '@livegate/state';

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
}

/** A test app: the given state backend, auth, and a route per decorator. */
export function authTestModule(
  auth: AuthModuleOptions,
  state: StateModuleOptions = { backend: 'memory' },
): DynamicModule {
  @Module({
    imports: [StateModule.forRoot(state), AuthModule.forRoot(auth)],
    controllers: [ProbeController],
  })
  class AuthTestModule {}
  return { module: AuthTestModule };
}
