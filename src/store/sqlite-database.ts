import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;

/**
 * The embedded store (data_dir/weworktop.db). WAL lets the callback's insert commit without
 * waiting for readers; synchronous=NORMAL keeps a committed row through a process crash (the
 * case we guard against) at a fraction of FULL's fsync cost; a power cut may lose the last commits.
 */
export function openDatabase(dataDir: string): SqliteDatabase {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, 'weworktop.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(`
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
      settled_at INTEGER
    );
    CREATE INDEX IF NOT EXISTS inbox_pending ON inbox (status, channel, seq);
    CREATE INDEX IF NOT EXISTS inbox_settled ON inbox (settled_at);
    CREATE TABLE IF NOT EXISTS sessions (
      id TEXT PRIMARY KEY,
      turns TEXT NOT NULL,
      last_active INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS sessions_last_active ON sessions (last_active);
  `);
  return db;
}
