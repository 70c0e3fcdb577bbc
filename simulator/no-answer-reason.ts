import { type AiBotCallback, toAiBotMessage, withoutQuote } from '../channels/weworktop/aibot/aibot-message.js';
import type { CoreConfig } from '../src/config/schema.js';
import type { NormalizedMessage } from '../src/message.js';
import { loadedByTheReplier } from '../src/message.js';
import { applyTriggerRules, groupAllowed } from '../src/pipeline/cow-rules.js';

/**
 * Why the AI bot answered a group message with nothing: the check the channel makes inside the
 * callback (ConfiguredRules.wouldAnswer), step by step, in the words the pipeline logs.
 */
export function noAnswerReason(config: CoreConfig, groupNames: Record<string, string>, callback: AiBotCallback): string {
  const normalized = toAiBotMessage(callback, groupNames, loadedByTheReplier);
  if (!normalized) return `msgtype ${callback.msgtype} is not one the bot reads`;
  const message: NormalizedMessage = withoutQuote(normalized);
  if (
    message.chatType === 'group' &&
    !groupAllowed({ id: message.groupId, name: message.groupName }, config.group_name_white_list, config.group_name_keyword_white_list)
  ) {
    return `group ${message.groupName ?? message.groupId} is not in group_name_white_list / group_name_keyword_white_list (send #chatid there to learn its id)`;
  }
  const decision = applyTriggerRules({ ...message, fromVoice: message.kind === 'voice' }, config);
  if (!decision.triggered) return decision.reason;
  if (decision.content === '') return 'nothing left after the trigger prefix';
  return 'see the server log';
}
