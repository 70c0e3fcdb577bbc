export interface RecentKeysOptions {
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
}

/**
 * Remembers keys for ttlMs (e.g. WeCom MsgIds: it retries a callback 3 times over ~15 s), bounded
 * in memory: the oldest entries go first, and insertion order is expiry order so sweeps stop early.
 */
export class RecentKeys {
  private readonly seenAt = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: RecentKeysOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Records the key; true if it was already seen within the TTL. */
  checkAndAdd(key: string): boolean {
    const now = this.now();
    this.sweep(now);
    if (this.seenAt.has(key)) return true;
    this.seenAt.set(key, now);
    if (this.seenAt.size > this.options.maxEntries) this.seenAt.delete(this.seenAt.keys().next().value as string);
    return false;
  }

  /** True if the key was recorded within the TTL (does not record it). */
  has(key: string): boolean {
    this.sweep(this.now());
    return this.seenAt.has(key);
  }

  /** Forgets a key, so a message whose handling could not start may be accepted again. */
  delete(key: string): void {
    this.seenAt.delete(key);
  }

  get size(): number {
    return this.seenAt.size;
  }

  private sweep(now: number): void {
    const cutoff = now - this.options.ttlMs;
    for (const [key, at] of this.seenAt) {
      if (at > cutoff) break;
      this.seenAt.delete(key);
    }
  }
}
