import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { type DeliveryRetry, OrderedDelivery } from '../outbound/ordered-delivery.js';
import type { OutboundQueue } from '../store/outbound-queue.js';
import type { PushDispatch } from '../worker/push-calls.js';
import type { PushFailure } from './push-failure.js';
import { describeTarget, type PushMessage } from './push-message.js';
import { type PushRequest, PushRequestError } from './push-request.js';

export interface PushStatus {
  id: string;
  status: 'queued' | 'sent' | 'failed';
  /** WeCom's errcode and words (or our reason) once failed; the last failure while retried. */
  error?: { errcode?: number; errmsg?: string; message?: string };
  /** Parts sent so far, for a message split in several. */
  parts?: number;
}

export interface PushServiceOptions {
  queue: OutboundQueue;
  dispatch: PushDispatch;
  /** The channel's check of a message against the config (unknown robot, no AI bot connection...). */
  check(message: PushMessage): { field: string; reason: string } | undefined;
  /** The message with its sender written in (ChannelModule.pushSender). */
  withSender?(message: PushMessage): PushMessage;
  /** With a shared queue: the exclusive name whose holder alone can send the message (ChannelModule.pushPool). */
  poolOf?(message: PushMessage): string | undefined;
  retry: DeliveryRetry;
  concurrency: number;
  logger: Logger;
  metrics?: Metrics;
}

/**
 * The push API's core: a message is checked, stored durably (the answer to the client waits for
 * the disk), then sent through the channel's replier on the answer worker in order per target,
 * retried with backoff while WeCom is down, failed with WeCom's words when it refuses.
 */
export class PushService {
  private readonly delivery: OrderedDelivery;
  private readonly log: Logger;

  constructor(private readonly options: PushServiceOptions) {
    this.log = options.logger.child({ module: 'push' });
    this.delivery = new OrderedDelivery({
      queue: options.queue,
      kind: 'push',
      deliver: (entry) =>
        options.dispatch.push(JSON.parse(entry.bodyJson) as PushMessage, entry.partsSent, (parts) => {
          entry.partsSent = parts;
          options.queue.recordProgress('push', entry.id, parts);
        }),
      judge: (error) => {
        const failure = error as PushFailure;
        const { message: _, transient, ...wecom } = failure;
        return {
          transient,
          errorJson: JSON.stringify(wecom.errcode === undefined ? { message: failure.message } : wecom),
          reason: failure.message,
        };
      },
      retry: options.retry,
      concurrency: options.concurrency,
      logger: this.log,
      ...(options.metrics ? { metrics: options.metrics } : {}),
    });
  }

  /** Starts sending, the messages the last run left first. */
  async start(): Promise<void> {
    const left = await this.delivery.resume();
    if (left > 0) this.log.info({ count: left }, 'sending pushes left queued by the last run');
  }

  /** Stores the message (resolves once on disk) and queues it; an idempotency key seen within 24 h gives back the first id. */
  async submit(request: PushRequest): Promise<{ id: string; created: boolean }> {
    const problem = this.options.check(request.message);
    if (problem) throw new PushRequestError(problem.field, problem.reason);
    const message = this.options.withSender?.(request.message) ?? request.message;
    const pool = this.options.poolOf?.(message);
    const entry = {
      kind: 'push' as const,
      id: randomUUID(),
      // One sender's messages to one target keep their order.
      orderKey: `${message.agentId ?? message.botId ?? ''}/${describeTarget(message.to)}`,
      bodyJson: JSON.stringify(message),
      createdAt: Date.now(),
      ...(pool ? { pool } : {}),
    };
    const stored = await this.options.queue.add({
      ...entry,
      ...(request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey }),
    });
    if (stored.created) {
      this.delivery.enqueue({ ...entry, status: 'queued', attempts: 0, partsSent: 0 });
      this.log.info({ id: entry.id, to: describeTarget(message.to) }, 'push queued');
    }
    return stored;
  }

  async status(id: string): Promise<PushStatus | undefined> {
    const entry = await this.options.queue.get('push', id);
    if (!entry) return undefined;
    return {
      id,
      status: entry.status,
      ...(entry.errorJson ? { error: JSON.parse(entry.errorJson) as PushStatus['error'] & object } : {}),
      ...(entry.partsSent > 0 ? { parts: entry.partsSent } : {}),
    };
  }

  /** Queued here and not yet sent or given up. */
  get pending(): number {
    return this.delivery.pending;
  }

  stop(timeoutMs: number): Promise<void> {
    return this.delivery.stop(timeoutMs);
  }
}
