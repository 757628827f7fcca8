import { Controller, Get, Header, Param, Post, Query, Redirect, Req } from '@nestjs/common';
import { CurrentUser, Roles, type ClaimsPrincipal } from '@livegate/auth';
import {
  AuthActions,
  LIVE_AUTH_SCRIPT_PATH,
  UserStore,
  type UserRecord,
  escapeHtml,
} from '@livegate/live-auth';
import { claimsVersionOf, SOCKET_IO_CLIENT_PATH } from './live.controller';
import { page } from './pages';
import { assertSameOrigin } from './same-origin';

type Request = { headers: Record<string, string | string[] | undefined> };

/** Users listed per page of /admin. */
export const ADMIN_PAGE_SIZE = 50;

/**
 * Admins only (`@Roles('admin')`: 401 for anonymous callers, 403 for other roles): the users of
 * the user store, with buttons that grant or revoke another user's admin role or end every
 * session of that user through `AuthActions`, which every open tab of that user shows at once.
 * The page is live too: an admin who loses the role is sent to /live.
 */
@Controller('admin')
export class AdminController {
  constructor(
    private readonly users: UserStore,
    private readonly actions: AuthActions,
  ) {}

  @Roles('admin')
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  async admin(
    @CurrentUser() user: ClaimsPrincipal,
    @Query('after') after?: string,
  ): Promise<string> {
    const [version, listing] = await Promise.all([
      claimsVersionOf(this.users, user),
      this.users.listUsers({ limit: ADMIN_PAGE_SIZE, ...(after ? { after } : {}) }),
    ]);
    const rows = listing.users.map((row) => this.row(row, user)).join('\n');
    const next = listing.next
      ? `<p><a href="/admin?after=${encodeURIComponent(listing.next)}">Next users</a></p>`
      : '';
    return page(
      'Admin',
      `<p>Welcome, ${escapeHtml(user.name ?? '')}. You hold the admin role.</p>
<p class="muted">Grant or revoke a user's admin role and watch that user's open tabs change.</p>
<table id="users">
<thead><tr><th>User</th><th>Roles</th><th>Version</th><th>Actions</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="4">No users yet: register on /login.</td></tr>'}
</tbody>
</table>
${next}`,
      {
        scripts: [SOCKET_IO_CLIENT_PATH, LIVE_AUTH_SCRIPT_PATH],
        scriptData: { [LIVE_AUTH_SCRIPT_PATH]: { page: 'admin', version: String(version) } },
      },
    );
  }

  @Roles('admin')
  @Post('users/:id/grant-admin')
  @Redirect('/admin', 303)
  async grantAdmin(@Param('id') id: string, @Req() request: Request): Promise<void> {
    assertSameOrigin(request);
    await this.actions.grantUser(id, 'role', 'admin');
  }

  @Roles('admin')
  @Post('users/:id/revoke-admin')
  @Redirect('/admin', 303)
  async revokeAdmin(@Param('id') id: string, @Req() request: Request): Promise<void> {
    assertSameOrigin(request);
    await this.actions.revokeUserClaim(id, 'role', 'admin');
  }

  @Roles('admin')
  @Post('users/:id/sign-out-everywhere')
  @Redirect('/admin', 303)
  async signOutEverywhere(@Param('id') id: string, @Req() request: Request): Promise<void> {
    assertSameOrigin(request);
    await this.actions.revokeUserSessions(id);
  }

  private row(row: UserRecord, caller: ClaimsPrincipal): string {
    const roles = row.claims.filter((claim) => claim.type === 'role').map((claim) => claim.value);
    const admin = roles.includes('admin');
    const id = encodeURIComponent(row.id);
    const action = (name: string, label: string) =>
      `<form method="post" action="/admin/users/${id}/${name}"><button type="submit" data-user="${escapeHtml(
        row.username,
      )}" data-action="${name}">${label}</button></form>`;
    const you = row.id === caller.userId ? ' <span class="muted">(you)</span>' : '';
    return `<tr data-user="${escapeHtml(row.username)}"><td>${escapeHtml(row.username)}${you}${
      row.disabled ? ' <span class="muted">(disabled)</span>' : ''
    }</td><td>${escapeHtml(roles.join(', ') || '(default roles)')}</td><td>${row.claimsVersion}</td><td>${
      admin ? action('revoke-admin', 'Revoke admin') : action('grant-admin', 'Grant admin')
    } ${action('sign-out-everywhere', 'Sign out everywhere')}</td></tr>`;
  }
}
