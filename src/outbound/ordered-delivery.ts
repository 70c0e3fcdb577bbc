import type { Logger } from '../logger.js';
import { type Metrics, NO_METRICS } from '../metrics/metrics.js';
import type { OutboundEntry, OutboundKind, OutboundQueue } from '../store/outbound-queue.js';
import { LaneClaims } from './lane-claims.js';

export interface DeliveryRetry {
  /** First wait after a failure that may pass, doubling each time up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Tries in all before it is given up. */
  maxAttempts: number;
  /** An entry this old is given up after its next failure. */
  maxAgeMs: number;
}

export interface OrderedDeliveryOptions {
  queue: OutboundQueue;
  kind: OutboundKind;
  /** Sends one entry; throws when it did not go out. */
  deliver(entry: OutboundEntry): Promise<void>;
  /** Whether a failure may pass (tried again later) and how it is stored (JSON) when the entry fails. */
  judge(error: unknown): { transient: boolean; errorJson: string; reason: string };
  retry: DeliveryRetry;
  /** Keys sending at once. */
  concurrency: number;
  logger: Logger;
  /** weworktop_outbound_total by kind and result. */
  metrics?: Metrics;
  now?: () => number;
}

/**
 * Sends a kind of outbound entry from the durable queue: one at a time per order key, oldest first
 * (a key waits while its head is retried, so order holds), `concurrency` keys at once. The one
 * retry owner for these sends: failures that may pass are tried again with backoff, others settle
 * the entry as failed with the reason.
 */
export class OrderedDelivery {
  private readonly lanes = new Map<string, OutboundEntry[]>();
  private readonly ready: string[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private running = 0;
  private stopped = false;
  /** Until the queue left by the last run is read, new entries wait here (the read may or may not hold them). */
  private early: OutboundEntry[] | undefined = [];
  private readonly now: () => number;
  private readonly metrics: Metrics;
  /** With a shared queue (store "redis"): the keys this process holds the lease of. */
  private claims: LaneClaims | undefined;

  constructor(private readonly options: OrderedDeliveryOptions) {
    this.now = options.now ?? Date.now;
    this.metrics = options.metrics ?? NO_METRICS;
  }

  /** Starts sending: what the last run left queued first; resolves with how many that was. */
  async resume(): Promise<number> {
    const { shared } = this.options.queue;
    if (shared) {
      this.early = undefined;
      this.claims = new LaneClaims({
        shared,
        kind: this.options.kind,
        maxKeys: 2 * this.options.concurrency,
        held: () => [...this.lanes.keys()],
        adopt: (entries) => this.adopt(entries),
        lost: (key) => this.drop(key),
        logger: this.options.logger,
      });
      return this.claims.first();
    }
    const left = await this.options.queue.queued(this.options.kind);
    const early = this.early ?? [];
    this.early = undefined;
    const known = new Set(left.map((entry) => entry.id));
    for (const entry of [...left, ...early.filter((entry) => !known.has(entry.id))]) this.enqueue(entry);
    return left.length;
  }

  /** Entries waiting or being sent (for the queue-depth gauges). */
  get pending(): number {
    let count = this.early?.length ?? 0;
    for (const lane of this.lanes.values()) count += lane.length;
    return count;
  }

  /** An entry just stored: it goes out after those queued before it under its key. */
  enqueue(entry: OutboundEntry): void {
    if (this.stopped) return;
    // Shared: whoever holds its key sends it, maybe another process; claiming tells.
    if (this.claims) {
      this.claims.claimSoon();
      return;
    }
    if (this.early) {
      this.early.push(entry);
      return;
    }
    const lane = this.lanes.get(entry.orderKey);
    if (lane) {
      lane.push(entry);
      return;
    }
    this.lanes.set(entry.orderKey, [entry]);
    this.ready.push(entry.orderKey);
    this.pump();
  }

  /** Nothing new starts; sends in flight get `timeoutMs` to finish (what is left stays queued for the next start). */
  async stop(timeoutMs: number): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    await this.claims?.stop();
  }

  /** Entries of keys just claimed (shared queue), oldest first per key. */
  private adopt(entries: OutboundEntry[]): void {
    const claimed = new Map<string, OutboundEntry[]>();
    for (const entry of entries) claimed.set(entry.orderKey, [...(claimed.get(entry.orderKey) ?? []), entry]);
    for (const [key, lane] of claimed) {
      if (this.lanes.has(key)) continue;
      this.lanes.set(key, lane);
      this.ready.push(key);
    }
    this.pump();
  }

  /** A key whose lease went to another process: nothing more of it starts here. */
  private drop(key: string): void {
    this.lanes.delete(key);
    const waiting = this.ready.indexOf(key);
    if (waiting >= 0) this.ready.splice(waiting, 1);
  }

  private pump(): void {
    while (!this.stopped && this.running < this.options.concurrency && this.ready.length > 0) {
      const key = this.ready.shift()!;
      const run = this.run(key);
      this.inFlight.add(run);
      void run.finally(() => this.inFlight.delete(run));
    }
  }

  private async run(key: string): Promise<void> {
    const { queue, kind, retry, logger } = this.options;
    const entry = this.lanes.get(key)?.[0];
    if (!entry) return;
    this.running += 1;
    let error: unknown;
    try {
      await this.options.deliver(entry);
      queue.settle(kind, entry.id, 'sent');
      this.metrics.count('weworktop_outbound_total', { kind, result: 'sent' });
      logger.debug({ kind, id: entry.id, to: key }, `${kind} sent`);
      return this.next(key);
    } catch (caught) {
      error = caught;
    }
    const verdict = this.options.judge(error);
    entry.attempts += 1;
    const tooOld = this.now() - entry.createdAt >= retry.maxAgeMs;
    if (verdict.transient && entry.attempts < retry.maxAttempts && !tooOld) {
      queue.recordAttempt(kind, entry.id);
      this.metrics.count('weworktop_outbound_total', { kind, result: 'retried' });
      const delay = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (entry.attempts - 1));
      logger.warn(
        { kind, id: entry.id, to: key, attempt: entry.attempts, retry_in_ms: delay },
        `${kind} not sent, tried again later: ${verdict.reason}`,
      );
      this.running -= 1;
      if (this.stopped) return;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.ready.push(key);
        this.pump();
      }, delay);
      this.timers.add(timer);
      return;
    }
    queue.settle(kind, entry.id, 'failed', verdict.errorJson);
    this.metrics.count('weworktop_outbound_total', { kind, result: 'failed' });
    const why = verdict.transient ? `given up after ${entry.attempts} tries` : 'failed';
    logger.error({ kind, id: entry.id, to: key, attempts: entry.attempts }, `${kind} ${why}: ${verdict.reason}`);
    this.next(key);
  }

  private next(key: string): void {
    const lane = this.lanes.get(key);
    const pool = lane?.shift()?.pool;
    this.running -= 1;
    if (lane && lane.length > 0) this.ready.push(key);
    else if (lane && this.claims && !this.stopped) void this.refill(key, lane, pool);
    else this.lanes.delete(key);
    this.pump();
  }

  /** A held key's lane ran out: what was queued under it meanwhile (any process), or the lease goes. */
  private async refill(key: string, lane: OutboundEntry[], pool: string | undefined): Promise<void> {
    const more = await this.options.queue.shared!.more(this.options.kind, key, pool).catch(() => undefined);
    if (this.lanes.get(key) !== lane) return;
    if (!more?.length || this.stopped) {
      this.lanes.delete(key);
      // Room for a key waiting beyond this process's share.
      if (!this.stopped) this.claims?.claimSoon();
      return;
    }
    lane.push(...more);
    this.ready.push(key);
    this.pump();
  }
}
