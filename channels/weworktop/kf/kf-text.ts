import { userMessages } from '../../../src/pipeline/user-messages.js';
import { markdownToText, splitUtf8 } from '../wecom/text.js';

/** send_msg's text limit (https://developer.work.weixin.qq.com/document/path/94677). */
export const MAX_TEXT_BYTES = 2048;
/** Of the 5 messages a customer message allows, an answer's text takes at most 4: one stays for a hand-over notice. */
export const MAX_TEXT_PARTS = 4;

/**
 * An answer's text as 微信客服 messages: plain text (WeChat shows no markdown), parts of at most
 * 2048 bytes, at most 4 of them (the last cut short, saying so). A pure function of the text, so
 * a retry numbers the parts the same way and their msgids match.
 */
export function planText(text: string): string[] {
  const parts = splitUtf8(markdownToText(text), MAX_TEXT_BYTES);
  if (parts.length <= MAX_TEXT_PARTS) return parts;
  const kept = parts.slice(0, MAX_TEXT_PARTS);
  const marker = userMessages.answerTruncated;
  kept[MAX_TEXT_PARTS - 1] = `${splitUtf8(kept[MAX_TEXT_PARTS - 1]!, MAX_TEXT_BYTES - Buffer.byteLength(marker))[0] ?? ''}${marker}`;
  return kept;
}
