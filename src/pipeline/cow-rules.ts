import type { MessageRules } from '../channel.js';
import type { CoreConfig } from '../config/schema.js';
import type { ChatType, NormalizedMessage } from '../message.js';

/**
 * CoW's chat rules as pure functions: when a message triggers an answer (`_compose_context`) and how
 * the reply is decorated (`_decorate_reply`), channel/chat_channel.py in
 * https://github.com/zhayujie/chatgpt-on-wechat. Where we differ from CoW on purpose, the comment
 * says so (and so does docs/cow-migration.md).
 */

/** First prefix, in list order, that `content` starts with; "" matches everything. */
export function matchPrefix(content: string, prefixes: readonly string[]): string | undefined {
  return prefixes.find((prefix) => content.startsWith(prefix));
}

const ASCII_WORD = /[A-Za-z0-9]/;

/**
 * `content` starts with `prefix`, and a prefix ending in a Latin letter or digit is a whole word
 * there: "draw a cat" and "draw:猫" are image requests, "drawbacks of…" is not (CoW matches without a
 * boundary, so the default ["画", "draw"] made a DALL·E call of it).
 */
export function startsWithWord(content: string, prefix: string): boolean {
  if (!content.startsWith(prefix)) return false;
  const next = content[prefix.length];
  return next === undefined || !ASCII_WORD.test(prefix.at(-1)!) || !ASCII_WORD.test(next);
}

export function containsKeyword(content: string, keywords: readonly string[]): boolean {
  return keywords.some((keyword) => content.includes(keyword));
}

/** Removes a matched prefix once, then surrounding whitespace (CoW: `replace(prefix, "", 1).strip()`). */
export function stripPrefix(content: string, prefix: string): string {
  return content.slice(prefix.length).trim();
}

export interface GroupRef {
  id?: string;
  name?: string;
}

/**
 * CoW matches group names only; WeCom's AI bot gives no names, so we also match the chat id
 * (exactly, and by keyword).
 */
export function groupAllowed(group: GroupRef, whiteList: readonly string[], keywordWhiteList: readonly string[]): boolean {
  if (whiteList.includes('ALL_GROUP')) return true;
  const labels = [group.name, group.id].filter((label): label is string => !!label);
  return labels.some((label) => whiteList.includes(label) || keywordWhiteList.some((keyword) => label.includes(keyword)));
}

export function groupSharesSession(group: GroupRef, sharedGroups: readonly string[]): boolean {
  if (sharedGroups.includes('ALL_GROUP')) return true;
  return [group.name, group.id].some((label) => !!label && sharedGroups.includes(label));
}

export interface TriggerRules {
  single_chat_prefix: readonly string[];
  group_chat_prefix: readonly string[];
  group_chat_keyword: readonly string[];
  group_at_off: boolean;
  nick_name_black_list: readonly string[];
  image_create_prefix: readonly string[];
}

export interface TriggerInput {
  chatType: ChatType;
  text: string;
  isAt: boolean;
  senderId: string;
  senderName?: string;
  /** A transcribed voice note: private chats need no prefix for it (CoW). */
  fromVoice: boolean;
}

export type TriggerDecision =
  | { triggered: true; content: string; imageRequest: boolean }
  /** `code`: the reason as a metric's label (weworktop_answers_total). */
  | { triggered: false; reason: string; code: 'blacklisted' | 'not_triggered' };

/**
 * Decides whether a message triggers the bot and what content remains after the prefixes.
 * Differences from CoW: the black list applies to every message (CoW only checks it for @-mentions
 * in groups), and is matched against the sender id as well as the name (WeCom gives no nicknames).
 */
export function applyTriggerRules(input: TriggerInput, rules: TriggerRules): TriggerDecision {
  const sender = [input.senderId, input.senderName].filter((label): label is string => !!label);
  if (sender.some((label) => rules.nick_name_black_list.includes(label))) {
    return { triggered: false, reason: 'sender is in nick_name_black_list', code: 'blacklisted' };
  }
  let content = input.text;
  if (input.chatType === 'group') {
    let triggered = false;
    const prefix = matchPrefix(content, rules.group_chat_prefix);
    if (prefix !== undefined) {
      triggered = true;
      content = stripPrefix(content, prefix);
    }
    if (containsKeyword(input.text, rules.group_chat_keyword)) triggered = true;
    if (input.isAt && !rules.group_at_off) triggered = true;
    if (!triggered)
      return { triggered: false, reason: 'no group_chat_prefix, group_chat_keyword or @-mention matched', code: 'not_triggered' };
  } else {
    const prefix = matchPrefix(content, rules.single_chat_prefix);
    if (prefix !== undefined) content = stripPrefix(content, prefix);
    else if (!input.fromVoice) return { triggered: false, reason: 'no single_chat_prefix matched', code: 'not_triggered' };
  }
  content = content.trim();
  // "" never marks an image request: with CoW's [""] default nothing is an image (check_prefix returns a falsy "").
  const imagePrefix = rules.image_create_prefix.find((prefix) => prefix !== '' && startsWithWord(content, prefix));
  if (imagePrefix !== undefined) return { triggered: true, content: stripPrefix(content, imagePrefix), imageRequest: true };
  return { triggered: true, content, imageRequest: false };
}

export interface DecorationRules {
  single_chat_reply_prefix: string;
  single_chat_reply_suffix: string;
  group_chat_reply_prefix: string;
  group_chat_reply_suffix: string;
  no_need_at: boolean;
}

export interface DecorationTarget {
  chatType: ChatType;
  senderId: string;
  senderName?: string;
  replyQuotesSender?: boolean;
}

/**
 * CoW's text decoration: private prefix/suffix; in groups the group prefix, "@name\n", the text,
 * the group suffix. No "@name" where the platform already shows whom the reply answers: there it
 * would be a bare user id, not a mention (CoW's own wecom_bot channel sets no_need_at for this).
 */
export function decorateText(text: string, target: DecorationTarget, rules: DecorationRules): string {
  if (target.chatType === 'single') return rules.single_chat_reply_prefix + text + rules.single_chat_reply_suffix;
  const mention = rules.no_need_at || target.replyQuotesSender ? '' : `@${target.senderName ?? target.senderId}\n`;
  return rules.group_chat_reply_prefix + mention + text.trim() + rules.group_chat_reply_suffix;
}

export const CHAT_ID_COMMAND = '#chatid';

type RulesConfig = Pick<
  CoreConfig,
  | 'group_chat_in_one_session'
  | 'group_name_white_list'
  | 'group_name_keyword_white_list'
  | 'speech_recognition'
  | 'group_speech_recognition'
> &
  Parameters<typeof applyTriggerRules>[1] & { bot_type?: string };

/** CoW's rules that need no I/O: which conversation a message belongs to, and whether it would be answered. */
export class ConfiguredRules implements MessageRules {
  constructor(private readonly config: RulesConfig) {}

  /**
   * Private chats: the user. Groups: the group when it shares one session, else the member within
   * the group. Within the message's scope (the app or bot it came through), when it has one.
   */
  sessionKey(message: NormalizedMessage): string {
    const key = this.keyInScope(message);
    return message.scope ? `${message.scope}|${key}` : key;
  }

  private keyInScope(message: NormalizedMessage): string {
    if (message.chatType === 'single') return message.senderId;
    const group = { id: message.groupId, name: message.groupName };
    if (groupSharesSession(group, this.config.group_chat_in_one_session)) return `group:${message.groupId}`;
    return `group:${message.groupId}:${message.senderId}`;
  }

  wouldAnswer(message: NormalizedMessage): boolean {
    const { config } = this;
    // A pure bridge: what users write is forwarded, nothing is answered.
    if (config.bot_type === 'none') return false;
    if (message.chatType === 'group') {
      if (message.kind === 'text' && message.text.trim() === CHAT_ID_COMMAND) return true;
      if (
        !groupAllowed({ id: message.groupId, name: message.groupName }, config.group_name_white_list, config.group_name_keyword_white_list)
      )
        return false;
    }
    if (message.kind === 'event') return false;
    if (message.kind === 'voice' && !(message.chatType === 'group' ? config.group_speech_recognition : config.speech_recognition))
      return false;
    // Media kinds are answered (or politely declined) whenever the chat passes the whitelist.
    if (message.kind !== 'text' && !(message.kind === 'voice' && message.text)) return message.chatType === 'single' || message.isAt;
    // A bare "@bot" (nothing left to answer) is ignored by the pipeline: no answer is promised for it.
    const decision = applyTriggerRules({ ...message, fromVoice: message.kind === 'voice' }, config);
    return decision.triggered && decision.content !== '';
  }
}
