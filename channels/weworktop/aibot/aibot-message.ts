import type { MediaHandle, NormalizedMessage } from '../../../src/message.js';

/** A decrypted AI bot (智能机器人) callback (shared/wecom-protocol.md §4c). */
export interface AiBotCallback {
  msgid: string;
  aibotid?: string;
  chatid?: string;
  chattype?: 'single' | 'group';
  from?: { userid?: string; corpid?: string };
  response_url?: string;
  msgtype: string;
  text?: { content?: string };
  image?: { url?: string };
  voice?: { content?: string };
  file?: { url?: string };
  mixed?: { msg_item?: Array<{ msgtype: string; text?: { content?: string }; image?: { url?: string } }> };
  stream?: { id?: string };
  event?: { eventtype?: string };
}

/** Opaque to the core: how to answer this message on the AI bot route. */
export interface AiBotMessageRaw {
  route: 'aibot';
  callback: AiBotCallback;
}

/** The message came in on the AI bot route (its replies go back there). */
export function isAiBotMessage(message: NormalizedMessage): boolean {
  return (message.raw as { route?: string } | null)?.route === 'aibot';
}

/** Downloads and decrypts a media URL (valid 5 minutes, AES-encrypted with the bot's key). */
export type AiBotMediaLoader = (url: string) => MediaHandle['load'];

/**
 * In a group the bot only receives messages that @-mention it, and the text starts with that
 * mention ("@RobotA hello"), which is not part of the question.
 */
export function stripLeadingMention(text: string): string {
  return text.replace(/^\s*@\S+[\s\u2005]*/u, '');
}

/**
 * A callback is a small JSON object (text up to a few thousand characters, media as URLs), so a
 * decrypted payload over 64 KiB is not from WeCom; the body limit alone would let 768 KiB through.
 */
export const MAX_CALLBACK_CHARS = 64 * 1024;

type Check = (value: unknown) => boolean;
const isString: Check = (value) => typeof value === 'string';
/** A JSON object whose listed fields, when present, pass their checks (other fields are ignored). */
const objectWith =
  (fields: Record<string, Check>): Check =>
  (value) =>
    typeof value === 'object' && value !== null && !Array.isArray(value) && Object.entries(fields).every(([name, check]) => !Object.hasOwn(value, name) || check((value as Record<string, unknown>)[name]));
const mixedItem = objectWith({ msgtype: isString, text: objectWith({ content: isString }), image: objectWith({ url: isString }) });

/**
 * Every field the route and toNormalizedMessage read, with its type: a decrypted payload of another
 * shape (a number for text.content, a string for mixed.msg_item) is refused, not half-read.
 */
const callbackShape = objectWith({
  msgid: isString,
  msgtype: isString,
  aibotid: isString,
  chatid: isString,
  chattype: (value) => value === 'single' || value === 'group',
  response_url: isString,
  from: objectWith({ userid: isString, corpid: isString }),
  text: objectWith({ content: isString }),
  image: objectWith({ url: isString }),
  voice: objectWith({ content: isString }),
  file: objectWith({ url: isString }),
  mixed: objectWith({ msg_item: (items) => Array.isArray(items) && items.every(mixedItem) }),
  stream: objectWith({ id: isString }),
  event: objectWith({ eventtype: isString }),
});

export function isAiBotCallback(value: unknown): value is AiBotCallback {
  if (!callbackShape(value)) return false;
  const record = value as Record<string, unknown>;
  return typeof record.msgtype === 'string' && (record.msgtype === 'stream' || record.msgtype === 'event' || typeof record.msgid === 'string');
}

/** Normalizes a user message; undefined for a msgtype we do not know (answered politely). */
export function toNormalizedMessage(callback: AiBotCallback, groupNames: Record<string, string>, loadMedia: AiBotMediaLoader): NormalizedMessage | undefined {
  const group = callback.chattype === 'group';
  const chatId = callback.chatid;
  const base = {
    id: `aibot:${callback.msgid}`,
    channel: 'weworktop',
    chatType: group ? ('group' as const) : ('single' as const),
    senderId: callback.from?.userid ?? '',
    ...(group && chatId ? { groupId: chatId, ...(groupNames[chatId] ? { groupName: groupNames[chatId] } : {}) } : {}),
    isAt: group,
    time: new Date(),
    raw: { route: 'aibot', callback } satisfies AiBotMessageRaw,
  };
  const clean = (text: string) => (group ? stripLeadingMention(text) : text).trim();
  switch (callback.msgtype) {
    case 'text':
      return { ...base, kind: 'text', text: clean(callback.text?.content ?? '') };
    case 'mixed': {
      // 图文混排: the text parts form the question; the images are not looked at.
      const text = (callback.mixed?.msg_item ?? []).filter((item) => item.msgtype === 'text').map((item) => item.text?.content ?? '').join('\n');
      return { ...base, kind: 'text', text: clean(text) };
    }
    case 'voice':
      // WeCom transcribes voice for the bot: the text is already there.
      return { ...base, kind: 'voice', text: clean(callback.voice?.content ?? '') };
    case 'image':
      return { ...base, kind: 'image', text: '', media: { mimeType: 'image/jpeg', load: loadMedia(callback.image?.url ?? '') } };
    case 'file':
      return { ...base, kind: 'file', text: '', media: { load: loadMedia(callback.file?.url ?? '') } };
    default:
      return undefined;
  }
}
