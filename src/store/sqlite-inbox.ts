import type { RunResult, Statement } from 'better-sqlite3';
import type { GroupCommit } from './group-commit.js';
import { type Inbox, type InboxEntry, SETTLED_RETENTION_MS } from './inbox.js';
import type { SqliteDatabase } from './sqlite-database.js';

interface InboxRow {
  id: string;
  channel: string;
  session_key: string;
  raw: string;
  received_at: number;
  attempts: number;
  outcome: string | null;
  parts_sent: number;
}

/**
 * Settled rows past the retention are deleted a few at a time in every commit: up to this many
 * per row written, so pruning keeps pace with any arrival rate without one long delete.
 */
const PRUNED_PER_WRITE = 2;
const MIN_PRUNED_PER_COMMIT = 16;
/** How often the seq reached is noted with the time, to know which rows are old enough to go. */
const MARK_EVERY_MS = 1000;

const toEntry = (row: InboxRow): InboxEntry => ({
  id: row.id,
  channel: row.channel,
  sessionKey: row.session_key,
  rawJson: row.raw,
  receivedAt: row.received_at,
  attempts: row.attempts,
  ...(row.outcome === null ? {} : { outcomeJson: row.outcome }),
  partsSent: row.parts_sent,
});
const COLUMNS = 'id, channel, session_key, raw, received_at, attempts, outcome, parts_sent';

/** `inbox_store: "sqlite"` (the default): pending messages survive a crash and are replayed. */
export class SqliteInbox implements Inbox {
  private readonly insert: Statement<[string, string, string, string, number, string, number | null]>;
  private readonly settle: Statement<[string, string | null, number, string]>;
  private readonly attempt: Statement<[string]>;
  private readonly outcome: Statement<[string, string]>;
  private readonly progress: Statement<[number, string]>;
  private readonly select: Statement<[string], InboxRow>;
  private readonly selectOne: Statement<[string], InboxRow>;
  private readonly prune: Statement<[number, number, number]>;
  private readonly erase: Statement<[string]>;
  /**
   * Rows are written in time order, so seq tells age: every second the last seq is noted with the
   * time, and rows up to a mark older than the retention may go. Pruning walks seq from `pruneFrom`.
   */
  private readonly marks: Array<{ seq: number; at: number }> = [];
  private pruneFrom: number;
  private lastSeq: number;
  private previousCommit: { seq: number; at: number };
  /** Rows up to this seq were written before the retention window. */
  private pruneUpTo = 0;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly writes: GroupCommit,
    private readonly now: () => number = Date.now,
  ) {
    this.insert = db.prepare(
      'INSERT OR IGNORE INTO inbox (id, channel, session_key, raw, received_at, status, settled_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.settle = db.prepare("UPDATE inbox SET status = ?, reason = ?, settled_at = ? WHERE id = ? AND status = 'pending'");
    this.attempt = db.prepare('UPDATE inbox SET attempts = attempts + 1 WHERE id = ?');
    this.outcome = db.prepare('UPDATE inbox SET outcome = ? WHERE id = ?');
    this.progress = db.prepare('UPDATE inbox SET parts_sent = ? WHERE id = ?');
    this.select = db.prepare(`SELECT ${COLUMNS} FROM inbox WHERE status = 'pending' AND channel = ? ORDER BY seq`);
    this.selectOne = db.prepare(`SELECT ${COLUMNS} FROM inbox WHERE id = ? AND status = 'pending'`);
    this.prune = db.prepare(
      "DELETE FROM inbox WHERE seq IN (SELECT seq FROM inbox WHERE seq BETWEEN ? AND ? AND status != 'pending' LIMIT ?)",
    );
    this.erase = db.prepare("UPDATE inbox SET raw = 'null', outcome = NULL WHERE session_key = ? AND status != 'pending'");
    // What the last run left: expired rows go now (one scan at start), the rest 15 minutes from now.
    db.prepare("DELETE FROM inbox WHERE received_at < ? AND status != 'pending'").run(this.now() - SETTLED_RETENTION_MS);
    this.lastSeq = (db.prepare('SELECT max(seq) AS seq FROM inbox').get() as { seq: number | null }).seq ?? 0;
    this.previousCommit = { seq: this.lastSeq, at: this.now() };
    this.pruneFrom = this.lastSeq + 1;
    writes.afterEachCommit((count) => this.pruneSome(count));
  }

  add(entry: Omit<InboxEntry, 'attempts' | 'partsSent' | 'outcomeJson'>): Promise<boolean> {
    return this.writes.write(() =>
      this.inserted(this.insert.run(entry.id, entry.channel, entry.sessionKey, entry.rawJson, entry.receivedAt, 'pending', null)),
    );
  }

  addSettled(id: string, channel: string, at: number): Promise<boolean> {
    return this.writes.write(() => this.inserted(this.insert.run(id, channel, '', 'null', at, 'done', at)));
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

  async saveOutcome(id: string, outcomeJson: string): Promise<void> {
    await this.writes.write(() => this.outcome.run(outcomeJson, id));
  }

  recordProgress(id: string, partsSent: number): void {
    this.writes.defer(() => this.progress.run(partsSent, id));
  }

  pending(channel: string): InboxEntry[] {
    this.writes.flush();
    return this.select.all(channel).map(toEntry);
  }

  entry(id: string): InboxEntry | undefined {
    const row = this.selectOne.get(id);
    return row && toEntry(row);
  }

  /**
   * A scan of the inbox (settled rows stay 15 minutes), for a rare command. secure_delete only for
   * it: the old texts are zeroed, also in freed overflow pages, without zeroing every pruned row.
   */
  async forget(sessionKey: string): Promise<void> {
    await this.writes.write(() => {
      this.db.pragma('secure_delete = ON');
      try {
        this.erase.run(sessionKey);
      } finally {
        this.db.pragma('secure_delete = OFF');
      }
    });
  }

  healthy(): boolean {
    try {
      return this.db.open && this.db.prepare('SELECT 1 AS ok').get() !== undefined;
    } catch {
      return false;
    }
  }

  private inserted(result: RunResult): boolean {
    if (result.changes !== 1) return false;
    this.lastSeq = Number(result.lastInsertRowid);
    return true;
  }

  /**
   * Inside a commit: at most once a second it notes how far the rows went at the previous commit
   * (all of them written by then), and deletes a few settled rows up to the newest expired mark.
   */
  private pruneSome(written: number): void {
    const now = this.now();
    const last = this.marks.at(-1);
    if (!last || (now - last.at >= MARK_EVERY_MS && this.previousCommit.seq > last.seq)) this.marks.push(this.previousCommit);
    this.previousCommit = { seq: this.lastSeq, at: now };
    while (this.marks.length > 0 && this.marks[0]!.at < now - SETTLED_RETENTION_MS) this.pruneUpTo = this.marks.shift()!.seq;
    if (this.pruneUpTo < this.pruneFrom) return;
    const limit = Math.max(MIN_PRUNED_PER_COMMIT, written * PRUNED_PER_WRITE);
    // Fewer than asked: the range is done (a row still pending in it goes at the next start's scan).
    if (this.prune.run(this.pruneFrom, this.pruneUpTo, limit).changes < limit) this.pruneFrom = this.pruneUpTo + 1;
  }
}
