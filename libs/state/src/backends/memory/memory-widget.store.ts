import type { RegisterWidgetOptions, WidgetRecord } from '../../widgets/widget.models';
import { WidgetStore } from '../../widgets/widget-store';
import { assertId, assertTtl, ttlToMs } from '../../common/validation';
import {
  assertWidgetHtml,
  assertWidgetToken,
  prepareWidget,
} from '../../widgets/widget.validation';
import { ExpiringMap } from './expiring-map';

/** Widgets in process memory. */
export class MemoryWidgetStore extends WidgetStore {
  private readonly widgets = new ExpiringMap<WidgetRecord>();
  private readonly ttlMs: number;

  constructor(widgetTtl: number) {
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
    // Re-registering moves the widget to the end of the active list, as a new registration.
    this.widgets.delete(widgetId);
    this.widgets.set(widgetId, record);
    return structuredClone(record);
  }

  async get(widgetId: string): Promise<WidgetRecord | null> {
    assertId('widgetId', widgetId);
    const record = this.widgets.get(widgetId);
    return record ? structuredClone(record) : null;
  }

  async getHtml(widgetId: string): Promise<string | null> {
    assertId('widgetId', widgetId);
    return this.widgets.get(widgetId)?.html ?? null;
  }

  async getToken(widgetId: string): Promise<string | null> {
    assertId('widgetId', widgetId);
    return this.widgets.get(widgetId)?.token ?? null;
  }

  async exists(widgetId: string): Promise<boolean> {
    assertId('widgetId', widgetId);
    return this.widgets.has(widgetId);
  }

  async delete(widgetId: string): Promise<boolean> {
    assertId('widgetId', widgetId);
    return this.widgets.delete(widgetId);
  }

  async listActive(): Promise<string[]> {
    return Array.from(this.widgets.entriesLive(), ([widgetId]) => widgetId);
  }

  async updateHtml(widgetId: string, html: string): Promise<boolean> {
    assertId('widgetId', widgetId);
    assertWidgetHtml(html);
    return this.update(widgetId, (record) => {
      record.html = html;
    });
  }

  async updateToken(widgetId: string, token: string): Promise<boolean> {
    assertId('widgetId', widgetId);
    assertWidgetToken(token);
    return this.update(widgetId, (record) => {
      record.token = token;
    });
  }

  async count(): Promise<number> {
    return this.widgets.countLive();
  }

  /** Frees expired widgets. */
  sweep(now = Date.now()): number {
    return this.widgets.sweep(now);
  }

  private update(widgetId: string, change: (record: WidgetRecord) => void): boolean {
    const now = Date.now();
    const record = this.widgets.get(widgetId, now);
    if (!record) {
      return false;
    }
    change(record);
    record.updatedAt = now;
    record.expiresAt = now + this.ttlMs;
    return true;
  }
}
