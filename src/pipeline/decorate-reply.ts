import type { ChatType } from '../message.js';

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
}

/** CoW's text decoration: private prefix/suffix; in groups "@name\n" first, then the group prefix/suffix. */
export function decorateText(text: string, target: DecorationTarget, rules: DecorationRules): string {
  if (target.chatType === 'single') return rules.single_chat_reply_prefix + text + rules.single_chat_reply_suffix;
  const mention = rules.no_need_at ? '' : `@${target.senderName ?? target.senderId}\n`;
  return rules.group_chat_reply_prefix + mention + text.trim() + rules.group_chat_reply_suffix;
}
