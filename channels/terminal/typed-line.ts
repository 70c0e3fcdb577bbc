import type { NormalizedMessage } from '../../src/message.js';

/** What a typed line is stored as (NormalizedMessage.raw), enough to rebuild the message on the answer worker. */
export interface TypedLine {
  route: 'terminal';
  id: string;
  text: string;
  group?: string;
  at: number;
}

/** A reply for the terminal, from the answer worker to the main thread, which prints it. */
export interface Said {
  type: 'terminal-said';
  text: string;
}

export const isSaid = (message: unknown): message is Said => (message as Said | null)?.type === 'terminal-said';

/** The one user at the keyboard, privately or (a line starting "group:NAME ") in group NAME. */
export function toTerminalMessage(typed: TypedLine): NormalizedMessage {
  return {
    id: typed.id,
    channel: 'terminal',
    chatType: typed.group ? 'group' : 'single',
    senderId: 'terminal-user',
    senderName: 'you',
    ...(typed.group ? { groupId: typed.group, groupName: typed.group } : {}),
    isAt: false,
    kind: 'text',
    text: typed.text,
    time: new Date(typed.at),
    raw: typed,
  };
}
