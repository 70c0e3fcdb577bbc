import type { BotResponse, FakeWeCom, SentMessage, UploadedMedia } from '../fakes/fake-wecom.js';
import { type ChatEntry, type ChatLog, kfChat, privateChat } from './chat-log.js';
import { markdownToHtml } from './markdown-html.js';
import type { MediaStore } from './media-store.js';

/** How often response_url posts are collected from the fake API. */
const RESPONSE_POLL_MS = 200;

const SEND_LABEL = 'message/send request body (API calls travel over HTTPS as plain JSON; only callbacks are encrypted)';
const KF_SEND_LABEL = 'kf/send_msg request body (its own msgid per part: a retry is refused, never shown twice)';
const KF_EVENT_LABEL = 'kf/send_msg_on_event (the code of an event or a transfer; no LLM)';

/**
 * Turns what the bot sends to the (fake) WeCom API into chat entries: message/send for private
 * chats, response_url posts for AI bot messages answered outside their stream, kf/send_msg and
 * kf/send_msg_on_event for WeChat customers.
 */
export class ReplyWatcher {
  private wecom: FakeWeCom | undefined;
  private readonly responseChats = new Map<string, { chat: string; user: string }>();
  private seenResponses = 0;
  private seenKfSends = 0;
  private seenKfEventSends = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: ChatLog,
    private readonly media: MediaStore,
  ) {}

  /** Starts collecting response_url posts from `wecom` (message/send arrives through onSend). */
  attach(wecom: FakeWeCom): void {
    this.wecom = wecom;
    this.timer = setInterval(() => this.collectResponses(), RESPONSE_POLL_MS);
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** A one-use response_url whose post will appear in `chat`. */
  responseUrl(chat: string, user: string): string {
    if (!this.wecom) throw new Error('reply watcher not attached');
    const url = this.wecom.responseUrl();
    this.responseChats.set(new URL(url).searchParams.get('response_code') ?? '', { chat, user });
    return url;
  }

  /** The fake's onSend hook: one entry per recipient of a message/send call. */
  onSend(message: SentMessage, dropped: boolean): void {
    const raw = [{ label: SEND_LABEL, content: JSON.stringify(message.body, null, 2) }];
    for (const user of message.touser.split('|')) {
      const chat = privateChat(user);
      const entry = this.log.add({ chat, from: 'bot', user, ...this.contentOf(message), raw });
      if (dropped) this.log.note(chat, `WeCom would silently drop message ${entry.id}: more than 30 messages to this user in a minute.`);
    }
  }

  private contentOf(message: SentMessage): Pick<ChatEntry, 'kind' | 'text' | 'html' | 'media'> {
    const payload = (message.body[message.msgtype] ?? {}) as { content?: string; media_id?: string };
    switch (message.msgtype) {
      case 'text':
        return { kind: 'text', text: payload.content ?? '' };
      case 'markdown':
        return { kind: 'markdown', text: payload.content ?? '', html: markdownToHtml(payload.content ?? '') };
      case 'image':
      case 'voice':
      case 'file': {
        const upload = this.wecom?.uploads.find((item) => item.mediaId === payload.media_id);
        if (!upload) return { kind: 'text', text: `(${message.msgtype} ${payload.media_id ?? ''}: no such upload)` };
        return { kind: message.msgtype, text: upload.fileName, media: [this.mediaOf(message.msgtype, upload)] };
      }
      default:
        return { kind: 'text', text: `(${message.msgtype} message; see the payload)` };
    }
  }

  private mediaOf(msgtype: 'image' | 'voice' | 'file', upload: UploadedMedia): NonNullable<ChatEntry['media']>[number] {
    const id = this.media.put(upload.data, upload.contentType || 'application/octet-stream', upload.fileName);
    const type = msgtype === 'voice' ? 'audio' : msgtype;
    return { url: `/media/${id}`, type, name: upload.fileName };
  }

  private collectResponses(): void {
    const responses = this.wecom?.botResponses ?? [];
    while (this.seenResponses < responses.length) {
      this.show(responses[this.seenResponses]!);
      this.seenResponses += 1;
    }
    const kf = this.wecom?.kf;
    while (kf && this.seenKfSends < kf.sent.length) {
      const sent = kf.sent[this.seenKfSends++]!;
      const content = (sent.body.text as { content?: string } | undefined)?.content;
      const raw = [{ label: KF_SEND_LABEL, content: JSON.stringify(sent.body, null, 2) }];
      this.log.add({
        chat: kfChat(sent.touser),
        from: 'bot',
        user: sent.touser,
        kind: 'text',
        text: content ?? `(${sent.msgtype} message; see the payload)`,
        raw,
      });
    }
    while (kf && this.seenKfEventSends < kf.eventSends.length) {
      const sent = kf.eventSends[this.seenKfEventSends++]!;
      const raw = [
        { label: KF_EVENT_LABEL, content: JSON.stringify({ code: sent.code, msgtype: 'text', text: { content: sent.content } }, null, 2) },
      ];
      this.log.add({ chat: kfChat(sent.touser), from: 'bot', user: sent.touser, kind: 'text', text: sent.content, raw });
    }
  }

  private show(response: BotResponse): void {
    const target = this.responseChats.get(response.code);
    if (!target) return;
    this.responseChats.delete(response.code);
    const markdown = (response.body.markdown as { content?: string } | undefined)?.content;
    const raw = [
      { label: 'POST response_url (plain JSON: one call per message, valid 1 hour)', content: JSON.stringify(response.body, null, 2) },
    ];
    if (markdown !== undefined)
      this.log.add({
        chat: target.chat,
        from: 'bot',
        user: target.user,
        kind: 'markdown',
        text: markdown,
        html: markdownToHtml(markdown),
        raw,
      });
    else
      this.log.add({
        chat: target.chat,
        from: 'bot',
        user: target.user,
        kind: 'text',
        text: `(${String(response.body.msgtype)} message; see the payload)`,
        raw,
      });
  }
}
