import type { RegisterWidgetOptions, WidgetRecord } from './widget.models';

/**
 * Widget HTML, tokens and metadata. Widgets expire after the widget TTL (24 h by default);
 * registering again or updating renews it. Expired widgets are invisible to every method.
 */
export abstract class WidgetStore {
  /** Stores (or replaces) a widget and starts its TTL. */
  abstract register(
    widgetId: string,
    html: string,
    options?: RegisterWidgetOptions,
  ): Promise<WidgetRecord>;
  abstract get(widgetId: string): Promise<WidgetRecord | null>;
  abstract getHtml(widgetId: string): Promise<string | null>;
  abstract getToken(widgetId: string): Promise<string | null>;
  abstract exists(widgetId: string): Promise<boolean>;
  /** Returns whether a live widget was deleted. */
  abstract delete(widgetId: string): Promise<boolean>;
  /** Ids of the live widgets, oldest registration first. */
  abstract listActive(): Promise<string[]>;
  /** Replaces the HTML of a live widget and renews its TTL; `false` when there is none. */
  abstract updateHtml(widgetId: string, html: string): Promise<boolean>;
  /** Replaces the token of a live widget and renews its TTL; `false` when there is none. */
  abstract updateToken(widgetId: string, token: string): Promise<boolean>;
  abstract count(): Promise<number>;
}
