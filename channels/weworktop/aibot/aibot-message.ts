import type { MediaHandle, NormalizedMessage } from '../../../src/message.js';

/** A decrypted AI bot (智能机器人) callback (https://developer.work.weixin.qq.com/document/path/100719). */
export interface AiBotCallback {
  msgid: string;
  aibotid?: string;
  chatid?: string;
  chattype?: 'single' | 'group';
  from?: { userid?: string; corpid?: string };
  response_url?: string;
  msgtype: string;
  text?: { content?: string };
  /** `aeskey`: on the long connection, each media URL's own key. */
  image?: { url?: string; aeskey?: string };
  voice?: { content?: string };
  file?: { url?: string; aeskey?: string };
  mixed?: AiBotMixed;
  /** The message the user replied to (引用), on text and mixed messages. */
  quote?: AiBotQuote;
  stream?: { id?: string };
  event?: { eventtype?: string };
}

/** 图文混排: text and image items in order. */
export interface AiBotMixed {
  msg_item?: Array<{ msgtype: string; text?: { content?: string }; image?: { url?: string; aeskey?: string } }>;
}

/** A quoted message: msgtype text, image, mixed, voice or file, with the field of that name (only those read here are typed). */
export interface AiBotQuote {
  msgtype?: string;
  text?: { content?: string };
  mixed?: AiBotMixed;
}

/** Opaque to the core: how to answer this message on the AI bot route. */
export interface AiBotMessageRaw {
  route: 'aibot';
  callback: AiBotCallback;
  /** The reply stream the receiver opened for it, opened again after a restart while WeCom still polls. */
  streamId?: string;
}

/** The message's id in the inbox: WeCom's msgid, on this route. */
export const aiBotMessageId = (msgid: string): string => `aibot:${msgid}`;

/** The message came in on the AI bot route (its replies go back there). */
export function isAiBotMessage(message: NormalizedMessage): boolean {
  return (message.raw as { route?: string } | null)?.route === 'aibot';
}

/** Downloads and decrypts a media URL (valid 5 minutes, AES-encrypted with the bot's key, or on the long connection with its own `aeskey`). */
export type AiBotMediaLoader = (url: string, aeskey?: string) => MediaHandle['load'];

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
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.entries(fields).every(([name, check]) => !Object.hasOwn(value, name) || check((value as Record<string, unknown>)[name]));
const media = objectWith({ url: isString, aeskey: isString });
const mixedItem = objectWith({ msgtype: isString, text: objectWith({ content: isString }), image: media });
const mixed = objectWith({ msg_item: (items) => Array.isArray(items) && items.every(mixedItem) });

/**
 * Every field the route and toAiBotMessage read, with its type: a decrypted payload of another
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
  image: media,
  voice: objectWith({ content: isString }),
  file: media,
  mixed,
  quote: objectWith({ msgtype: isString, text: objectWith({ content: isString }), mixed }),
  stream: objectWith({ id: isString }),
  event: objectWith({ eventtype: isString }),
});

export function isAiBotCallback(value: unknown): value is AiBotCallback {
  if (!callbackShape(value)) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.msgtype === 'string' && (record.msgtype === 'stream' || record.msgtype === 'event' || typeof record.msgid === 'string')
  );
}

/**
 * Set between the user's words and what they quoted: WeChat users know this dashed rule from
 * copied quote replies ("「…」\n- - - - - - -\n…").
 */
const QUOTE_SEPARATOR = '\n- - - - - - -\n';

/** The text parts of a 图文混排, in order. */
function mixedText(mixed: AiBotMixed | undefined): string {
  return (mixed?.msg_item ?? [])
    .filter((item) => item.msgtype === 'text')
    .map((item) => item.text?.content ?? '')
    .join('\n');
}

/**
 * The quoted message as text. Image and file quotes are left out: the LLM gets text only, and they
 * would have to be downloaded and decrypted first. Voice quotes too: a transcript in them appears
 * only in SDK types, not in the documented payloads (https://developer.work.weixin.qq.com/document/path/100719).
 */
function quotedText(quote: AiBotQuote | undefined): string {
  if (quote?.msgtype === 'text') return (quote.text?.content ?? '').trim();
  if (quote?.msgtype === 'mixed') return mixedText(quote.mixed).trim();
  return '';
}

/**
 * The question, then 引用：「quote」, the label telling the LLM (and the conversation history) what
 * the quoted part is. The quote comes last, unlike in WeChat's copied form, because the trigger
 * rules match prefixes at the start of the text and the core has no field to add it after them.
 */
function withQuote(own: string, quoted: string): string {
  if (!quoted) return own;
  const quote = `引用：「${quoted}」`;
  return own ? `${own}${QUOTE_SEPARATOR}${quote}` : quote;
}

/** What the user wrote (text, the text of a 图文混排, a voice transcript), without the @mention that leads it in a group. */
function ownText(callback: AiBotCallback): string {
  const text =
    callback.msgtype === 'text'
      ? callback.text?.content
      : callback.msgtype === 'mixed'
        ? mixedText(callback.mixed)
        : callback.msgtype === 'voice'
          ? callback.voice?.content
          : '';
  return (callback.chattype === 'group' ? stripLeadingMention(text ?? '') : (text ?? '')).trim();
}

/** The message with the user's own words only: what the trigger rules judge, so that a keyword in a quote cannot call the bot. */
export function withoutQuote(message: NormalizedMessage): NormalizedMessage {
  return { ...message, text: ownText((message.raw as AiBotMessageRaw).callback) };
}

/** Normalizes a user message; undefined for a msgtype we do not know (answered politely). */
export function toAiBotMessage(
  callback: AiBotCallback,
  groupNames: Record<string, string>,
  loadMedia: AiBotMediaLoader,
  streamId?: string,
  scope?: string,
): NormalizedMessage | undefined {
  const group = callback.chattype === 'group';
  const chatId = callback.chatid;
  const base = {
    id: aiBotMessageId(callback.msgid),
    channel: 'weworktop',
    chatType: group ? ('group' as const) : ('single' as const),
    senderId: callback.from?.userid ?? '',
    ...(scope ? { scope } : {}),
    ...(group && chatId ? { groupId: chatId, ...(groupNames[chatId] ? { groupName: groupNames[chatId] } : {}) } : {}),
    isAt: group,
    // WeCom shows a group answer (streamed, or through response_url) quoting the asker's message.
    ...(group ? { replyQuotesSender: true } : {}),
    time: new Date(),
    raw: { route: 'aibot', callback, ...(streamId === undefined ? {} : { streamId }) } satisfies AiBotMessageRaw,
  };
  const text = withQuote(ownText(callback), quotedText(callback.quote));
  switch (callback.msgtype) {
    case 'text':
    case 'mixed':
      // 图文混排: the text parts form the question; the images are not looked at.
      return { ...base, kind: 'text', text };
    case 'voice':
      // WeCom transcribes voice for the bot: the text is already there.
      return { ...base, kind: 'voice', text };
    case 'image':
      return {
        ...base,
        kind: 'image',
        text: '',
        media: { mimeType: 'image/jpeg', load: loadMedia(callback.image?.url ?? '', callback.image?.aeskey) },
      };
    case 'file':
      return { ...base, kind: 'file', text: '', media: { load: loadMedia(callback.file?.url ?? '', callback.file?.aeskey) } };
    default:
      return undefined;
  }
}
