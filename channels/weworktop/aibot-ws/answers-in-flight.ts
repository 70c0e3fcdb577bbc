/** An answer not reported over in this long no longer counts (a worker that died, an answer stuck in retries). */
const FORGET_AFTER_MS = 10 * 60 * 1000;

/** The answers each user is waiting for, by message id, for WeCom's three-in-flight rule. */
export class AnswersInFlight {
  private readonly byMessage = new Map<string, { user: string; at: number }>();
  private readonly perUser = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  add(id: string, user: string): void {
    this.sweep();
    if (this.byMessage.has(id)) return;
    this.byMessage.set(id, { user, at: this.now() });
    this.perUser.set(user, (this.perUser.get(user) ?? 0) + 1);
  }

  done(id: string): void {
    const entry = this.byMessage.get(id);
    if (!entry) return;
    this.byMessage.delete(id);
    const left = (this.perUser.get(entry.user) ?? 1) - 1;
    if (left > 0) this.perUser.set(entry.user, left);
    else this.perUser.delete(entry.user);
  }

  count(user: string): number {
    this.sweep();
    return this.perUser.get(user) ?? 0;
  }

  private sweep(): void {
    const cutoff = this.now() - FORGET_AFTER_MS;
    for (const [id, entry] of this.byMessage) {
      if (entry.at > cutoff) break;
      this.done(id);
    }
  }
}
