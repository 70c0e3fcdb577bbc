import { detached } from './detached.js';

export type RateDecision = 'ok' | 'limited' | 'limited-first';

/**
 * A sliding one-minute window per user (rate_limit_per_minute). `limited-first` marks the first
 * refusal in a window, so the user is told once instead of once per message. Bounded: users idle
 * for a window are forgotten on the next sweep.
 */
export class RateLimiter {
  private readonly hits = new Map<string, { times: number[]; told: boolean }>();
  private lastSweep = 0;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
    private readonly windowMs = 60_000,
  ) {}

  take(key: string): RateDecision {
    if (this.perMinute <= 0) return 'ok';
    const now = this.now();
    this.sweep(now);
    const cutoff = now - this.windowMs;
    const entry = this.hits.get(key);
    if (!entry) {
      // Kept for a window: a copy of the key (a user id cut from a callback's XML would keep all
      // of that XML alive), and a one-slot array (an empty one grows to 17 slots on its first push).
      this.hits.set(detached(key), { times: [now], told: false });
      return 'ok';
    }
    while (entry.times.length > 0 && entry.times[0]! <= cutoff) entry.times.shift();
    if (entry.times.length === 0) entry.told = false;
    if (entry.times.length < this.perMinute) {
      entry.times.push(now);
      return 'ok';
    }
    if (entry.told) return 'limited';
    entry.told = true;
    return 'limited-first';
  }

  /** Returns the slot the last `take` of `key` used: that message was a platform retry, or refused. */
  giveBack(key: string): void {
    this.hits.get(key)?.times.pop();
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < this.windowMs) return;
    this.lastSweep = now;
    for (const [key, entry] of this.hits) {
      if ((entry.times.at(-1) ?? 0) <= now - this.windowMs) this.hits.delete(key);
    }
  }
}
