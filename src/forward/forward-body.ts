import type { NormalizedMessage } from '../message.js';

/** What the bridge POSTs for a received message: the normalized message, with the channel's own fields (route, media ids). */
export interface ForwardBody {
  id: string;
  channel: string;
  /** Which app or bot it came through, when the channel has several. */
  scope?: string;
  from: { id: string; name?: string };
  chat: { type: 'single' | 'group'; id?: string; name?: string };
  type: NormalizedMessage['kind'];
  /** The text; for an event, its name. */
  text: string;
  /** The bot was @-mentioned. */
  at: boolean;
  /** ISO 8601, as the platform stamped it. */
  time: string;
  /** The channel's fields, e.g. weworktop's route ("app", "aibot-ws"...) and media ids. */
  [field: string]: unknown;
}

export function forwardBodyOf(message: NormalizedMessage, channelFields: Record<string, unknown>): ForwardBody {
  return {
    id: message.id,
    channel: message.channel,
    ...(message.scope ? { scope: message.scope } : {}),
    ...channelFields,
    from: { id: message.senderId, ...(message.senderName ? { name: message.senderName } : {}) },
    chat: {
      type: message.chatType,
      ...(message.groupId ? { id: message.groupId } : {}),
      ...(message.groupName ? { name: message.groupName } : {}),
    },
    type: message.kind,
    text: message.text,
    at: message.isAt,
    time: message.time.toISOString(),
  };
}
