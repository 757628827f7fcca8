/** A widget as kept by the `WidgetStore`. Times are milliseconds since the epoch. */
export interface WidgetRecord {
  widgetId: string;
  html: string;
  token: string | null;
  ownerWorkerId: string | null;
  metadata: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
}

export interface RegisterWidgetOptions {
  /** Access token of the widget (for example a signed widget token). */
  token?: string;
  /** The worker that renders the widget. */
  ownerWorkerId?: string;
  /** Free JSON metadata, at most 64 KiB. */
  metadata?: Record<string, unknown>;
}
