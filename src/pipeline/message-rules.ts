import type { MessageRules } from '../channel.js';
import type { CoreConfig } from '../config/schema.js';
import type { NormalizedMessage } from '../message.js';
import { applyTriggerRules, groupAllowed, groupSharesSession } from './trigger-rules.js';

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
