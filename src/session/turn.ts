import type { ChatMessage } from '../backends/chat-bot.js';

/** A message of a conversation with its token cost, counted once when it enters the history. */
export interface Turn {
  message: ChatMessage;
  tokens: number;
  /** The message whose exchange this turn is part of (not on the system prompt). */
  messageId?: string;
}
