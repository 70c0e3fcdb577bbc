/** What waits to leave weworktop: a push to WeCom (`push`), a received message for the bridge's URL (`forward`). */
export type OutboundKind = 'push' | 'forward';

export type OutboundStatus = 'queued' | 'sent' | 'failed';

export interface OutboundEntry {
  kind: OutboundKind;
  /** Unique per kind: the push's id, the forwarded message's id. */
  id: string;
  /** Entries of one key go out one at a time, oldest first (a push's target, a forward's sender). */
  orderKey: string;
  /** What to send, as JSON text. */
  bodyJson: string;
  createdAt: number;
  status: OutboundStatus;
  attempts: number;
  /** Parts that went out already: a restart resumes at the next one. */
  partsSent: number;
  /** Why it failed (JSON), once `failed`. */
  errorJson?: string;
  /**
   * With a shared queue: the exclusive name (ExclusiveHolds) whose holder alone can send it, such
   * as an AI bot's long connection; other processes leave its key alone.
   */
  pool?: string;
}

export type NewOutboundEntry = Pick<OutboundEntry, 'kind' | 'id' | 'orderKey' | 'bodyJson' | 'createdAt' | 'pool'> & {
  /** A client's key: the same one within IDEMPOTENCY_WINDOW_MS gives back the first entry's id. */
  idempotencyKey?: string;
};

/**
 * The durable queue behind the push API and the bridge, beside the inbox (its own table in the
 * same SQLite file). An entry is written before the request that made it is answered, and settled
 * only once sent or given up, so a restart sends what was left.
 */
export interface OutboundQueue {
  /**
   * Stores a new entry; resolves once it is on disk with the id it goes by: an earlier entry's,
   * when its idempotency key (or, for a forward, its id) is already known.
   */
  add(entry: NewOutboundEntry): Promise<{ id: string; created: boolean }>;
  get(kind: OutboundKind, id: string): Promise<OutboundEntry | undefined>;
  /** Entries of a kind still to send, oldest first. */
  queued(kind: OutboundKind): Promise<OutboundEntry[]>;
  /** Soon (a crash just before it is written only forgets the count, or repeats a part). */
  recordAttempt(kind: OutboundKind, id: string): void;
  recordProgress(kind: OutboundKind, id: string, partsSent: number): void;
  settle(kind: OutboundKind, id: string, status: 'sent' | 'failed', errorJson?: string): void;
  /** Set when several processes share the queue (store "redis"): an order key goes out from its lease holder only. */
  shared?: SharedOutbound;
}

/**
 * The claims of a shared queue: a process sends an order key's entries while it holds the key's
 * lease (renewed), so each entry goes out once and in order; a dead holder's keys are taken over
 * once its lease runs out.
 */
export interface SharedOutbound {
  /**
   * Takes up to `maxKeys` order keys nobody holds with entries waiting, of no pool or of a pool
   * held here: their entries, oldest first per key.
   */
  claim(kind: OutboundKind, maxKeys: number): Promise<OutboundEntry[]>;
  /** Once a held key's entries are settled: those queued under it since (still held), [] once released, undefined if lost. */
  more(kind: OutboundKind, orderKey: string, pool?: string): Promise<OutboundEntry[] | undefined>;
  /** Keeps the leases of held keys; resolves with the keys lost meanwhile. */
  renew(kind: OutboundKind, orderKeys: string[]): Promise<string[]>;
  /** Gives keys up (a graceful stop): another process takes them at once. */
  release(kind: OutboundKind, orderKeys: string[]): Promise<void>;
  /** How often the holder renews its leases and looks for keys to claim. */
  readonly leaseMs: number;
}

/** An idempotency key is remembered this long; settled entries are kept as long, for GET /api/messages/<id>. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;
