import type { Statement } from 'better-sqlite3';
import type { GroupCommit } from './group-commit.js';
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

/**
 * Settled rows past the retention are deleted a few at a time in every commit: up to this many
 * per row written, so pruning keeps pace with any arrival rate without one long delete.
 */
const PRUNED_PER_WRITE = 2;
const MIN_PRUNED_PER_COMMIT = 16;

/** `inbox_store: "sqlite"` (the default): pending messages survive a crash and are replayed. */
export class SqliteInbox implements Inbox {
  private readonly insert: Statement<[string, string, string, string, number, string, number | null]>;
  private readonly settle: Statement<[string, string | null, number, string]>;
  private readonly attempt: Statement<[string]>;
  private readonly select: Statement<[string], InboxRow>;
  private readonly prune: Statement<[number, number]>;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly writes: GroupCommit,
    private readonly now: () => number = Date.now,
  ) {
    this.insert = db.prepare('INSERT OR IGNORE INTO inbox (id, channel, session_key, raw, received_at, status, settled_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.settle = db.prepare("UPDATE inbox SET status = ?, reason = ?, settled_at = ? WHERE id = ? AND status = 'pending'");
    this.attempt = db.prepare('UPDATE inbox SET attempts = attempts + 1 WHERE id = ?');
    this.select = db.prepare("SELECT id, channel, session_key, raw, received_at, attempts FROM inbox WHERE status = 'pending' AND channel = ? ORDER BY seq");
    this.prune = db.prepare("DELETE FROM inbox WHERE seq IN (SELECT seq FROM inbox WHERE settled_at < ? AND status != 'pending' ORDER BY settled_at LIMIT ?)");
    writes.afterEachCommit((count) => this.prune.run(this.now() - SETTLED_RETENTION_MS, Math.max(MIN_PRUNED_PER_COMMIT, count * PRUNED_PER_WRITE)));
  }

  add(entry: Omit<InboxEntry, 'attempts'>): Promise<boolean> {
    return this.writes.write(() => this.insert.run(entry.id, entry.channel, entry.sessionKey, entry.rawJson, entry.receivedAt, 'pending', null).changes === 1);
  }

  addSettled(id: string, channel: string, at: number): Promise<boolean> {
    return this.writes.write(() => this.insert.run(id, channel, '', 'null', at, 'done', at).changes === 1);
  }

  markDone(id: string): void {
    const at = this.now();
    this.writes.defer(() => this.settle.run('done', null, at, id));
  }

  markFailed(id: string, reason: string): void {
    const at = this.now();
    this.writes.defer(() => this.settle.run('failed', reason, at, id));
  }

  recordAttempt(id: string): void {
    this.writes.defer(() => this.attempt.run(id));
  }

  pending(channel: string): InboxEntry[] {
    this.writes.flush();
    return this.select.all(channel).map((row) => ({
      id: row.id,
      channel: row.channel,
      sessionKey: row.session_key,
      rawJson: row.raw,
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
}
