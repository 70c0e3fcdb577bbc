/**
 * Says yes to a key once per window: "greet this user again?" A bounded memory (the oldest keys go
 * first past `maxKeys`), so a corp with many users costs at most that many entries; a key forgotten
 * early only means one more yes.
 */
export class OncePerWindow {
  /** Key → when it last got a yes; in the order they got it (Map keeps insertion order). */
  private readonly last = new Map<string, number>();

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Keys remembered now. */
  get size(): number {
    return this.last.size;
  }

  /** True (and remembered) if `key` had no yes within the window. */
  take(key: string): boolean {
    const now = this.now();
    const last = this.last.get(key);
    if (last !== undefined && now - last < this.windowMs) return false;
    // Re-inserted, so the Map stays in order of the last yes.
    this.last.delete(key);
    this.last.set(key, now);
    for (const [oldest, at] of this.last) {
      if (this.last.size <= this.maxKeys && now - at < this.windowMs) break;
      this.last.delete(oldest);
    }
    return true;
  }
}
