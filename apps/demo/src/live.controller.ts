import {
  Controller,
  ForbiddenException,
  Get,
  Header,
  Inject,
  Post,
  Redirect,
  Req,
  Res,
} from '@nestjs/common';
import { Auth, CurrentUser, LoginSessions, type ClaimsPrincipal } from '@livegate/auth';
import {
  AuthActions,
  AuthRegions,
  LIVE_AUTH_SCRIPT_PATH,
  UserStore,
  escapeHtml,
} from '@livegate/live-auth';
import { DEMO_ASSET_PATHS } from './demo-assets';
import { DEMO_OPTIONS, type DemoOptions } from './demo-options';
import { LIVE_REGIONS } from './demo-policies';
import { page } from './pages';
import { assertSameOrigin } from './same-origin';

type Request = { headers: Record<string, string | string[] | undefined> };

/** The socket.io client the server serves, which the live-auth script needs before it. */
export const SOCKET_IO_CLIENT_PATH = '/socket.io/socket.io.js';

/**
 * The live page: the caller's claims and three auth regions, kept current in every open tab by
 * the live-auth script, and buttons that change the caller's claims and sessions through
 * `AuthActions` (plain form posts, answered with 303 to the page).
 */
@Controller('live')
export class LiveController {
  constructor(
    private readonly actions: AuthActions,
    private readonly regions: AuthRegions,
    private readonly users: UserStore,
    private readonly logins: LoginSessions,
    @Inject(DEMO_OPTIONS) private readonly options: DemoOptions,
  ) {}

  @Auth({ redirect: '/login' })
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  async live(@CurrentUser() user: ClaimsPrincipal): Promise<string> {
    const [version, rendered] = await Promise.all([
      claimsVersionOf(this.users, user),
      // A slow policy's region is sent as "authorizing"; its socket brings the outcome.
      this.regions.renderAll([...LIVE_REGIONS], user, { timeoutMs: 0 }),
    ]);
    const claims = user.claims
      .map(
        (claim) => `<li><code>${escapeHtml(claim.type)}</code> = ${escapeHtml(claim.value)}</li>`,
      )
      .join('\n');
    const button = (action: string, label: string, className = '') =>
      `<form method="post" action="/live/${action}"><button type="submit" id="${action}"${
        className ? ` class="${className}"` : ''
      }>${label}</button></form>`;
    const selfService = this.options.selfService
      ? `${button('grant-admin', 'Grant admin', 'primary')}
${button('revoke-admin', 'Revoke admin')}
${button('join-beta', 'Join beta')}
${button('leave-beta', 'Leave beta')}
`
      : '';
    return page(
      'Live auth',
      `<p>Signed in as <strong id="user-name">${escapeHtml(user.name ?? '')}</strong>
(<code id="user-id">${escapeHtml(user.userId ?? '')}</code>). Open this page in a second tab (or
on another worker of <code>npm run demo:cluster</code>) and press a button: every tab changes at
once, without a reload.</p>
<div class="actions">
${selfService}${button('sign-out', 'Sign out (this session)')}
${button('sign-out-everywhere', 'Sign out everywhere', 'danger')}
</div>
<div class="grid">
<section class="card"><h2>Your claims</h2>
<p>Roles: <strong id="roles">${escapeHtml(user.roles.join(', ') || '(none)')}</strong> · version
<span id="claims-version">${version}</span></p>
<ul id="claims" class="claims">
${claims}
</ul></section>
${LIVE_REGIONS.map((name) => this.regions.element(name, rendered[name])).join('\n')}
</div>`,
      {
        scripts: [SOCKET_IO_CLIENT_PATH, LIVE_AUTH_SCRIPT_PATH, DEMO_ASSET_PATHS.liveScript],
        scriptData: { [LIVE_AUTH_SCRIPT_PATH]: { page: 'live', version: String(version) } },
      },
    );
  }

  @Auth({ redirect: '/login' })
  @Post('grant-admin')
  @Redirect('/live', 303)
  async grantAdmin(@CurrentUser() user: ClaimsPrincipal, @Req() request: Request): Promise<void> {
    this.assertSelfService(request);
    await this.actions.grant(user, request, 'role', 'admin');
  }

  @Auth({ redirect: '/login' })
  @Post('revoke-admin')
  @Redirect('/live', 303)
  async revokeAdmin(@CurrentUser() user: ClaimsPrincipal, @Req() request: Request): Promise<void> {
    this.assertSelfService(request);
    await this.actions.revokeClaim(user, request, 'role', 'admin');
  }

  @Auth({ redirect: '/login' })
  @Post('join-beta')
  @Redirect('/live', 303)
  async joinBeta(@CurrentUser() user: ClaimsPrincipal, @Req() request: Request): Promise<void> {
    this.assertSelfService(request);
    await this.actions.grant(user, request, 'tier', 'beta');
  }

  @Auth({ redirect: '/login' })
  @Post('leave-beta')
  @Redirect('/live', 303)
  async leaveBeta(@CurrentUser() user: ClaimsPrincipal, @Req() request: Request): Promise<void> {
    this.assertSelfService(request);
    await this.actions.revokeClaim(user, request, 'tier', 'beta');
  }

  /** Ends this session: its tabs go to the sign-in page, on every worker. */
  @Auth({ redirect: '/login' })
  @Post('sign-out')
  @Redirect('/login', 303)
  async signOut(
    @CurrentUser() user: ClaimsPrincipal,
    @Req() request: Request,
    @Res({ passthrough: true }) reply: unknown,
  ): Promise<void> {
    assertSameOrigin(request);
    await this.actions.revokeSession(user, request);
    this.logins.clearSessionCookie(reply);
  }

  /** Ends every session of the user, in every browser. */
  @Auth({ redirect: '/login' })
  @Post('sign-out-everywhere')
  @Redirect('/login', 303)
  async signOutEverywhere(
    @CurrentUser() user: ClaimsPrincipal,
    @Req() request: Request,
    @Res({ passthrough: true }) reply: unknown,
  ): Promise<void> {
    assertSameOrigin(request);
    await this.actions.revokeUserSessions(user.userId!);
    this.logins.clearSessionCookie(reply);
  }

  private assertSelfService(request: Request): void {
    assertSameOrigin(request);
    if (!this.options.selfService) {
      throw new ForbiddenException({
        error: 'forbidden',
        message: 'Granting yourself roles is a development feature: an admin grants them on /admin',
      });
    }
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The user row's `claimsVersion`, which the page hands to the live-auth script (0 for a session
 * without a row, like one made by `npm run demo:session`).
 */
export async function claimsVersionOf(users: UserStore, user: ClaimsPrincipal): Promise<number> {
  if (!user.userId || !UUID.test(user.userId)) {
    return 0;
  }
  return (await users.findById(user.userId))?.claimsVersion ?? 0;
}
