import type { Statement } from 'better-sqlite3';
import type { GroupCommit } from './group-commit.js';
import {
  IDEMPOTENCY_WINDOW_MS,
  type NewOutboundEntry,
  type OutboundEntry,
  type OutboundKind,
  type OutboundQueue,
  type OutboundStatus,
} from './outbound-queue.js';
import type { SqliteDatabase } from './sqlite-database.js';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS outbound (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    order_key TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    parts_sent INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    idempotency_key TEXT,
    UNIQUE (kind, id)
  );
  CREATE INDEX IF NOT EXISTS outbound_idempotency ON outbound (idempotency_key) WHERE idempotency_key IS NOT NULL;
  -- Settled rows by age, for pruning: a queued row (every insert) writes no entry here.
  CREATE INDEX IF NOT EXISTS outbound_settled ON outbound (created_at) WHERE status != 'queued';
`;

interface OutboundRow {
  kind: OutboundKind;
  id: string;
  order_key: string;
  body: string;
  created_at: number;
  status: OutboundStatus;
  attempts: number;
  parts_sent: number;
  error: string | null;
}

const COLUMNS = 'kind, id, order_key, body, created_at, status, attempts, parts_sent, error';
/** Settled rows past the window go in batches this large, every 10 seconds (up to 500 a second). */
const PRUNE_BATCH = 5000;
const PRUNE_EVERY_MS = 10_000;

const toEntry = (row: OutboundRow): OutboundEntry => ({
  kind: row.kind,
  id: row.id,
  orderKey: row.order_key,
  bodyJson: row.body,
  createdAt: row.created_at,
  status: row.status,
  attempts: row.attempts,
  partsSent: row.parts_sent,
  ...(row.error === null ? {} : { errorJson: row.error }),
});

/** The outbound queue in the inbox's SQLite file (weworktop.db), written through the inbox's group commit. */
export class SqliteOutbound implements OutboundQueue {
  private readonly insert: Statement<[string, string, string, string, number, string | null]>;
  private readonly byKey: Statement<[string], { kind: string; id: string; created_at: number }>;
  private readonly dropKey: Statement<[string]>;
  private readonly one: Statement<[string, string], OutboundRow>;
  private readonly waiting: Statement<[string], OutboundRow>;
  private readonly attempt: Statement<[string, string]>;
  private readonly progress: Statement<[number, string, string]>;
  private readonly settleRow: Statement<[string, string | null, string, string]>;
  private readonly prune: Statement<[number, number]>;
  private pruneTimer: NodeJS.Timeout | undefined;

  constructor(
    db: SqliteDatabase,
    private readonly writes: GroupCommit,
    private readonly now: () => number = Date.now,
  ) {
    db.exec(SCHEMA);
    this.insert = db.prepare(
      "INSERT OR IGNORE INTO outbound (kind, id, order_key, body, created_at, status, idempotency_key) VALUES (?, ?, ?, ?, ?, 'queued', ?)",
    );
    this.byKey = db.prepare('SELECT kind, id, created_at FROM outbound WHERE idempotency_key = ?');
    this.dropKey = db.prepare('UPDATE outbound SET idempotency_key = NULL WHERE idempotency_key = ?');
    this.one = db.prepare(`SELECT ${COLUMNS} FROM outbound WHERE kind = ? AND id = ?`);
    this.waiting = db.prepare(`SELECT ${COLUMNS} FROM outbound WHERE kind = ? AND status = 'queued' ORDER BY seq`);
    this.attempt = db.prepare('UPDATE outbound SET attempts = attempts + 1 WHERE kind = ? AND id = ?');
    this.progress = db.prepare('UPDATE outbound SET parts_sent = ? WHERE kind = ? AND id = ?');
    this.settleRow = db.prepare("UPDATE outbound SET status = ?, error = ? WHERE kind = ? AND id = ? AND status = 'queued'");
    this.prune = db.prepare(
      "DELETE FROM outbound WHERE seq IN (SELECT seq FROM outbound WHERE status != 'queued' AND created_at < ? LIMIT ?)",
    );
    this.pruneExpired();
  }

  /** Expired settled rows go in bounded batches, riding on the group commit; the next batch 10 s later. */
  private pruneExpired(): void {
    this.writes.defer(() => this.prune.run(this.now() - IDEMPOTENCY_WINDOW_MS, PRUNE_BATCH));
    this.pruneTimer = setTimeout(() => this.pruneExpired(), PRUNE_EVERY_MS);
    this.pruneTimer.unref();
  }

  close(): void {
    clearTimeout(this.pruneTimer);
  }

  add(entry: NewOutboundEntry): Promise<{ id: string; created: boolean }> {
    return this.writes.write(() => {
      const key = entry.idempotencyKey === undefined ? null : `${entry.kind}:${entry.idempotencyKey}`;
      if (key !== null) {
        const earlier = this.byKey.get(key);
        if (earlier && earlier.created_at > this.now() - IDEMPOTENCY_WINDOW_MS) return { id: earlier.id, created: false };
        if (earlier) this.dropKey.run(key);
      }
      const created = this.insert.run(entry.kind, entry.id, entry.orderKey, entry.bodyJson, entry.createdAt, key).changes === 1;
      return { id: entry.id, created };
    });
  }

  async get(kind: OutboundKind, id: string): Promise<OutboundEntry | undefined> {
    this.writes.flush();
    const row = this.one.get(kind, id);
    return row && toEntry(row);
  }

  async queued(kind: OutboundKind): Promise<OutboundEntry[]> {
    this.writes.flush();
    return this.waiting.all(kind).map(toEntry);
  }

  recordAttempt(kind: OutboundKind, id: string): void {
    this.writes.defer(() => this.attempt.run(kind, id));
  }

  recordProgress(kind: OutboundKind, id: string, partsSent: number): void {
    this.writes.defer(() => this.progress.run(partsSent, kind, id));
  }

  settle(kind: OutboundKind, id: string, status: 'sent' | 'failed', errorJson?: string): void {
    this.writes.defer(() => this.settleRow.run(status, errorJson ?? null, kind, id));
  }
}
