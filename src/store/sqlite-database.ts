import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;

/** Acknowledged messages (and recently settled ids, for dedupe), written by the main thread. */
export const INBOX_DB = 'weworktop.db';
/** Conversations, written by the answer worker: a file of its own, so the two threads never wait for each other's write lock. */
export const SESSIONS_DB = 'sessions.db';

const INBOX_SCHEMA = `
  CREATE TABLE IF NOT EXISTS inbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    session_key TEXT NOT NULL,
    raw TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    reason TEXT,
    settled_at INTEGER,
    outcome TEXT,
    parts_sent INTEGER NOT NULL DEFAULT 0
  );
  -- No index but id's: each one is pages written on every callback's commit. Rows are found by
  -- seq (the insertion order) instead; earlier versions had two more indexes.
  DROP INDEX IF EXISTS inbox_pending;
  DROP INDEX IF EXISTS inbox_settled;
`;

const SESSIONS_SCHEMA = `
  CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    turns TEXT NOT NULL,
    last_active INTEGER NOT NULL,
    backend_state TEXT
  );
  CREATE INDEX IF NOT EXISTS sessions_last_active ON sessions (last_active);
`;

/** Each connection's page cache, in KiB. */
const PAGE_CACHE_KIB = 256;

/**
 * An embedded store in data_dir. WAL lets a commit go through without waiting for readers;
 * synchronous=NORMAL keeps a committed row through a process crash (the case we guard against) at
 * a fraction of FULL's fsync cost; a power cut may lose the last commits. Checkpoints run on the
 * answer worker (wal-checkpoints.ts), off the main thread's event loop, so the connection's own are off.
 */
function openStore(dataDir: string, file: string, schema: string): SqliteDatabase {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, file));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('wal_autocheckpoint = 0');
  // A page missing from this cache is read from the OS's file cache; SQLite's 2 MB per connection
  // stayed resident after a burst (docs/performance.md, SQLite's page cache).
  db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
  db.exec(schema);
  return db;
}

export function openInboxDatabase(dataDir: string): SqliteDatabase {
  const db = openStore(dataDir, INBOX_DB, INBOX_SCHEMA);
  addAnswerColumns(db);
  moveOldSessions(db, path.join(dataDir, SESSIONS_DB));
  return db;
}

/** Inboxes written before answers were kept with their messages get the two columns. */
function addAnswerColumns(db: SqliteDatabase): void {
  const columns = new Set((db.prepare('PRAGMA table_info(inbox)').all() as Array<{ name: string }>).map((column) => column.name));
  if (!columns.has('outcome')) db.exec('ALTER TABLE inbox ADD COLUMN outcome TEXT');
  if (!columns.has('parts_sent')) db.exec('ALTER TABLE inbox ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0');
}

export function openSessionsDatabase(dataDir: string): SqliteDatabase {
  const db = openStore(dataDir, SESSIONS_DB, SESSIONS_SCHEMA);
  // A deleted conversation (#清除记忆, expiry, retention_days) is overwritten with zeros, not left in free pages.
  db.pragma('secure_delete = ON');
  // Files written before backends kept state of their own (Dify's conversation_id) get the column.
  const columns = db.prepare('PRAGMA table_info(sessions)').all() as Array<{ name: string }>;
  if (!columns.some((column) => column.name === 'backend_state')) db.exec('ALTER TABLE sessions ADD COLUMN backend_state TEXT');
  return db;
}

/** Conversations saved before they had a file of their own move there once (idempotent if interrupted). */
function moveOldSessions(db: SqliteDatabase, sessionsFile: string): void {
  if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sessions'").get()) return;
  openSessionsDatabase(path.dirname(sessionsFile)).close();
  db.prepare('ATTACH DATABASE ? AS moved').run(sessionsFile);
  try {
    db.exec(
      'INSERT OR IGNORE INTO moved.sessions (id, turns, last_active) SELECT id, turns, last_active FROM main.sessions; DROP TABLE main.sessions;',
    );
  } finally {
    db.exec('DETACH DATABASE moved');
  }
}
