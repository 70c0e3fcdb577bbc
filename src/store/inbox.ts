/** A received message as the inbox keeps it: enough for its channel to rebuild and answer it. */
export interface InboxEntry {
  /** The message id (the dedupe key). */
  id: string;
  channel: string;
  /** The conversation key: replayed messages keep their per-session order. */
  sessionKey: string;
  /** The channel's own payload (NormalizedMessage.raw) as JSON text: stored, and handed to the answer worker, as it is. */
  rawJson: string;
  receivedAt: number;
  /** Failed attempts so far. */
  attempts: number;
  /** The answer, once it was made (Outcome as JSON): a replay delivers it instead of making it again. */
  outcomeJson?: string;
  /** Parts of the answer that went out already. */
  partsSent: number;
}

/** The embedded stores answer at once, the shared one (Redis) over the network: callers await. */
export type Awaitable<T> = T | Promise<T>;

/**
 * Where acknowledged messages wait until they are answered. A platform stops retrying once we
 * ack, so the entry is written before the ack and only marked done after the reply was sent.
 * Dedupe goes through the same store, so a retry after a restart is still recognized.
 */
export interface Inbox {
  /**
   * Records a new message as pending; resolves false when its id is already known (a platform
   * retry). Resolves once the entry is stored for good: the caller acks only then. `pool`: with
   * several processes, the exclusive name whose holder answers it (ExclusiveHolds); others ignore it.
   */
  add(entry: Omit<InboxEntry, 'attempts' | 'partsSent' | 'outcomeJson'> & { pool?: string }): Promise<boolean>;
  /** Records an id as handled without queueing it (a message refused on arrival), for dedupe. */
  addSettled(id: string, channel: string, at: number): Promise<boolean>;
  /** Settles a message (soon: a crash just before it is written only replays the message). */
  markDone(id: string): void;
  markFailed(id: string, reason: string): void;
  /** Counts a failed attempt, so a replay after a restart knows how many tries are left. */
  recordAttempt(id: string): void;
  /** Keeps a message's answer before any of it is sent; resolves once it is stored for good. */
  saveOutcome(id: string, outcomeJson: string): Promise<void>;
  /** How many parts of the answer went out (soon: a crash just before it is written repeats a part). */
  recordProgress(id: string, partsSent: number): void;
  /** Pending messages of a channel, oldest first. */
  pending(channel: string): Awaitable<InboxEntry[]>;
  /**
   * One pending message, for the answer worker's backlog (which keeps only ids); undefined once
   * settled. Its attempts may miss the last turn's: the backlog reads only messages not tried yet.
   */
  entry(id: string): Awaitable<InboxEntry | undefined>;
  /**
   * Erases the texts (message and answer) of a conversation's settled messages, for #清除记忆; their
   * ids stay, for dedupe. Resolves once that is on disk.
   */
  forget(sessionKey: string): Promise<void>;
  /** True when the store answers (for /readyz). */
  healthy(): boolean;
}

/** How long settled entries are kept for dedupe: WeCom retries 3 times over ~15 s; keep 15 minutes. */
export const SETTLED_RETENTION_MS = 15 * 60 * 1000;
