import type { Channel, MessageHandler } from './channel.js';
import { KeyedWorkQueue } from './keyed-work-queue.js';
import type { Logger } from './logger.js';
import type { NormalizedMessage } from './message.js';
import { RecentKeys } from './recent-keys.js';

export type IntakeResult = 'accepted' | 'duplicate' | 'busy';

export interface MessageIntakeOptions {
  channel: Channel;
  handler: MessageHandler;
  logger: Logger;
  concurrency: number;
  maxQueue: number;
  /** Platforms retry unanswered callbacks (WeCom: 3 times, 5 s apart); remember ids this long. */
  dedupeTtlMs: number;
  /** Tells the user their message was dropped because the queue is full. */
  onBusy: (message: NormalizedMessage) => Promise<void>;
}

/**
 * Where a channel hands over a received message, inside the HTTP request: dedupe, then the worker
 * queue (one conversation at a time, in order). It returns at once so the channel can ack.
 */
export class MessageIntake {
  private readonly queue: KeyedWorkQueue;
  private readonly recent: RecentKeys;

  constructor(private readonly options: MessageIntakeOptions) {
    this.recent = new RecentKeys({ ttlMs: options.dedupeTtlMs, maxEntries: 100_000 });
    this.queue = new KeyedWorkQueue({
      concurrency: options.concurrency,
      maxWaiting: options.maxQueue,
      onError: (error, key) => options.logger.error({ session: key, err: (error as Error)?.stack ?? String(error) }, 'message handling failed'),
    });
  }

  /** True if this id was already taken (a platform retry); records it otherwise. */
  seen(id: string): boolean {
    return this.recent.checkAndAdd(id);
  }

  /** Dedupes and queues a message for the pipeline; `handle` replaces the default pipeline call. */
  submit(message: NormalizedMessage, handle?: () => Promise<void>): IntakeResult {
    if (this.seen(message.id)) {
      this.options.logger.debug({ id: message.id }, 'duplicate callback (platform retry) ignored');
      return 'duplicate';
    }
    const run = handle ?? (() => this.options.handler.handle(message, this.options.channel));
    if (this.queue.enqueue(this.options.handler.sessionKey(message), run)) return 'accepted';
    this.options.logger.warn({ id: message.id, from: message.senderId, max_queue: this.options.maxQueue }, 'queue full: message dropped, user told to retry');
    void this.options.onBusy(message).catch((error: Error) => this.options.logger.warn({ err: error.message }, 'busy notice failed'));
    return 'busy';
  }

  /** Queues channel work that is not a pipeline message (e.g. a welcome text), in `key`'s order. */
  run(key: string, task: () => Promise<void>): boolean {
    return this.queue.enqueue(key, task);
  }

  get queued(): number {
    return this.queue.size;
  }

  onIdle(): Promise<void> {
    return this.queue.onIdle();
  }
}
