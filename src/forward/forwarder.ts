import { ConfigError } from '../config/config-error.js';
import type { CoreConfig } from '../config/schema.js';
import type { Logger } from '../logger.js';
import type { NormalizedMessage } from '../message.js';
import type { Metrics } from '../metrics/metrics.js';
import { OrderedDelivery } from '../outbound/ordered-delivery.js';
import type { OutboundEntry, OutboundQueue } from '../store/outbound-queue.js';
import { forwardBodyOf } from './forward-body.js';
import { forwardSignature } from './forward-signature.js';

export const FORWARD_KINDS = ['message', 'event'] as const;
/** Backoff between tries stops growing here. */
const MAX_RETRY_DELAY_MS = 5 * 60 * 1000;
/** Senders whose messages are posted at once. */
const FORWARD_CONCURRENCY = 8;
const POST_TIMEOUT_MS = 10_000;

export interface ForwarderOptions {
  config: Pick<CoreConfig, 'forward' | 'retry_delay_ms'>;
  queue: OutboundQueue;
  /** The channel's own fields of a message (route, media ids), from its stored payload. */
  channelFields(message: NormalizedMessage): Record<string, unknown>;
  logger: Logger;
  metrics?: Metrics;
}

/** With forward.url set: the keys that go with it, checked at start (a ConfigError names the key). */
export function checkForwardConfig(config: Pick<CoreConfig, 'forward'>): void {
  const { forward } = config;
  if (!forward.url) return;
  const unknown = forward.include.find((kind) => !(FORWARD_KINDS as readonly string[]).includes(kind));
  if (unknown !== undefined)
    throw new ConfigError('forward.include', `a list of ${FORWARD_KINDS.map((kind) => `"${kind}"`).join(', ')}`, `"${unknown}"`);
  if (!forward.secret)
    throw new ConfigError('forward.secret', 'a value (the receiver checks each POST with it: X-Weworktop-Signature)', 'nothing');
}

/**
 * The bridge: every received message (answered or not) is stored with it in the same commit, then
 * POSTed to forward.url, signed, in order per sender, at least once: retried with backoff while
 * the receiver fails, the same id on every try, given up after forward.max_attempts.
 */
export class Forwarder {
  private readonly delivery: OrderedDelivery;
  private readonly include: Set<string>;
  private readonly log: Logger;

  constructor(private readonly options: ForwarderOptions) {
    const { forward } = options.config;
    this.include = new Set(forward.include);
    this.log = options.logger.child({ module: 'forward' });
    this.delivery = new OrderedDelivery({
      queue: options.queue,
      kind: 'forward',
      deliver: (entry) => this.post(entry),
      judge: (error) => {
        const reason = (error as Error).message;
        return { transient: true, errorJson: JSON.stringify({ message: reason }), reason };
      },
      retry: {
        baseDelayMs: options.config.retry_delay_ms,
        maxDelayMs: MAX_RETRY_DELAY_MS,
        maxAttempts: forward.max_attempts,
        maxAgeMs: Number.POSITIVE_INFINITY,
      },
      concurrency: FORWARD_CONCURRENCY,
      logger: this.log,
      ...(options.metrics ? { metrics: options.metrics } : {}),
    });
  }

  /** Stores the message for forwarding (in the commit of the inbox's write made in the same turn); a retried callback adds nothing. */
  async add(message: NormalizedMessage, orderKey: string): Promise<void> {
    if (!this.include.has(message.kind === 'event' ? 'event' : 'message')) return;
    const entry = {
      kind: 'forward' as const,
      id: message.id,
      orderKey,
      bodyJson: JSON.stringify(forwardBodyOf(message, this.options.channelFields(message))),
      createdAt: Date.now(),
    };
    const stored = await this.options.queue.add(entry);
    if (stored.created) this.delivery.enqueue({ ...entry, status: 'queued', attempts: 0, partsSent: 0 });
  }

  async start(): Promise<void> {
    const left = await this.delivery.resume();
    if (left > 0) this.log.info({ count: left }, 'forwarding messages left queued by the last run');
  }

  /** Queued here and not yet sent or given up. */
  get pending(): number {
    return this.delivery.pending;
  }

  stop(timeoutMs: number): Promise<void> {
    return this.delivery.stop(timeoutMs);
  }

  private async post(entry: OutboundEntry): Promise<void> {
    const { url, secret } = this.options.config.forward;
    const timestamp = String(Math.floor(Date.now() / 1000));
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-weworktop-timestamp': timestamp,
          'x-weworktop-signature': forwardSignature(secret, timestamp, entry.bodyJson),
          'x-weworktop-delivery': String(entry.attempts + 1),
        },
        body: entry.bodyJson,
        signal: AbortSignal.timeout(POST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new Error(
        `POST ${new URL(url).host}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`,
      );
    }
    await response.arrayBuffer().catch(() => undefined);
    if (!response.ok) throw new Error(`POST ${new URL(url).host} answered HTTP ${response.status}`);
  }
}
