import { RecentKeys } from '../recent-keys.js';
import { type Inbox, type InboxEntry, SETTLED_RETENTION_MS } from './inbox.js';

/** `inbox_store: "memory"`: the same contract without durability (lost on restart), bounded. */
export class MemoryInbox implements Inbox {
  private readonly pendingEntries = new Map<string, InboxEntry>();
  /** Settled ids, kept for dedupe as long as the SQLite store keeps them. */
  private readonly settled: RecentKeys;

  constructor(now: () => number = Date.now) {
    this.settled = new RecentKeys({ ttlMs: SETTLED_RETENTION_MS, maxEntries: 100_000, now });
  }

  async add(entry: Omit<InboxEntry, 'attempts' | 'partsSent' | 'outcomeJson'>): Promise<boolean> {
    if (this.known(entry.id)) return false;
    this.pendingEntries.set(entry.id, { ...entry, attempts: 0, partsSent: 0 });
    return true;
  }

  async addSettled(id: string): Promise<boolean> {
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

  recordAttempt(id: string): void {
    const entry = this.pendingEntries.get(id);
    if (entry) entry.attempts += 1;
  }

  async saveOutcome(id: string, outcomeJson: string): Promise<void> {
    const entry = this.pendingEntries.get(id);
    if (entry) entry.outcomeJson = outcomeJson;
  }

  recordProgress(id: string, partsSent: number): void {
    const entry = this.pendingEntries.get(id);
    if (entry) entry.partsSent = partsSent;
  }

  pending(channel: string): InboxEntry[] {
    return [...this.pendingEntries.values()].filter((entry) => entry.channel === channel);
  }

  entry(id: string): InboxEntry | undefined {
    return this.pendingEntries.get(id);
  }

  /** Settled messages keep only their ids here: there is no text to erase. */
  async forget(): Promise<void> {}

  healthy(): boolean {
    return true;
  }

  private known(id: string): boolean {
    return this.pendingEntries.has(id) || this.settled.has(id);
  }

  private settle(id: string): void {
    this.pendingEntries.delete(id);
    this.settled.checkAndAdd(id);
  }
}
