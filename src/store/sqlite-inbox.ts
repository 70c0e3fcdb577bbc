import type { Statement } from 'better-sqlite3';
import { SETTLED_RETENTION_MS, type Inbox, type InboxEntry } from './inbox.js';
import type { SqliteDatabase } from './sqlite-database.js';

interface InboxRow {
  id: string;
  channel: string;
  session_key: string;
  raw: string;
  received_at: number;
  attempts: number;
}

/** Settled rows are pruned at most this often (a cheap indexed delete, off the hot path's common case). */
const PRUNE_EVERY_MS = 60_000;

/** `inbox_store: "sqlite"` (the default): pending messages survive a crash and are replayed. */
export class SqliteInbox implements Inbox {
  private readonly insert: Statement<[string, string, string, string, number, string, number | null]>;
  private readonly settle: Statement<[string, string | null, number, string]>;
  private readonly attempt: Statement<[string]>;
  private readonly select: Statement<[string], InboxRow>;
  private readonly prune: Statement<[number]>;
  private lastPrune = 0;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly now: () => number = Date.now,
  ) {
    this.insert = db.prepare('INSERT OR IGNORE INTO inbox (id, channel, session_key, raw, received_at, status, settled_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.settle = db.prepare("UPDATE inbox SET status = ?, reason = ?, settled_at = ? WHERE id = ? AND status = 'pending'");
    this.attempt = db.prepare('UPDATE inbox SET attempts = attempts + 1 WHERE id = ? RETURNING attempts');
    this.select = db.prepare("SELECT id, channel, session_key, raw, received_at, attempts FROM inbox WHERE status = 'pending' AND channel = ? ORDER BY seq");
    this.prune = db.prepare("DELETE FROM inbox WHERE status != 'pending' AND settled_at < ?");
  }

  add(entry: Omit<InboxEntry, 'attempts'>): boolean {
    this.maybePrune();
    return this.insert.run(entry.id, entry.channel, entry.sessionKey, JSON.stringify(entry.raw), entry.receivedAt, 'pending', null).changes === 1;
  }

  addSettled(id: string, channel: string, at: number): boolean {
    return this.insert.run(id, channel, '', 'null', at, 'done', at).changes === 1;
  }

  markDone(id: string): void {
    this.settle.run('done', null, this.now(), id);
  }

  markFailed(id: string, reason: string): void {
    this.settle.run('failed', reason, this.now(), id);
  }

  recordAttempt(id: string): number {
    const row = this.attempt.get(id) as { attempts: number } | undefined;
    return row?.attempts ?? 0;
  }

  pending(channel: string): InboxEntry[] {
    return this.select.all(channel).map((row) => ({
      id: row.id,
      channel: row.channel,
      sessionKey: row.session_key,
      raw: JSON.parse(row.raw) as unknown,
      receivedAt: row.received_at,
      attempts: row.attempts,
    }));
  }

  healthy(): boolean {
    try {
      return this.db.open && this.db.prepare('SELECT 1 AS ok').get() !== undefined;
    } catch {
      return false;
    }
  }

  private maybePrune(): void {
    const now = this.now();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    this.prune.run(now - SETTLED_RETENTION_MS);
  }
}
