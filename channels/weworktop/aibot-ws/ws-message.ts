import type { NormalizedMessage } from '../../../src/message.js';
import { type AiBotCallback, type AiBotMediaLoader, isAiBotCallback, toAiBotMessage } from '../aibot/aibot-message.js';
import type { WsChat } from './ws-frames.js';

/** Opaque to the core: how to answer a message that came over a bot's long connection. */
export interface AiBotWsMessageRaw {
  route: 'aibot-ws';
  /** The BotID it came through (its answers go back through the same bot). */
  bot: string;
  /** The callback's req_id: replies echo it while the connection it came on lasts. */
  reqId: string;
  callback: AiBotCallback;
}

/** The inbox id: per bot, since two bots in one group may see the same message. */
export const wsMessageId = (bot: string, msgid: string): string => `aibot:${bot}:${msgid}`;

export function isAiBotWsMessage(message: NormalizedMessage): boolean {
  return (message.raw as { route?: string } | null)?.route === 'aibot-ws';
}

/**
 * The webhook route's normalization (trigger text, quotes, @-mention, media), with the bot's own id
 * and scope: each bot keeps its own conversations.
 */
export function toWsMessage(
  raw: AiBotWsMessageRaw,
  groupNames: Record<string, string>,
  loadMedia: AiBotMediaLoader,
): NormalizedMessage | undefined {
  const message = toAiBotMessage(raw.callback, groupNames, loadMedia);
  return message && { ...message, id: wsMessageId(raw.bot, raw.callback.msgid), scope: `bot:${raw.bot}`, raw };
}

/** Where a proactive answer goes: the group, or the user in a DM (the aibot_send_msg rule). */
export function chatOf(callback: AiBotCallback): WsChat {
  return callback.chattype === 'group' && callback.chatid
    ? { chatid: callback.chatid, chat_type: 2 }
    : { chatid: callback.from?.userid ?? '', chat_type: 1 };
}

/** A callback body the channel can read, or why not (logged, and the frame is ignored). */
export function readCallback(body: unknown, what: 'message' | 'event'): AiBotCallback | { invalid: string } {
  if (!isAiBotCallback(body)) return { invalid: 'a body that is not an AI bot callback (a field of the wrong type, no msgtype)' };
  if (typeof body.msgid !== 'string' || body.msgid === '') return { invalid: 'a callback without msgid' };
  if (what === 'message' && (body.from?.userid ?? '').trim() === '')
    return { invalid: `a ${body.msgtype} message without a sender (empty from.userid)` };
  return body;
}
