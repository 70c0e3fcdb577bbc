import { setTimeout as sleep } from 'node:timers/promises';

export interface SendPacerOptions {
  /** WeCom delivers at most 30 app messages per user per minute and silently drops the rest. */
  maxPerWindow: number;
  windowMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** A send was held back this long (once per send that waited). */
  onHeld?: (ms: number) => void;
}

/**
 * Keeps each user under WeCom's per-user message rate: a send that would exceed it waits for the
 * window to free up instead of being dropped by WeCom without a trace.
 */
export class SendPacer {
  private readonly sent = new Map<string, number[]>();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private lastSweep = 0;

  constructor(private readonly options: SendPacerOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => sleep(ms));
  }

  async acquire(user: string): Promise<void> {
    const asked = this.now();
    for (;;) {
      const now = this.now();
      if (now - this.lastSweep > this.options.windowMs) this.sweep(now);
      const times = this.sent.get(user) ?? [];
      while (times.length && times[0]! <= now - this.options.windowMs) times.shift();
      if (times.length < this.options.maxPerWindow) {
        times.push(now);
        this.sent.set(user, times);
        if (now > asked) this.options.onHeld?.(now - asked);
        return;
      }
      await this.sleep(times[0]! + this.options.windowMs - now + 1);
    }
  }

  /** Users with sends still inside the window (bounded by recent activity). */
  get trackedUsers(): number {
    return this.sent.size;
  }

  /** Forgets users quiet for a whole window; runs at most once a window. */
  private sweep(now: number): void {
    this.lastSweep = now;
    const cutoff = now - this.options.windowMs;
    for (const [user, times] of this.sent) {
      while (times.length && times[0]! <= cutoff) times.shift();
      if (!times.length) this.sent.delete(user);
    }
  }
}
