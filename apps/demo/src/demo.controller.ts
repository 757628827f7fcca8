import {
  Controller,
  Get,
  Header,
  Inject,
  NotFoundException,
  Optional,
  Param,
  Res,
} from '@nestjs/common';
import {
  Auth,
  CurrentUser,
  Public,
  Roles,
  WIDGET_RESPONSE_HEADERS,
  WidgetAccess,
  type ClaimsPrincipal,
} from '@livegate/auth';
import { OAUTH_RESOLVED, type ResolvedOAuth } from '@livegate/oauth';
import { assertId, STATE_OPTIONS, StateService, type ResolvedStateOptions } from '@livegate/state';
import { escapeHtml } from './html';
import { page } from './pages';

/** Sets headers on an Express or Fastify reply. */
interface HeaderReply {
  header?(name: string, value: string): unknown;
  setHeader?(name: string, value: string): unknown;
}

@Controller()
export class DemoController {
  constructor(
    private readonly state: StateService,
    @Inject(STATE_OPTIONS) private readonly options: ResolvedStateOptions,
    @Optional() @Inject(OAUTH_RESOLVED) private readonly oauth?: ResolvedOAuth,
  ) {}

  /** The registered widgets. Signed-in users only when auth is enabled. */
  @Auth({ redirect: '/login' })
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  async index(@CurrentUser() user: ClaimsPrincipal): Promise<string> {
    const widgets = await Promise.all(
      (await this.state.listWidgets()).map((widgetId) => this.state.getWidget(widgetId)),
    );
    const items = widgets
      .filter((widget) => widget !== null)
      .map((widget) => {
        const title = typeof widget.metadata.title === 'string' ? widget.metadata.title : '';
        const href = `/widgets/${encodeURIComponent(widget.widgetId)}`;
        return `<li><a href="${escapeHtml(href)}">${escapeHtml(widget.widgetId)}</a>${
          title ? ` — ${escapeHtml(title)}` : ''
        }</li>`;
      })
      .join('\n');
    return page(
      'Livegate demo',
      `<p>Backend: ${escapeHtml(String(this.options.backend))}. Signed in as ${escapeHtml(
        user.name ?? 'nobody',
      )}.</p>
<h2>Widgets</h2>
<ul id="widgets">
${items || '<li>No widgets registered.</li>'}
</ul>
<p><a href="/reports">Reports</a> (editors and admins) · <a href="/admin">Admin</a> (admins)</p>`,
    );
  }

  /**
   * Where denied pages send the browser: "Sign in with ..." for each configured OAuth provider,
   * and how to make a session by hand.
   */
  @Public()
  @Get('login')
  @Header('Content-Type', 'text/html; charset=utf-8')
  login(): string {
    const providers = [...(this.oauth?.providers.keys() ?? [])];
    const signIn = providers.length
      ? `<ul id="sign-in">
${providers
  .map((name) => {
    const href = providers.length === 1 ? '/auth/login' : `/auth/${encodeURIComponent(name)}/login`;
    return `<li><a href="${escapeHtml(href)}">Sign in with ${escapeHtml(providerLabel(name))}</a></li>`;
  })
  .join('\n')}
</ul>
`
      : '';
    return page(
      'Sign in',
      `${signIn}<p>${
        providers.length ? 'Or create' : 'No OAuth provider is configured (see the README). Create'
      } a session by hand: with the server on the SQLite or Redis backend (the memory
backend keeps sessions inside the server's own process) and the same
<code>LIVEGATE_DEPLOY__*</code> variables, run
<code>npm run demo:session -- alice editor</code> and set the printed cookie in your browser
(see "Trying auth in the demo" in the README).</p>`,
    );
  }

  /** Admins only (`@Roles`): 401 for anonymous callers, 403 for other roles. */
  @Roles('admin')
  @Get('admin')
  @Header('Content-Type', 'text/html; charset=utf-8')
  admin(@CurrentUser() user: ClaimsPrincipal): string {
    return page(
      'Admin',
      `<p>Welcome, ${escapeHtml(user.name ?? '')}. You hold the admin role.</p>`,
    );
  }

  /** A page behind a policy: a 303 to /login for anyone who does not satisfy it. */
  @Auth({ policy: 'CanViewReports', redirect: '/login' })
  @Get('reports')
  @Header('Content-Type', 'text/html; charset=utf-8')
  reports(@CurrentUser() user: ClaimsPrincipal): string {
    return page('Reports', `<p>Reports for ${escapeHtml(user.name ?? '')}.</p>`);
  }

  /**
   * The HTML of one widget. With `requireAuthForWidgets` (`@WidgetAccess`), anonymous callers
   * get 401 and a widget the session may not read 404; otherwise anyone may read it.
   */
  @WidgetAccess('id')
  @Get('widgets/:id')
  async widget(
    @Param('id') widgetId: string,
    @Res({ passthrough: true }) reply: HeaderReply,
  ): Promise<string> {
    assertId('widgetId', widgetId);
    const html = await this.state.getWidgetHtml(widgetId);
    if (html === null) {
      throw new NotFoundException({ error: 'not_found', message: 'No such widget' });
    }
    for (const [name, value] of Object.entries({
      ...WIDGET_RESPONSE_HEADERS,
      'Content-Type': 'text/html; charset=utf-8',
    })) {
      if (reply.header) {
        reply.header(name, value);
      } else {
        reply.setHeader?.(name, value);
      }
    }
    return html;
  }
}

const PROVIDER_LABELS: Record<string, string> = {
  google: 'Google',
  github: 'GitHub',
  microsoft: 'Microsoft',
  oidc: 'your OpenID provider',
};

/** The name a person knows a provider by. */
function providerLabel(name: string): string {
  return PROVIDER_LABELS[name] ?? name;
}
