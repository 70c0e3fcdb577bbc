import path from 'node:path';
import Database, { type Statement } from 'better-sqlite3';
import { openingStore, prepareDataDir } from '../../../src/store/store-open-errors.js';
import type { KfStore, PullToken } from './kf-store.js';

/** Beside the inbox in data_dir: the puller's own file, written by the main thread only. */
export const KF_DB = 'kf.db';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS kf_accounts (
    open_kfid TEXT PRIMARY KEY,
    cursor TEXT,
    token TEXT,
    token_at INTEGER
  );
  CREATE TABLE IF NOT EXISTS kf_deployment (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    enabled_at INTEGER NOT NULL
  );
`;

interface AccountRow {
  cursor: string | null;
  token: string | null;
  token_at: number | null;
}

/**
 * `inbox_store: "sqlite"`: the cursors survive restarts, so a restart neither answers a message
 * twice nor skips one. Each write is its own small transaction (WAL, synchronous=NORMAL, as the
 * inbox): they come once per callback and once per pulled page, not once per message.
 */
export class SqliteKfStore implements KfStore {
  private readonly db: Database.Database;
  private readonly select: Statement<[string], AccountRow>;
  private readonly insert: Statement<[string]>;
  private readonly updateCursor: Statement<[string, string]>;
  private readonly updateToken: Statement<[string, number, string]>;

  constructor(dataDir: string, configuredDataDir: string) {
    prepareDataDir(configuredDataDir, dataDir);
    const file = path.join(dataDir, KF_DB);
    this.db = openingStore(file, configuredDataDir, { what: '微信客服 cursors', table: 'kf_accounts' }, () => {
      const db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      db.exec(SCHEMA);
      return db;
    });
    this.select = this.db.prepare('SELECT cursor, token, token_at FROM kf_accounts WHERE open_kfid = ?');
    this.insert = this.db.prepare('INSERT OR IGNORE INTO kf_accounts (open_kfid) VALUES (?)');
    this.updateCursor = this.db.prepare('UPDATE kf_accounts SET cursor = ? WHERE open_kfid = ?');
    this.updateToken = this.db.prepare('UPDATE kf_accounts SET token = ?, token_at = ? WHERE open_kfid = ?');
  }

  cursor(openKfid: string): string | undefined {
    return this.select.get(openKfid)?.cursor ?? undefined;
  }

  saveCursor(openKfid: string, cursor: string): void {
    this.insert.run(openKfid);
    this.updateCursor.run(cursor, openKfid);
  }

  enabledAt(now: number): number {
    this.db.prepare('INSERT OR IGNORE INTO kf_deployment (id, enabled_at) VALUES (1, ?)').run(now);
    return (this.db.prepare('SELECT enabled_at FROM kf_deployment WHERE id = 1').get() as { enabled_at: number }).enabled_at;
  }

  remember(openKfid: string): void {
    this.insert.run(openKfid);
  }

  saveToken(openKfid: string, token: PullToken): void {
    this.insert.run(openKfid);
    this.updateToken.run(token.token, token.at, openKfid);
  }

  token(openKfid: string): PullToken | undefined {
    const row = this.select.get(openKfid);
    return row?.token && row.token_at !== null ? { token: row.token, at: row.token_at } : undefined;
  }

  accounts(): string[] {
    return (this.db.prepare('SELECT open_kfid FROM kf_accounts ORDER BY open_kfid').all() as Array<{ open_kfid: string }>).map(
      (row) => row.open_kfid,
    );
  }

  close(): void {
    this.db.close();
  }
}
