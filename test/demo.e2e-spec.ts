import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { WidgetStore } from '@livegate/state';
import { AppModule } from '../apps/demo/src/app.module';
import { DEMO_WIDGET_ID } from '../apps/demo/src/demo-widgets';

describe('demo app (HTTP, memory backend)', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    delete process.env.LIVEGATE_DEPLOY__STATE_BACKEND;
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot()] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await app.close();
  });

  it('GET /health answers ok with the backend', async () => {
    const response = await fetch(`${base}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', backend: 'memory' });
  });

  it('GET / lists the registered widgets, escaped', async () => {
    await app.get(WidgetStore).register('<script>x</script>', 'nope', {
      metadata: { title: '"quoted" & <b>bold</b>' },
    });
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await response.text();
    expect(page).toContain(`<a href="/widgets/${DEMO_WIDGET_ID}">${DEMO_WIDGET_ID}</a>`);
    expect(page).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(page).toContain('&quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt;');
    expect(page).not.toContain('<script>');
    await app.get(WidgetStore).delete('<script>x</script>');
  });

  it('GET /widgets/:id serves the demo widget registered at boot', async () => {
    const response = await fetch(`${base}/widgets/${DEMO_WIDGET_ID}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('<h1>Hello from Livegate</h1>');
  });

  it('answers 404 with the JSON error body for an unknown widget', async () => {
    const response = await fetch(`${base}/widgets/unknown`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ error: 'not_found', message: 'No such widget' });
  });

  it.each([
    ['a control character', encodeURIComponent('bad\nid')],
    ['an over-long id', 'x'.repeat(257)],
    ['surrounding white space', encodeURIComponent(' padded ')],
  ])('answers 400 with the JSON error body for %s, changing nothing', async (_case, id) => {
    const before = await app.get(WidgetStore).listActive();
    const response = await fetch(`${base}/widgets/${id}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as { error: string; message: string };
    expect(body.error).toBe('invalid_input');
    expect(body.message).toMatch(/^widgetId: /);
    expect(Object.keys(body).sort()).toEqual(['error', 'message']);
    expect(await app.get(WidgetStore).listActive()).toEqual(before);
  });
});
