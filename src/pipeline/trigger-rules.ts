import type { ChatType } from '../message.js';

/**
 * CoW's `_compose_context` trigger rules as pure functions (channel/chat_channel.py in
 * https://github.com/zhayujie/chatgpt-on-wechat). Where we differ from CoW on purpose, the comment
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
