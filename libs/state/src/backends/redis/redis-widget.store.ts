import type { RegisterWidgetOptions, WidgetRecord } from '../../widgets/widget.models';
import { WidgetStore } from '../../widgets/widget-store';
import { assertId, assertTtl, ttlToMs } from '../../common/validation';
import {
  assertWidgetHtml,
  assertWidgetToken,
  prepareWidget,
} from '../../widgets/widget.validation';
import type { RedisConnection } from './redis-connection';
import { isPresent, parseField } from './redis-fields';
import type { RedisKeys } from './redis-keys';

/** Widgets in Redis: a hash per widget with a TTL, and an index pruned of expired members. */
export class RedisWidgetStore extends WidgetStore {
  private readonly ttlMs: number;

  constructor(
    private readonly redis: RedisConnection,
    private readonly keys: RedisKeys,
    widgetTtl: number,
  ) {
    super();
    assertTtl('widgetTtl', widgetTtl);
    this.ttlMs = ttlToMs(widgetTtl);
  }

  async register(
    widgetId: string,
    html: string,
    options: RegisterWidgetOptions = {},
  ): Promise<WidgetRecord> {
    const record = prepareWidget(widgetId, html, options, this.ttlMs);
    const { token, ownerWorkerId, metadata } = record;
    const now = Number(
      await this.redis.run((client) =>
        client.livegateWidgetRegister(
          this.keys.widget(widgetId),
          this.keys.activeWidgets,
          this.keys.widgetSequence,
          widgetId,
          html,
          JSON.stringify(token),
          JSON.stringify(ownerWorkerId),
          JSON.stringify(metadata),
          this.ttlMs,
        ),
      ),
    );
    // Times come from the Redis clock, which every worker shares.
    return { ...record, createdAt: now, updatedAt: now, expiresAt: now + this.ttlMs };
  }

  async get(widgetId: string): Promise<WidgetRecord | null> {
    assertId('widgetId', widgetId);
    const fields = await this.redis.run((client) => client.hgetall(this.keys.widget(widgetId)));
    if (!isPresent(fields)) {
      return null;
    }
    return {
      widgetId,
      html: fields.html ?? '',
      token: parseField<string | null>(fields.token, null),
      ownerWorkerId: parseField<string | null>(fields.owner, null),
      metadata: parseField<Record<string, unknown>>(fields.metadata, {}),
      createdAt: Number(fields.createdAt),
      updatedAt: Number(fields.updatedAt),
      expiresAt: Number(fields.expiresAt),
    };
  }

  async getHtml(widgetId: string): Promise<string | null> {
    assertId('widgetId', widgetId);
    return this.redis.run((client) => client.hget(this.keys.widget(widgetId), 'html'));
  }

  async getToken(widgetId: string): Promise<string | null> {
    assertId('widgetId', widgetId);
    const token = await this.redis.run((client) =>
      client.hget(this.keys.widget(widgetId), 'token'),
    );
    return parseField<string | null>(token, null);
  }

  async exists(widgetId: string): Promise<boolean> {
    assertId('widgetId', widgetId);
    return (await this.redis.run((client) => client.exists(this.keys.widget(widgetId)))) === 1;
  }

  async delete(widgetId: string): Promise<boolean> {
    assertId('widgetId', widgetId);
    const deleted = await this.redis.run((client) =>
      client.livegateWidgetDelete(this.keys.widget(widgetId), this.keys.activeWidgets, widgetId),
    );
    return Number(deleted) === 1;
  }

  async listActive(): Promise<string[]> {
    const reply = (await this.redis.run((client) =>
      client.livegateWidgetList(this.keys.activeWidgets, this.keys.widget('')),
    )) as string[];
    const widgets: { widgetId: string; sequence: number }[] = [];
    for (let index = 0; index + 1 < reply.length; index += 2) {
      widgets.push({ widgetId: reply[index], sequence: Number(reply[index + 1]) });
    }
    return widgets.sort((a, b) => a.sequence - b.sequence).map((widget) => widget.widgetId);
  }

  async updateHtml(widgetId: string, html: string): Promise<boolean> {
    assertId('widgetId', widgetId);
    assertWidgetHtml(html);
    return this.update(widgetId, 'html', html);
  }

  async updateToken(widgetId: string, token: string): Promise<boolean> {
    assertId('widgetId', widgetId);
    assertWidgetToken(token);
    return this.update(widgetId, 'token', JSON.stringify(token));
  }

  async count(): Promise<number> {
    return Number(
      await this.redis.run((client) => client.livegateWidgetCount(this.keys.activeWidgets)),
    );
  }

  private async update(widgetId: string, field: string, value: string): Promise<boolean> {
    const updated = await this.redis.run((client) =>
      client.livegateWidgetUpdate(
        this.keys.widget(widgetId),
        this.keys.activeWidgets,
        this.keys.widgetSequence,
        field,
        value,
        this.ttlMs,
        widgetId,
      ),
    );
    return Number(updated) === 1;
  }
}
