import { createHash, randomBytes } from 'node:crypto';

/**
 * Our own send_msg msgid for a part of an answer: the same on every try and after a restart (so
 * WeCom refuses a part that already went out instead of showing it twice), unique in the account,
 * at most 32 bytes of [0-9a-zA-Z_-]. Never the customer's msgid: one message gets several parts.
 */
export function replyMsgid(messageId: string, part: number | string): string {
  return `wt${createHash('sha256').update(`${messageId}#${part}`).digest('base64url').slice(0, 28)}`;
}

/** For a notice ("busy", the apology): sent once, never retried. */
export function noticeMsgid(): string {
  return `wn${randomBytes(21).toString('base64url')}`;
}
