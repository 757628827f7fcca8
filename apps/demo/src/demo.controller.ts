import { Controller, Get, Header, Inject, NotFoundException, Param } from '@nestjs/common';
import { assertId, STATE_OPTIONS, StateService, type ResolvedStateOptions } from '@livegate/state';
import { escapeHtml } from './html';

@Controller()
export class DemoController {
  constructor(
    private readonly state: StateService,
    @Inject(STATE_OPTIONS) private readonly options: ResolvedStateOptions,
  ) {}

  @Get('health')
  health(): { status: 'ok'; backend: string } {
    return { status: 'ok', backend: this.options.backend };
  }

  /** A page listing the registered widgets. */
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  async index(): Promise<string> {
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
    return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Livegate demo</title></head>
<body>
<h1>Livegate demo</h1>
<p>Backend: ${escapeHtml(this.options.backend)}</p>
<h2>Widgets</h2>
<ul id="widgets">
${items || '<li>No widgets registered.</li>'}
</ul>
</body>
</html>
`;
  }

  /** The HTML of one widget. */
  @Get('widgets/:id')
  @Header('Content-Type', 'text/html; charset=utf-8')
  async widget(@Param('id') widgetId: string): Promise<string> {
    assertId('widgetId', widgetId);
    const html = await this.state.getWidgetHtml(widgetId);
    if (html === null) {
      throw new NotFoundException({ error: 'not_found', message: 'No such widget' });
    }
    return html;
  }
}
