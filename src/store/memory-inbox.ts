import { SETTLED_RETENTION_MS, type Inbox, type InboxEntry } from './inbox.js';

/** `inbox_store: "memory"`: the same contract without durability (lost on restart), bounded. */
export class MemoryInbox implements Inbox {
  private readonly pendingEntries = new Map<string, InboxEntry>();
  /** Settled ids by time settled; insertion order is time order, so pruning stops early. */
  private readonly settled = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  add(entry: Omit<InboxEntry, 'attempts'>): boolean {
    if (this.known(entry.id)) return false;
    this.pendingEntries.set(entry.id, { ...entry, attempts: 0 });
    return true;
  }

  addSettled(id: string): boolean {
    if (this.known(id)) return false;
    this.settle(id);
    return true;
  }

  markDone(id: string): void {
    this.settle(id);
  }

  markFailed(id: string): void {
    this.settle(id);
  }

  recordAttempt(id: string): number {
    const entry = this.pendingEntries.get(id);
    if (!entry) return 0;
    entry.attempts += 1;
    return entry.attempts;
  }

  pending(channel: string): InboxEntry[] {
    return [...this.pendingEntries.values()].filter((entry) => entry.channel === channel);
  }

  healthy(): boolean {
    return true;
  }

  private known(id: string): boolean {
    this.prune();
    return this.pendingEntries.has(id) || this.settled.has(id);
  }

  private settle(id: string): void {
    this.pendingEntries.delete(id);
    this.settled.set(id, this.now());
  }

  private prune(): void {
    const cutoff = this.now() - SETTLED_RETENTION_MS;
    for (const [id, at] of this.settled) {
      if (at > cutoff) break;
      this.settled.delete(id);
    }
  }
}
