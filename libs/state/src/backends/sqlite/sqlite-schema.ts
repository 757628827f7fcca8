import type { Database } from 'better-sqlite3-multiple-ciphers';
import { DEFAULT_ROLE_PERMISSIONS } from '../../sessions/roles';
import { StateConfigurationError } from '../../state.errors';

/**
 * The schema version this code writes, kept in `PRAGMA user_version`. 2 added `sessions.version`,
 * 3 the `transient` table; a database of an older version is migrated in place when it is opened.
 */
export const SCHEMA_VERSION = 3;

/**
 * Every table. Times are milliseconds since the epoch; JSON columns hold objects or arrays.
 * `seq` columns alias the rowid and give the order things were written in. Sessions are found by
 * the SHA-256 of their id; the id itself is kept only to hand it back (the file is encrypted).
 * The audit tables belong to the thread: they are kept when messages go and deleted with it.
 */
const SCHEMA = `
CREATE TABLE widgets (
  seq INTEGER PRIMARY KEY,
  widget_id TEXT NOT NULL UNIQUE,
  html TEXT NOT NULL,
  token TEXT,
  owner_worker_id TEXT,
  metadata TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX widgets_expires_at ON widgets (expires_at);

CREATE TABLE sessions (
  seq INTEGER PRIMARY KEY,
  id_hash BLOB NOT NULL UNIQUE,
  session_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  roles TEXT NOT NULL,
  metadata TEXT NOT NULL,
  ttl REAL NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX sessions_user ON sessions (user_id, created_at);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE transient (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX transient_expires_at ON transient (expires_at);

CREATE TABLE roles (
  role TEXT PRIMARY KEY,
  permissions TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE threads (
  thread_pk INTEGER PRIMARY KEY,
  widget_id TEXT NOT NULL,
  thread_id TEXT NOT NULL,
  title TEXT NOT NULL,
  metadata TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (widget_id, thread_id)
);

CREATE TABLE messages (
  seq INTEGER PRIMARY KEY,
  thread_pk INTEGER NOT NULL REFERENCES threads (thread_pk) ON DELETE CASCADE,
  message_id TEXT NOT NULL,
  role TEXT NOT NULL,
  content TEXT NOT NULL,
  metadata TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (thread_pk, message_id)
);
CREATE INDEX messages_thread ON messages (thread_pk, seq);

CREATE VIRTUAL TABLE messages_fts USING fts5 (
  content,
  content = 'messages',
  content_rowid = 'seq',
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts (rowid, content) VALUES (new.seq, new.content);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.seq, old.content);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.seq, old.content);
  INSERT INTO messages_fts (rowid, content) VALUES (new.seq, new.content);
END;

CREATE TABLE tool_calls (
  seq INTEGER PRIMARY KEY,
  thread_pk INTEGER NOT NULL REFERENCES threads (thread_pk) ON DELETE CASCADE,
  tool_call_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  arguments TEXT NOT NULL,
  result TEXT,
  error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  started_at INTEGER,
  completed_at INTEGER,
  UNIQUE (thread_pk, tool_call_id)
);
CREATE INDEX tool_calls_message ON tool_calls (thread_pk, message_id);

CREATE TABLE artifacts (
  seq INTEGER PRIMARY KEY,
  thread_pk INTEGER NOT NULL REFERENCES threads (thread_pk) ON DELETE CASCADE,
  artifact_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  artifact_type TEXT NOT NULL,
  title TEXT NOT NULL,
  content TEXT,
  metadata TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (thread_pk, artifact_id)
);
CREATE INDEX artifacts_message ON artifacts (thread_pk, message_id);

CREATE TABLE token_usage (
  seq INTEGER PRIMARY KEY,
  thread_pk INTEGER NOT NULL REFERENCES threads (thread_pk) ON DELETE CASCADE,
  usage_id TEXT NOT NULL UNIQUE,
  message_id TEXT NOT NULL,
  model TEXT,
  prompt_tokens INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  total_tokens INTEGER NOT NULL,
  cost_usd REAL,
  created_at INTEGER NOT NULL
);
CREATE INDEX token_usage_thread ON token_usage (thread_pk);

CREATE TABLE resources (
  seq INTEGER PRIMARY KEY,
  thread_pk INTEGER NOT NULL REFERENCES threads (thread_pk) ON DELETE CASCADE,
  resource_id TEXT NOT NULL,
  uri TEXT NOT NULL,
  name TEXT NOT NULL,
  mime_type TEXT,
  content TEXT,
  size INTEGER,
  created_at INTEGER NOT NULL,
  UNIQUE (thread_pk, resource_id)
);

CREATE TABLE skills (
  seq INTEGER PRIMARY KEY,
  thread_pk INTEGER NOT NULL REFERENCES threads (thread_pk) ON DELETE CASCADE,
  skill_id TEXT NOT NULL,
  name TEXT NOT NULL,
  metadata TEXT NOT NULL,
  activated_at INTEGER NOT NULL,
  UNIQUE (thread_pk, skill_id)
);
`;

/**
 * The steps from each older schema version to the next, in order: `MIGRATIONS[n - 1]` takes a
 * database from version n to n + 1. Each runs inside the transaction of `migrateSchema`.
 */
const MIGRATIONS: readonly ((database: Database) => void)[] = [
  // 1 → 2: sessions get a version; every existing session is at version 1.
  (database) => {
    database.exec('ALTER TABLE sessions ADD COLUMN version INTEGER NOT NULL DEFAULT 1');
  },
  // 2 → 3: the transient store's table.
  (database) => {
    database.exec(`CREATE TABLE transient (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL,
      expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX transient_expires_at ON transient (expires_at);`);
  },
];

/**
 * Creates the schema and seeds the role table when the database is new; migrates an older one
 * in place (its rows kept); refuses a newer one. Everything runs in one immediate transaction: a
 * failure leaves the database as it was, and of several processes opening one file at once,
 * one migrates and the others find it done.
 */
export function migrateSchema(database: Database): void {
  // Checked before taking the write lock: an up-to-date database opens while another process
  // writes to it.
  if (database.pragma('user_version', { simple: true }) === SCHEMA_VERSION) {
    return;
  }
  database
    .transaction(() => {
      const version = database.pragma('user_version', { simple: true }) as number;
      if (version === SCHEMA_VERSION) {
        return;
      }
      if (version > SCHEMA_VERSION) {
        throw new StateConfigurationError(
          `The SQLite database was written by a newer version of @livegate/state ` +
            `(schema ${version}; this version knows ${SCHEMA_VERSION})`,
        );
      }
      if (version === 0) {
        const { tables } = database
          .prepare<[], { tables: number }>('SELECT count(*) AS tables FROM sqlite_schema')
          .get()!;
        if (tables > 0) {
          throw new StateConfigurationError(
            'The SQLite database holds tables of another application; choose another sqlitePath',
          );
        }
        database.exec(SCHEMA);
        const seed = database.prepare('INSERT INTO roles (role, permissions) VALUES (?, ?)');
        for (const [role, permissions] of Object.entries(DEFAULT_ROLE_PERMISSIONS)) {
          seed.run(role, JSON.stringify(permissions));
        }
      } else {
        for (let step = version; step < SCHEMA_VERSION; step += 1) {
          MIGRATIONS[step - 1](database);
        }
      }
      database.pragma(`user_version = ${SCHEMA_VERSION}`);
    })
    .immediate();
}
