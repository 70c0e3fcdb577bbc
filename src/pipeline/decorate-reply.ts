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
