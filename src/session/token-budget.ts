import { REPLY_PRIMING_TOKENS } from './token-counter.js';
import type { Turn } from './turn.js';

export interface FittedPrompt {
  /** History turns that fit, oldest first. */
  kept: Turn[];
  /** How many of the oldest turns had to go. */
  dropped: number;
  totalTokens: number;
}

/**
 * Drops the oldest non-system turns until system + history + the new message fit maxTokens
 * (CoW's discard_exceeding, done on cached counts so no text is re-tokenized per message).
 */
export function fitHistory(system: Turn | undefined, history: readonly Turn[], next: Turn, maxTokens: number): FittedPrompt {
  const fixed = (system?.tokens ?? 0) + next.tokens + REPLY_PRIMING_TOKENS;
  let total = fixed + history.reduce((sum, turn) => sum + turn.tokens, 0);
  let dropped = 0;
  while (dropped < history.length && total > maxTokens) {
    total -= history[dropped]!.tokens;
    dropped += 1;
  }
  return { kept: history.slice(dropped), dropped, totalTokens: total };
}
