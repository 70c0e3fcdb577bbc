import type { Logger } from '../logger.js';
import type { RedisInbox } from '../store/redis/redis-inbox.js';
import type { SessionLeases } from '../store/redis/session-leases.js';
import { type AnswerDispatch, type AnswerJob, jobFromSharedInbox, type NoticeJob } from './answer-dispatch.js';
import type { AnswerWorkerHost } from './worker-host.js';

export interface LeasedDispatchOptions {
  host: AnswerWorkerHost;
  inbox: RedisInbox;
  leases: SessionLeases;
  /** Conversations this instance answers at once, at most; the rest wait in Redis for any instance. */
  maxHeld: number;
  /** The exclusive names this process holds now: their pools' conversations are answered here only. */
  pools?: () => string[];
  logger: Logger;
}

/** How often the waiting conversations are looked at for unclaimed ones (an instance died, or all were busy). */
const SCAN_EVERY_MS = 1000;
const SCAN_BATCH = 64;

/**
 * `store: "redis"`: the answer worker is given one message per conversation at a time, the first
 * of the conversation's queue in Redis, and only while this instance holds its lease. A message
 * received here claims its conversation when nobody holds it; otherwise the holder (maybe this
 * instance) reaches it in order. Leases are renewed while held; a conversation whose holder died
 * is claimed by a scan once its lease expired.
 */
export class LeasedAnswerDispatch implements AnswerDispatch {
  /** Conversations held: the message given to the worker (undefined while it is being claimed or read). */
  private readonly held = new Map<string, string | undefined>();
  private readonly log: Logger;
  private readonly timers: NodeJS.Timeout[];
  private draining = false;
  private scanning = false;

  constructor(private readonly options: LeasedDispatchOptions) {
    this.log = options.logger.child({ module: 'leases' });
    options.inbox.listen((id, sessionKey, next) => this.onSettled(id, sessionKey, next));
    this.timers = [
      setInterval(() => this.renewAll(), Math.max(100, options.leases.leaseMs / 3)).unref(),
      setInterval(() => this.scan(), SCAN_EVERY_MS).unref(),
    ];
  }

  answer(job: Omit<AnswerJob, 'kind'>): void {
    this.claim(job.sessionKey, job);
  }

  notify(job: Omit<NoticeJob, 'kind'>): void {
    this.options.host.notify(job);
  }

  get outstanding(): number {
    return this.options.host.outstanding;
  }

  whenIdle(): Promise<void> {
    return this.options.host.whenIdle();
  }

  /**
   * No more claims. When nothing runs any more, the conversations still held are released for the
   * other instances at once; otherwise their leases lapse (a running answer must not be made twice).
   */
  async drain(timeoutMs: number): Promise<boolean> {
    this.draining = true;
    const finished = await this.options.host.drain(timeoutMs);
    for (const timer of this.timers) clearInterval(timer);
    if (finished)
      await Promise.all([...this.held.keys()].map((sessionKey) => this.options.leases.release(sessionKey).catch(() => undefined)));
    this.held.clear();
    return finished;
  }

  confirm(id: string): void {
    this.options.host.confirm(id);
  }

  redeliver(id: string): void {
    this.options.host.redeliver(id);
  }

  ready(): Promise<{ ok: boolean; reason?: string }> {
    return this.options.host.ready();
  }

  get link() {
    return this.options.host.link;
  }

  private claim(sessionKey: string, received?: Omit<AnswerJob, 'kind'>, pool = ''): void {
    if (this.draining || this.held.has(sessionKey) || this.held.size >= this.options.maxHeld) return;
    this.held.set(sessionKey, undefined);
    this.options.leases.claim(sessionKey, pool).then(
      (first) => {
        if (first === undefined) this.held.delete(sessionKey);
        else this.give(sessionKey, first, received);
      },
      (error: Error) => {
        // Redis down: the message waits there, and the scan claims it once Redis is back.
        this.held.delete(sessionKey);
        this.log.debug({ session: sessionKey, err: error.message }, 'claim failed');
      },
    );
  }

  /** The conversation's first waiting message goes to the worker (read from Redis unless it is the one just received). */
  private give(sessionKey: string, id: string, received?: Omit<AnswerJob, 'kind'>): void {
    this.held.set(sessionKey, id);
    if (received?.id === id) {
      this.options.host.answer(received);
      return;
    }
    this.options.inbox.entry(id).then(
      (entry) => {
        if (this.held.get(sessionKey) !== id) return;
        // Settled by an earlier holder meanwhile: its lease lapses and the scan takes what is left.
        if (!entry) return void this.held.delete(sessionKey);
        this.options.host.answer(jobFromSharedInbox(entry));
      },
      (error: Error) => {
        this.log.debug({ id, err: error.message }, 'waiting message not read; trying again');
        setTimeout(() => this.held.get(sessionKey) === id && this.give(sessionKey, id), SCAN_EVERY_MS).unref();
      },
    );
  }

  private onSettled(id: string, sessionKey: string | undefined, next: string | undefined): void {
    const session = sessionKey ?? [...this.held].find(([, given]) => given === id)?.[0];
    if (session === undefined || this.held.get(session) !== id) return;
    if (next !== undefined && !this.draining) this.give(session, next);
    // Still held (its lease was renewed with the next message waiting): the drain releases it.
    else if (next !== undefined) this.held.set(session, undefined);
    else {
      this.held.delete(session);
      this.scan();
    }
  }

  private renewAll(): void {
    for (const sessionKey of this.held.keys()) {
      this.options.leases.renew(sessionKey).then(
        (kept) => {
          if (kept || !this.held.has(sessionKey)) return;
          this.held.delete(sessionKey);
          this.log.warn(
            { session: sessionKey },
            'lease lost (redis unreachable past lease_seconds); another instance answers this conversation',
          );
        },
        () => undefined,
      );
    }
  }

  /** Claims conversations nobody holds, while there is room here: any process's, and those of the exclusive names held here. */
  private scan(): void {
    if (this.scanning || this.draining || this.held.size >= this.options.maxHeld || !this.options.leases.available()) return;
    this.scanning = true;
    const pools = ['', ...(this.options.pools?.() ?? [])];
    Promise.all(
      pools.map((pool) =>
        this.options.leases.waiting(SCAN_BATCH, pool).then(
          (sessions) => {
            for (const sessionKey of sessions) this.claim(sessionKey, undefined, pool);
          },
          () => undefined,
        ),
      ),
    ).finally(() => (this.scanning = false));
  }
}
