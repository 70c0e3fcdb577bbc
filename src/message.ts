/** The one message shape every channel produces; the core never sees a platform payload. */
export type ChatType = 'single' | 'group';

export type MessageKind = 'text' | 'voice' | 'image' | 'file' | 'video' | 'location' | 'link' | 'event';

/** Media behind a message, fetched only when something needs the bytes. */
export interface MediaHandle {
  /** File format as the platform names it, e.g. "amr", "jpg". */
  readonly format?: string;
  readonly fileName?: string;
  readonly mimeType?: string;
  load(): Promise<Buffer>;
}

export interface NormalizedMessage {
  /** Unique per platform message; also the dedupe key. */
  id: string;
  /** channel_type of the channel that received it. */
  channel: string;
  chatType: ChatType;
  senderId: string;
  senderName?: string;
  /** Group chat id (group chats only). */
  groupId?: string;
  groupName?: string;
  /** The platform shows the reply as an answer to this message, quoting its sender (WeCom's AI bot in groups): no "@name" line then. */
  replyQuotesSender?: boolean;
  /**
   * Which of the channel's entry points (an app, a bot) it came through, when there are several
   * with their own assistants: conversations never cross scopes. Absent: the channel's default.
   */
  scope?: string;
  /** The bot was @-mentioned (the mention text is already stripped from `text`). */
  isAt: boolean;
  kind: MessageKind;
  /** Text content; for voice, a platform transcription when one came with it; for events, the event name. */
  text: string;
  media?: MediaHandle;
  time: Date;
  /** The platform payload, opaque to the core (channels read their own fields back from it). */
  raw: unknown;
}

/** For a receiving half, which never reads media: the replier rebuilds the message with a real loader. */
export const loadedByTheReplier = (): MediaHandle['load'] => () =>
  Promise.reject(new Error('media is loaded by the replier, on the answer worker'));
