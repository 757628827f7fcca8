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
  WIDGET_RESPONSE_HEADERS,
  WidgetAccess,
  type ClaimsPrincipal,
} from '@livegate/auth';
import { OAUTH_RESOLVED, type ResolvedOAuth } from '@livegate/oauth';
import { assertId, STATE_OPTIONS, StateService, type ResolvedStateOptions } from '@livegate/state';
import { escapeHtml } from '@livegate/live-auth';
import { DEMO_ASSET_PATHS } from './demo-assets';
import { DEMO_CONTENT_SECURITY_POLICY, page } from './pages';

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
  @Header('Cache-Control', 'no-store')
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
<p><a href="/live">Live auth</a> · <a href="/reports">Reports</a> (editors and admins) ·
<a href="/admin">Admin</a> (admins)</p>`,
    );
  }

  /**
   * Where denied pages send the browser: register and sign in with the local identity provider
   * (the page's script posts the forms as JSON to `/auth/local/*`), and "Sign in with ..." for
   * each configured OAuth provider.
   */
  @Public()
  @Get('login')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  login(@CurrentUser() user: ClaimsPrincipal): string {
    const providers = [...(this.oauth?.providers.keys() ?? [])];
    const signIn = providers.length
      ? `<ul id="sign-in">
${providers
  .map((name) => {
    const href = providers.length === 1 ? '/auth/login' : `/auth/${encodeURIComponent(name)}/login`;
    return `<li><a href="${escapeHtml(href)}">Sign in with ${escapeHtml(providerLabel(name))}</a></li>`;
  })
  .join('\n')}
</ul>`
      : '<p class="muted">No OAuth provider is configured (see the README): sign in with a local account.</p>';
    const current = user.isAuthenticated
      ? `<p id="signed-in">You are signed in as ${escapeHtml(user.name ?? '')}: <a href="/live">open the live page</a>.</p>\n`
      : '';
    const form = (
      id: string,
      title: string,
      button: string,
      autocomplete: string,
    ) => `<section class="card">
<h2>${title}</h2>
<form id="${id}" class="stack">
<label for="${id}-username">Username</label>
<input id="${id}-username" name="username" autocomplete="username" required maxlength="64">
<label for="${id}-password">Password (8 characters or more)</label>
<input id="${id}-password" name="password" type="password" autocomplete="${autocomplete}" required minlength="8" maxlength="1024">
<button type="submit" class="primary">${button}</button>
</form>
</section>`;
    return page(
      'Sign in',
      `${current}<p id="login-message" class="message" role="status"></p>
<div class="grid">
${form('login-form', 'Sign in', 'Sign in', 'current-password')}
${form('register-form', 'Create an account', 'Register and sign in', 'new-password')}
<section class="card"><h2>Other providers</h2>
${signIn}
</section>
</div>`,
      { scripts: [DEMO_ASSET_PATHS.loginScript] },
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
    // The demo's own widget is plain HTML, so it runs under the demo's strict policy too.
    for (const [name, value] of Object.entries({
      ...WIDGET_RESPONSE_HEADERS,
      'Content-Security-Policy': DEMO_CONTENT_SECURITY_POLICY,
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
