import {
  IDEMPOTENCY_WINDOW_MS,
  type NewOutboundEntry,
  type OutboundEntry,
  type OutboundKind,
  type OutboundQueue,
} from './outbound-queue.js';

/** Settled entries kept at most (inbox_store "memory" is bounded). */
const MAX_SETTLED = 10_000;

/** `inbox_store: "memory"`: the same queue, lost on restart. */
export class MemoryOutbound implements OutboundQueue {
  private readonly entries = new Map<string, OutboundEntry>();
  private readonly keys = new Map<string, { id: string; at: number }>();
  private readonly settledOrder: string[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  async add(entry: NewOutboundEntry): Promise<{ id: string; created: boolean }> {
    const key = entry.idempotencyKey === undefined ? undefined : `${entry.kind}:${entry.idempotencyKey}`;
    const earlier = key === undefined ? undefined : this.keys.get(key);
    if (earlier && earlier.at > this.now() - IDEMPOTENCY_WINDOW_MS) return { id: earlier.id, created: false };
    if (this.entries.has(`${entry.kind}:${entry.id}`)) return { id: entry.id, created: false };
    if (key !== undefined) this.keys.set(key, { id: entry.id, at: entry.createdAt });
    const { idempotencyKey: _, ...stored } = entry;
    this.entries.set(`${entry.kind}:${entry.id}`, { ...stored, status: 'queued', attempts: 0, partsSent: 0 });
    return { id: entry.id, created: true };
  }

  async get(kind: OutboundKind, id: string): Promise<OutboundEntry | undefined> {
    const entry = this.entries.get(`${kind}:${id}`);
    return entry && { ...entry };
  }

  async queued(kind: OutboundKind): Promise<OutboundEntry[]> {
    return [...this.entries.values()].filter((entry) => entry.kind === kind && entry.status === 'queued').map((entry) => ({ ...entry }));
  }

  recordAttempt(kind: OutboundKind, id: string): void {
    const entry = this.entries.get(`${kind}:${id}`);
    if (entry) entry.attempts += 1;
  }

  recordProgress(kind: OutboundKind, id: string, partsSent: number): void {
    const entry = this.entries.get(`${kind}:${id}`);
    if (entry) entry.partsSent = partsSent;
  }

  settle(kind: OutboundKind, id: string, status: 'sent' | 'failed', errorJson?: string): void {
    const entry = this.entries.get(`${kind}:${id}`);
    if (entry?.status !== 'queued') return;
    entry.status = status;
    if (errorJson !== undefined) entry.errorJson = errorJson;
    this.settledOrder.push(`${kind}:${id}`);
    while (this.settledOrder.length > MAX_SETTLED) this.entries.delete(this.settledOrder.shift()!);
  }
}
