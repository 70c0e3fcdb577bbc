import type { Turn } from '../session/turn.js';

/** A conversation as it is saved: its turns (with their token counts) and when it was last used. */
export interface SavedConversation {
  turns: Turn[];
  lastActive: number;
  /** A backend's own state for the session (Dify's conversation_id); absent when it keeps none. */
  backendState?: Record<string, string>;
}

/** Where conversations outlive the process (`session_store: "sqlite"`, `store: "redis"`); the memory cache sits in front. */
export interface SessionPersistence {
  load(id: string): SavedConversation | undefined;
  /**
   * Shared storage (store "redis"): another instance may have answered since, so the conversation
   * is read again before each answer, replacing the memory copy.
   */
  fetch?(id: string): Promise<SavedConversation | undefined>;
  save(id: string, conversation: SavedConversation): void;
  /** Forgets a conversation for good (#清除记忆): gone from the file once this returns. */
  delete(id: string): void;
  /** Forgets conversations idle since before `cutoff` (expires_in_seconds). */
  deleteIdleSince(cutoff: number): void;
}

/** The answer worker's store of conversations, as opened (open-stores.ts). */
export interface SessionStore {
  /** Absent with session_store "memory". */
  sessions?: SessionPersistence;
  /** Empties both databases' WALs, after something was erased (#清除记忆). */
  wipeWals(): void;
  close(): void;
}
