import type { Logger } from '../logger.js';
import type { Awaitable, Inbox, InboxEntry } from '../store/inbox.js';
import { type AnswerJob, jobFromInbox } from './answer-dispatch.js';

/** A message waiting for room in the answer worker: the rest of it stays in the inbox. */
export interface WaitingMessage {
  id: string;
  /** As AnswerJob.receivedAt (the inbox keeps it to the millisecond only). */
  receivedAt: number;
  replayed: boolean;
}

export interface BacklogOptions {
  inbox: Inbox;
  logger: Logger;
  /** Whether the worker has room for one more message now. */
  hasRoom: () => boolean;
  /** Hands a message read back from the inbox to the worker. */
  give: (job: Omit<AnswerJob, 'kind'>) => void;
  /** A message that could not be read from the inbox is tried again after this long. */
  retryMs?: number;
}

/** Dropped slots are let go once this many have piled up at the front. */
const COMPACT_AFTER = 1024;
const RETRY_MS = 1000;

/**
 * The messages beyond what the answer worker is given at once, oldest first, as ids: in a burst
 * of 10,000 callbacks the texts wait on disk, not in two threads' heaps. `topUp` reads them back
 * from the inbox, in order, as the worker settles what it holds.
 */
export class Backlog {
  private items: WaitingMessage[] = [];
  private head = 0;
  /** Settled while still waiting here (covered by the answer to an earlier message of its burst). */
  private readonly settledHere = new Set<string>();
  /** Set while a read that failed waits to be tried again: one retry, not one per settled message. */
  private retry: NodeJS.Timeout | undefined;
  /** Set while the first message is read from a shared inbox. */
  private reading = false;

  constructor(private readonly options: BacklogOptions) {}

  get size(): number {
    return this.items.length - this.head;
  }

  push(message: WaitingMessage): void {
    this.items.push(message);
  }

  /** A message settled without being given to the worker: it is skipped when its turn comes. */
  settledWhileWaiting(id: string): void {
    if (this.size > 0) this.settledHere.add(id);
  }

  /** Tops the worker up, oldest first, each message read back from the inbox. */
  topUp(): void {
    if (this.retry || this.reading) return;
    while (this.options.hasRoom()) {
      const waiting = this.items[this.head];
      if (!waiting) return;
      let read: Awaitable<InboxEntry | undefined>;
      try {
        read = this.options.inbox.entry(waiting.id);
      } catch (error) {
        this.retryLater(waiting.id, error);
        return;
      }
      if (read instanceof Promise) {
        // A shared inbox answers later: the message keeps its place (and later ones theirs) meanwhile.
        this.reading = true;
        read.then(
          (entry) => {
            this.reading = false;
            this.giveFirst(entry);
            this.topUp();
          },
          (error: unknown) => {
            this.reading = false;
            this.retryLater(waiting.id, error);
          },
        );
        return;
      }
      this.giveFirst(read);
    }
  }

  /** The store failed (disk, lock, network): the message keeps its place and is tried again shortly. */
  private retryLater(id: string, error: unknown): void {
    const retryMs = this.options.retryMs ?? RETRY_MS;
    this.options.logger.error(
      { id, err: (error as Error).message, retry_in_ms: retryMs },
      'could not read a waiting message from the inbox',
    );
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.topUp();
    }, retryMs).unref();
  }

  /** The first message, read back from the inbox, goes to the worker. */
  private giveFirst(entry: InboxEntry | undefined): void {
    const waiting = this.shift()!;
    if (!entry) {
      if (!this.settledHere.delete(waiting.id))
        this.options.logger.error({ id: waiting.id }, 'a waiting message is no longer pending in the inbox; skipped');
      return;
    }
    this.options.give({ ...jobFromInbox(entry, waiting.replayed), receivedAt: waiting.receivedAt });
  }

  private shift(): WaitingMessage | undefined {
    if (this.head === this.items.length) return undefined;
    const next = this.items[this.head++];
    // An array's shift() copies it every time; the front is cut off in one go instead.
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return next;
  }
}
