import type { Statement } from 'better-sqlite3-multiple-ciphers';
import type { RegisterWidgetOptions, WidgetRecord } from '../../widgets/widget.models';
import { WidgetStore } from '../../widgets/widget-store';
import { assertId, assertTtl, ttlToMs } from '../../common/validation';
import {
  assertWidgetHtml,
  assertWidgetToken,
  prepareWidget,
} from '../../widgets/widget.validation';
import type { SqliteDatabase } from './sqlite-database';

interface WidgetRow {
  widget_id: string;
  html: string;
  token: string | null;
  owner_worker_id: string | null;
  metadata: string;
  created_at: number;
  updated_at: number;
  expires_at: number;
}

function toRecord(row: WidgetRow): WidgetRecord {
  return {
    widgetId: row.widget_id,
    html: row.html,
    token: row.token,
    ownerWorkerId: row.owner_worker_id,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
  };
}

/** Widgets in the SQLite database. Rows past `expires_at` are invisible and swept. */
export class SqliteWidgetStore extends WidgetStore {
  private readonly ttlMs: number;
  private readonly statements: {
    remove: Statement<[string]>;
    insert: Statement<
      [string, string, string | null, string | null, string, number, number, number]
    >;
    get: Statement<[string, number], WidgetRow>;
    html: Statement<[string, number], { html: string }>;
    token: Statement<[string, number], { token: string | null }>;
    exists: Statement<[string, number], { found: 1 }>;
    removeReturning: Statement<[string], { expires_at: number }>;
    listActive: Statement<[number], { widget_id: string }>;
    updateHtml: Statement<[string, number, number, string, number]>;
    updateToken: Statement<[string, number, number, string, number]>;
    count: Statement<[number], { live: number }>;
    sweep: Statement<[number]>;
  };

  constructor(
    private readonly database: SqliteDatabase,
    widgetTtl: number,
  ) {
    super();
    assertTtl('widgetTtl', widgetTtl);
    this.ttlMs = ttlToMs(widgetTtl);
    const db = database.connection;
    this.statements = {
      remove: db.prepare('DELETE FROM widgets WHERE widget_id = ?'),
      insert: db.prepare(
        `INSERT INTO widgets (widget_id, html, token, owner_worker_id, metadata, created_at,
           updated_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      get: db.prepare('SELECT * FROM widgets WHERE widget_id = ? AND expires_at > ?'),
      html: db.prepare('SELECT html FROM widgets WHERE widget_id = ? AND expires_at > ?'),
      token: db.prepare('SELECT token FROM widgets WHERE widget_id = ? AND expires_at > ?'),
      exists: db.prepare('SELECT 1 AS found FROM widgets WHERE widget_id = ? AND expires_at > ?'),
      removeReturning: db.prepare('DELETE FROM widgets WHERE widget_id = ? RETURNING expires_at'),
      listActive: db.prepare('SELECT widget_id FROM widgets WHERE expires_at > ? ORDER BY seq'),
      updateHtml: db.prepare(
        `UPDATE widgets SET html = ?, updated_at = ?, expires_at = ?
         WHERE widget_id = ? AND expires_at > ?`,
      ),
      updateToken: db.prepare(
        `UPDATE widgets SET token = ?, updated_at = ?, expires_at = ?
         WHERE widget_id = ? AND expires_at > ?`,
      ),
      count: db.prepare('SELECT count(*) AS live FROM widgets WHERE expires_at > ?'),
      sweep: db.prepare('DELETE FROM widgets WHERE expires_at <= ?'),
    };
  }

  async register(
    widgetId: string,
    html: string,
    options: RegisterWidgetOptions = {},
  ): Promise<WidgetRecord> {
    const record = prepareWidget(widgetId, html, options, this.ttlMs);
    this.database.write(() => {
      // Deleted and inserted, not updated: a new registration goes to the end of the list.
      this.statements.remove.run(widgetId);
      this.statements.insert.run(
        widgetId,
        html,
        record.token,
        record.ownerWorkerId,
        JSON.stringify(record.metadata),
        record.createdAt,
        record.updatedAt,
        record.expiresAt,
      );
    });
    return record;
  }

  async get(widgetId: string): Promise<WidgetRecord | null> {
    assertId('widgetId', widgetId);
    const row = this.database.read(() => this.statements.get.get(widgetId, Date.now()));
    return row ? toRecord(row) : null;
  }

  async getHtml(widgetId: string): Promise<string | null> {
    assertId('widgetId', widgetId);
    return this.database.read(() => this.statements.html.get(widgetId, Date.now())?.html ?? null);
  }

  async getToken(widgetId: string): Promise<string | null> {
    assertId('widgetId', widgetId);
    return this.database.read(() => this.statements.token.get(widgetId, Date.now())?.token ?? null);
  }

  async exists(widgetId: string): Promise<boolean> {
    assertId('widgetId', widgetId);
    return this.database.read(() => this.statements.exists.get(widgetId, Date.now()) !== undefined);
  }

  async delete(widgetId: string): Promise<boolean> {
    assertId('widgetId', widgetId);
    const now = Date.now();
    const removed = this.database.write(() => this.statements.removeReturning.all(widgetId));
    return removed.some((row) => row.expires_at > now);
  }

  async listActive(): Promise<string[]> {
    return this.database.read(() =>
      this.statements.listActive.all(Date.now()).map((row) => row.widget_id),
    );
  }

  async updateHtml(widgetId: string, html: string): Promise<boolean> {
    assertId('widgetId', widgetId);
    assertWidgetHtml(html);
    const now = Date.now();
    return this.database.write(
      () => this.statements.updateHtml.run(html, now, now + this.ttlMs, widgetId, now).changes > 0,
    );
  }

  async updateToken(widgetId: string, token: string): Promise<boolean> {
    assertId('widgetId', widgetId);
    assertWidgetToken(token);
    const now = Date.now();
    return this.database.write(
      () =>
        this.statements.updateToken.run(token, now, now + this.ttlMs, widgetId, now).changes > 0,
    );
  }

  async count(): Promise<number> {
    return this.database.read(() => this.statements.count.get(Date.now())!.live);
  }

  /** Deletes expired widgets; returns how many. */
  sweep(now = Date.now()): number {
    return this.database.write(() => this.statements.sweep.run(now).changes);
  }
}
