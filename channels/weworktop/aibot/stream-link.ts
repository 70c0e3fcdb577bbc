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

/**
 * WeCom polls a stream for at most 6 minutes from the user's message
 * (https://developer.work.weixin.qq.com/document/path/100719): what is written later is never seen. A stream is
 * written only while the message is younger than this, 30 s short of the 6 minutes so that WeCom
 * still polls after the last write; later answers go to response_url.
 */
export const STREAM_WINDOW_MS = 5.5 * 60 * 1000;

/** Both halves keep a stream's state a little longer than WeCom polls it, for retried callbacks. */
export const STREAM_TTL_MS = 10 * 60 * 1000;
