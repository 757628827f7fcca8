import {
  Body,
  Controller,
  Get,
  HttpCode,
  Module,
  Param,
  Post,
  Req,
  Res,
  UseFilters,
  type DynamicModule,
  type OnModuleInit,
} from '@nestjs/common';
import {
  AuthModule,
  CurrentUser,
  LoginSessions,
  PolicyEngine,
  Public,
  Roles,
  type AuthModuleOptions,
  type ClaimsPrincipal,
} from '@livegate/auth';
import {
  AuthActions,
  AuthRegions,
  LiveAuthGateway,
  LiveAuthModule,
  LivePages,
  type LiveAuthModuleOptions,
} from '@livegate/live-auth';
import { StateExceptionFilter, StateModule, type StateModuleOptions } from '@livegate/state';

/**
 * The live-auth test app: the local identity provider, live auth, a policy `AdminOnly`, the
 * regions `admin-panel` (AdminOnly) and `beta` (claim tier=beta), the pages `live` (any signed-in
 * user) and `admin` (AdminOnly), routes that call `AuthActions` for the caller and, for admins,
 * for a named user, and a room listing read through the socket.io adapter (every worker's
 * sockets).
 */
@UseFilters(StateExceptionFilter)
@Controller()
class LiveTestController implements OnModuleInit {
  constructor(
    private readonly actions: AuthActions,
    private readonly regions: AuthRegions,
    private readonly pages: LivePages,
    private readonly policies: PolicyEngine,
    private readonly gateway: LiveAuthGateway,
    private readonly logins: LoginSessions,
  ) {}

  onModuleInit(): void {
    this.policies.addPolicy('AdminOnly', { requiresClaim: ['role', 'admin'] });
    // An async policy that takes a while: its region shows "authorizing" first.
    this.policies.addPolicy('SlowAdmin', async (principal) => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      return principal.hasClaim('role', 'admin');
    });
    this.regions
      .define('admin-panel', {
        policy: 'AdminOnly',
        allowed: '<p>Admin content visible.</p>',
        denied: '<p>Admin content hidden.</p>',
      })
      .define('slow-panel', {
        policy: 'SlowAdmin',
        allowed: '<p>Slow admin content.</p>',
        denied: '<p>No slow admin content.</p>',
        authorizing: '<small>Checking permissions…</small>',
      })
      .define('beta', {
        claims: [['tier', 'beta']],
        allowed: '<p>Beta features.</p>',
        denied: '',
      });
    this.pages
      .define('live', { regions: ['admin-panel', 'beta'] })
      .define('admin', { policy: 'AdminOnly', regions: ['admin-panel'] })
      .define('slow', { regions: ['slow-panel'] });
  }

  @Public()
  @Get('health')
  health() {
    return { status: 'ok', worker: process.env.LIVEGATE_DEPLOY__WORKER_ID ?? 'test' };
  }

  @Get('me')
  me(@CurrentUser() user: ClaimsPrincipal) {
    return { user_id: user.userId, roles: user.roles, claims: user.claims };
  }

  @Post('actions/grant')
  @HttpCode(200)
  async grant(
    @CurrentUser() user: ClaimsPrincipal,
    @Req() request: unknown,
    @Body() body: { type: string; value: string },
  ) {
    return this.answer(await this.actions.grant(user, request, body.type, body.value));
  }

  @Post('actions/revoke-claim')
  @HttpCode(200)
  async revokeClaim(
    @CurrentUser() user: ClaimsPrincipal,
    @Req() request: unknown,
    @Body() body: { type: string; value?: string },
  ) {
    return this.answer(await this.actions.revokeClaim(user, request, body.type, body.value));
  }

  @Post('actions/sign-out')
  @HttpCode(200)
  async signOut(@CurrentUser() user: ClaimsPrincipal, @Req() request: unknown) {
    return this.answer(await this.actions.revokeSession(user, request));
  }

  /** A logout as the OAuth routes make it: `LoginSessions.logout`. */
  @Post('actions/logout')
  @HttpCode(200)
  async logout(@Req() request: unknown, @Res({ passthrough: true }) reply: unknown) {
    return { logged_out: await this.logins.logout(request, reply) };
  }

  @Roles('admin')
  @Post('admin/users/:id/grant')
  @HttpCode(200)
  async grantUser(@Param('id') id: string, @Body() body: { type: string; value: string }) {
    return this.answer(await this.actions.grantUser(id, body.type, body.value));
  }

  @Roles('admin')
  @Post('admin/users/:id/revoke-claim')
  @HttpCode(200)
  async revokeUserClaim(@Param('id') id: string, @Body() body: { type: string; value?: string }) {
    return this.answer(await this.actions.revokeUserClaim(id, body.type, body.value));
  }

  @Roles('admin')
  @Post('admin/users/:id/sign-out-everywhere')
  @HttpCode(200)
  async signOutEverywhere(@Param('id') id: string) {
    return this.answer(await this.actions.revokeUserSessions(id));
  }

  /**
   * Ends every session of a user without an admin's session: what a job or a webhook of the app
   * does (the suites call it while Redis, which holds every session, is stopped).
   */
  @Public()
  @Post('test/users/:id/sign-out-everywhere')
  @HttpCode(200)
  async jobSignOutEverywhere(@Param('id') id: string) {
    return this.answer(await this.actions.revokeUserSessions(id));
  }

  /** A broadcast of the app's own to a room, through the socket.io adapter (Redis across workers). */
  @Public()
  @Post('test/broadcast/:room')
  @HttpCode(200)
  broadcast(@Param('room') room: string) {
    this.gateway.namespace.to(room).emit('app:notice', { room });
    return { sent: true };
  }

  @Public()
  @Get('test/rooms/:room')
  async room(@Param('room') room: string) {
    const sockets = await this.gateway.namespace.in(room).fetchSockets();
    return { sockets: sockets.map((socket) => socket.id).sort() };
  }

  @Public()
  @Get('test/live')
  live() {
    return { sockets: this.gateway.socketCount };
  }

  private answer(change: { claimsVersion: number; sessions: number; pending: boolean }) {
    return {
      claims_version: change.claimsVersion,
      sessions: change.sessions,
      pending: change.pending,
    };
  }
}

export interface LiveAppOptions {
  state?: StateModuleOptions;
  auth?: AuthModuleOptions;
  liveAuth?: LiveAuthModuleOptions;
}

/** The test app's module; options left out come from the environment. */
export function liveTestModule(options: LiveAppOptions = {}): DynamicModule {
  @Module({})
  class LiveTestModule {}
  return {
    module: LiveTestModule,
    imports: [
      StateModule.forRoot(options.state),
      AuthModule.forRoot(options.auth),
      LiveAuthModule.forRoot({
        localIdp: { limits: { perAccount: 1000, perAddress: 100_000, windowSeconds: 60 } },
        live: { reconcileIntervalMs: 60_000 },
        ...options.liveAuth,
      }),
    ],
    controllers: [LiveTestController],
  };
}
