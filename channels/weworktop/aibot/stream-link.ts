import type { StreamImage } from './reply-streams.js';

/**
 * How an answer's stream goes, told by the AI bot replier (which writes the answer) to the AI bot
 * receiver (which answers WeCom's refresh polls from its ReplyStreams), keyed by the user message.
 */
export type StreamUpdate =
  /** The answer so far. */
  | { type: 'aibot-stream'; msgid: string; content: string }
  /** The answer is complete; without `content` the stream keeps what it shows. */
  | { type: 'aibot-finish'; msgid: string; content?: string; images?: StreamImage[] };

export function isStreamUpdate(message: unknown): message is StreamUpdate {
  const type = (message as { type?: unknown } | null)?.type;
  return type === 'aibot-stream' || type === 'aibot-finish';
}

/** WeCom polls a stream for 6 minutes at most; both halves keep its state a little longer. */
export const STREAM_TTL_MS = 10 * 60 * 1000;
