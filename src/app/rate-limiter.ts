export type RateDecision = 'ok' | 'limited' | 'limited-first';

/** rate_limit_per_minute: this process's (RateLimiter) or shared by every instance (store "redis"). */
export interface RateLimit {
  take(key: string): RateDecision | Promise<RateDecision>;
  /** Returns the slot the last `take` of `key` used: that message was a platform retry, or refused. */
  giveBack(key: string): void;
}

/** A user with more than one message in the window: their times, and whether they were told. */
interface Hits {
  times: number[];
  told: boolean;
}

/**
 * A sliding one-minute window per user (rate_limit_per_minute). `limited-first` marks the first
 * refusal in a window, so the user is told once instead of once per message. Bounded: users idle
 * for a window are forgotten on the next sweep.
 */
export class RateLimiter implements RateLimit {
  /**
   * Most users send one message a minute: for them only its time is kept, not an object and an
   * array, so a burst of new users leaves less in the old generation (docs/performance.md).
   */
  private readonly hits = new Map<string, number | Hits>();
  private lastSweep = 0;

  private readonly now: () => number;
  private readonly windowMs: number;
  /** How a new user's id is kept (RuntimeTuning.keep: a user id cut from a callback's XML would keep all of that XML alive). */
  private readonly keep: (key: string) => string;

  constructor(
    private readonly perMinute: number,
    options: { now?: () => number; windowMs?: number; keep?: (key: string) => string } = {},
  ) {
    this.now = options.now ?? Date.now;
    this.windowMs = options.windowMs ?? 60_000;
    this.keep = options.keep ?? ((key) => key);
  }

  take(key: string): RateDecision {
    if (this.perMinute <= 0) return 'ok';
    const now = this.now();
    this.sweep(now);
    const cutoff = now - this.windowMs;
    const entry = this.hits.get(key);
    if (entry === undefined || (typeof entry === 'number' && entry <= cutoff)) {
      this.hits.set(entry === undefined ? this.keep(key) : key, now);
      return 'ok';
    }
    const hits = typeof entry === 'number' ? this.upgrade(key, entry) : entry;
    while (hits.times.length > 0 && hits.times[0]! <= cutoff) hits.times.shift();
    if (hits.times.length === 0) hits.told = false;
    if (hits.times.length < this.perMinute) {
      hits.times.push(now);
      return 'ok';
    }
    if (hits.told) return 'limited';
    hits.told = true;
    return 'limited-first';
  }

  /** Returns the slot the last `take` of `key` used: that message was a platform retry, or refused. */
  giveBack(key: string): void {
    const entry = this.hits.get(key);
    if (typeof entry === 'number') this.hits.delete(key);
    else entry?.times.pop();
  }

  private upgrade(key: string, time: number): Hits {
    const hits = { times: [time], told: false };
    this.hits.set(key, hits);
    return hits;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < this.windowMs) return;
    this.lastSweep = now;
    for (const [key, entry] of this.hits) {
      const last = typeof entry === 'number' ? entry : (entry.times.at(-1) ?? 0);
      if (last <= now - this.windowMs) this.hits.delete(key);
    }
  }
}
