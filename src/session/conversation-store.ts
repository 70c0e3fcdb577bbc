import type { SessionPersistence } from '../store/session-persistence.js';
import type { Turn } from './turn.js';

export class Conversation {
  turns: Turn[] = [];
  lastActive: number;
  /** An image the user sent, waiting for the question about it (image_understanding). */
  pendingImage?: { dataUrl: string; at: number };
  /** The backend's own state (Dify's conversation_id), saved with the turns. */
  backendState: Record<string, string> = {};

  constructor(now: number) {
    this.lastActive = now;
  }
}

export interface ConversationStoreOptions {
  maxSessions: number;
  /** 0: conversations never expire. */
  ttlSeconds: number;
  now?: () => number;
  /** Write-through storage (session_store "sqlite"): a conversation evicted from memory is read back. */
  persistence?: SessionPersistence;
  /** A conversation was cleared (#清除记忆): what else keeps its texts forgets them too (the inbox). */
  onClear?: (id: string) => void;
}

/** Expired conversations are deleted from storage at most this often. */
const PERSISTENT_SWEEP_MS = 60_000;

/**
 * Conversations by session id, bounded two ways: idle ones expire after ttlSeconds (sliding, like
 * CoW's ExpiredDict) and past maxSessions the least recently used is forgotten. The Map's insertion
 * order is kept equal to recency, so both sweeps only ever look at its head.
 */
export class ConversationStore {
  private readonly sessions = new Map<string, Conversation>();
  private readonly now: () => number;
  private lastPersistentSweep = 0;

  constructor(private readonly options: ConversationStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  get(id: string): Conversation {
    const now = this.now();
    this.sweep(now);
    let conversation = this.sessions.get(id);
    if (conversation) this.sessions.delete(id);
    else conversation = this.load(id, now) ?? new Conversation(now);
    conversation.lastActive = now;
    this.sessions.set(id, conversation);
    while (this.sessions.size > this.options.maxSessions) {
      const oldest = this.sessions.keys().next().value as string;
      this.sessions.delete(oldest);
    }
    return conversation;
  }

  /** With shared storage: the conversation as stored now replaces the memory copy (before an answer). */
  async refresh(id: string): Promise<void> {
    const fetch = this.options.persistence?.fetch;
    if (!fetch) return;
    const saved = await fetch.call(this.options.persistence, id);
    const now = this.now();
    const pendingImage = this.sessions.get(id)?.pendingImage;
    this.sessions.delete(id);
    if (!saved || this.expired(saved.lastActive, now)) return;
    const conversation = new Conversation(now);
    conversation.turns = saved.turns;
    conversation.backendState = saved.backendState ?? {};
    if (pendingImage) conversation.pendingImage = pendingImage;
    this.sessions.set(id, conversation);
  }

  /** Writes a conversation's turns through to storage after they changed. */
  save(id: string): void {
    const conversation = this.sessions.get(id);
    if (!conversation) return;
    const { turns, lastActive, backendState } = conversation;
    this.options.persistence?.save(id, { turns, lastActive, ...(Object.keys(backendState).length ? { backendState } : {}) });
  }

  clear(id: string): void {
    this.sessions.delete(id);
    this.options.persistence?.delete(id);
    this.options.onClear?.(id);
  }

  /** Forgets every expired conversation now, in memory and in storage (the daily retention_days run). */
  expireIdle(): void {
    this.lastPersistentSweep = Number.NEGATIVE_INFINITY;
    this.sweep(this.now());
  }

  get size(): number {
    this.sweep(this.now());
    return this.sessions.size;
  }

  private load(id: string, now: number): Conversation | undefined {
    const saved = this.options.persistence?.load(id);
    if (!saved || this.expired(saved.lastActive, now)) return undefined;
    const conversation = new Conversation(now);
    conversation.turns = saved.turns;
    conversation.backendState = saved.backendState ?? {};
    return conversation;
  }

  private expired(lastActive: number, now: number): boolean {
    return this.options.ttlSeconds > 0 && lastActive <= now - this.options.ttlSeconds * 1000;
  }

  private sweep(now: number): void {
    if (this.options.ttlSeconds <= 0) return;
    const cutoff = now - this.options.ttlSeconds * 1000;
    if (this.options.persistence && now - this.lastPersistentSweep >= PERSISTENT_SWEEP_MS) {
      this.lastPersistentSweep = now;
      this.options.persistence.deleteIdleSince(cutoff);
    }
    for (const [id, conversation] of this.sessions) {
      if (conversation.lastActive > cutoff) break;
      this.sessions.delete(id);
    }
  }
}
