import type { ChatMessage } from '../bot/chat-bot.js';

/** A message with its token cost, counted once when it enters the history. */
export interface Turn {
  message: ChatMessage;
  tokens: number;
}

export class Conversation {
  turns: Turn[] = [];
  lastActive: number;
  /** An image the user sent, waiting for the question about it (image_understanding). */
  pendingImage?: { dataUrl: string; at: number };

  constructor(now: number) {
    this.lastActive = now;
  }
}

export interface ConversationStoreOptions {
  maxSessions: number;
  /** 0: conversations never expire. */
  ttlSeconds: number;
  now?: () => number;
}

/**
 * Conversations by session id, bounded two ways: idle ones expire after ttlSeconds (sliding, like
 * CoW's ExpiredDict) and past maxSessions the least recently used is forgotten. The Map's insertion
 * order is kept equal to recency, so both sweeps only ever look at its head.
 */
export class ConversationStore {
  private readonly sessions = new Map<string, Conversation>();
  private readonly now: () => number;

  constructor(private readonly options: ConversationStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  get(id: string): Conversation {
    const now = this.now();
    this.sweep(now);
    let conversation = this.sessions.get(id);
    if (conversation) this.sessions.delete(id);
    else conversation = new Conversation(now);
    conversation.lastActive = now;
    this.sessions.set(id, conversation);
    while (this.sessions.size > this.options.maxSessions) {
      const oldest = this.sessions.keys().next().value as string;
      this.sessions.delete(oldest);
    }
    return conversation;
  }

  clear(id: string): void {
    this.sessions.delete(id);
  }

  get size(): number {
    this.sweep(this.now());
    return this.sessions.size;
  }

  private sweep(now: number): void {
    if (this.options.ttlSeconds <= 0) return;
    const cutoff = now - this.options.ttlSeconds * 1000;
    for (const [id, conversation] of this.sessions) {
      if (conversation.lastActive > cutoff) break;
      this.sessions.delete(id);
    }
  }
}
