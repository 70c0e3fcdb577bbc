import { randomBytes } from 'node:crypto';
import type { AiBotCallback } from '../channels/weworktop/aibot/aibot-message.js';
import type { FakeWeComWs, ReceivedFrame } from '../fakes/fake-wecom-ws.js';
import { type ChatEntry, type ChatLog, groupChat, privateChat, type RawPayload } from './chat-log.js';
import { reachesBot } from './group-chat-sender.js';
import { markdownToHtml } from './markdown-html.js';
import type { MediaStore } from './media-store.js';

export interface WsGroupChatSenderOptions {
  /** The fake WeCom's end of the long connection. */
  ws: FakeWeComWs;
  botId: string;
  botName: string;
  log: ChatLog;
  media: MediaStore;
  /** Why the bot stays silent on a message (the check the channel makes), for the note. */
  whyNoAnswer: (callback: AiBotCallback) => string;
  /** How long without a frame before the page says no answer is coming (default 1.5 s). */
  quietMs?: number;
}

interface Reply {
  entry: ChatEntry;
  frames: number;
}

const json = (value: unknown) => JSON.stringify(value, null, 2);

/**
 * Group chats through the AI bot's long connection, as WeCom runs them: a message that @-mentions
 * the bot is pushed down the bot's socket as plain JSON (no callback crypto); the bot answers with
 * stream frames on the message's req_id, each acked, or proactively with aibot_send_msg.
 */
export class WsGroupChatSender {
  /** Replies being shown, by the req_id of the message they answer. */
  private readonly replies = new Map<string, { user: string; chat: string; reply?: Reply; timer: NodeJS.Timeout }>();
  private readonly unwatch: () => void;

  constructor(private readonly options: WsGroupChatSenderOptions) {
    this.unwatch = options.ws.onFrame((seen) => this.onFrame(seen));
  }

  async text(user: string, chatId: string, text: string): Promise<ChatEntry> {
    const { log, ws, botId, botName } = this.options;
    const chat = groupChat(chatId);
    const entry = log.add({ chat, from: 'user', user, kind: 'text', text });
    if (!reachesBot(log, chat, botName, text)) return entry;
    if (!ws.subscribed(botId)) {
      log.note(chat, 'Not sent: the bot is not connected to the (fake) WeCom long connection right now; see the server log.');
      return entry;
    }
    const callback = {
      msgid: randomBytes(12).toString('hex'),
      chattype: 'group' as const,
      chatid: chatId,
      from: { userid: user },
      msgtype: 'text',
      text: { content: text },
    };
    const reqId = ws.pushMessage(botId, callback);
    const frame = { cmd: 'aibot_msg_callback', headers: { req_id: reqId }, body: { ...callback, aibotid: botId } };
    log.update(entry, {
      raw: [
        { label: "callback frame, pushed down the bot's long connection (plain JSON: no callback URL, no crypto)", content: json(frame) },
      ],
    });
    const timer = setTimeout(() => this.silent(reqId, callback), this.options.quietMs ?? 1500);
    this.replies.set(reqId, { user, chat, timer });
    return entry;
  }

  async close(): Promise<void> {
    this.unwatch();
    for (const reply of this.replies.values()) clearTimeout(reply.timer);
    this.replies.clear();
  }

  private silent(reqId: string, callback: AiBotCallback): void {
    const waiting = this.replies.get(reqId);
    if (!waiting || waiting.reply) return;
    this.replies.delete(reqId);
    this.options.log.note(waiting.chat, `No answer (nothing came back over the long connection): ${this.options.whyNoAnswer(callback)}`);
  }

  private onFrame(seen: ReceivedFrame): void {
    const { frame } = seen;
    const waiting = this.replies.get(frame.headers.req_id);
    if (frame.cmd === 'aibot_send_msg') {
      this.onProactive(seen);
      return;
    }
    if (!waiting || frame.cmd !== 'aibot_respond_msg') return;
    clearTimeout(waiting.timer);
    const body = frame.body ?? {};
    const raw: RawPayload = { label: `${frame.cmd} frame #${(waiting.reply?.frames ?? 0) + 1}, acked errcode 0`, content: json(frame) };
    if (body.msgtype === 'stream') {
      const stream = body.stream as { content?: string; finish?: boolean };
      const content = stream.content ?? '';
      const change = { text: content, html: markdownToHtml(content), streaming: !stream.finish };
      if (!waiting.reply)
        waiting.reply = {
          entry: this.options.log.add({ chat: waiting.chat, from: 'bot', user: waiting.user, kind: 'stream', ...change, raw: [raw] }),
          frames: 1,
        };
      else {
        waiting.reply.frames += 1;
        this.options.log.update(waiting.reply.entry, { ...change, raw: [...waiting.reply.entry.raw, raw] });
      }
      if (stream.finish) this.replies.delete(frame.headers.req_id);
      return;
    }
    this.options.log.add({ chat: waiting.chat, from: 'bot', user: waiting.user, ...this.mediaOf(body), raw: [raw] });
  }

  /** aibot_send_msg: an answer the bot sent on its own (its stream could no longer be written). */
  private onProactive({ frame }: ReceivedFrame): void {
    const body = frame.body ?? {};
    const chat = body.chat_type === 1 ? privateChat(String(body.chatid)) : groupChat(String(body.chatid));
    const raw = [{ label: 'aibot_send_msg frame (proactive, to the chat), acked errcode 0', content: json(frame) }];
    if (body.msgtype !== 'markdown') {
      this.options.log.add({ chat, from: 'bot', user: '', ...this.mediaOf(body), raw });
      return;
    }
    const content = (body.markdown as { content?: string } | undefined)?.content ?? '';
    this.options.log.add({ chat, from: 'bot', user: '', kind: 'markdown', text: content, html: markdownToHtml(content), raw });
  }

  private mediaOf(body: Record<string, unknown>): Pick<ChatEntry, 'kind' | 'text' | 'media'> {
    const type = String(body.msgtype);
    const mediaId = (body[type] as { media_id?: string } | undefined)?.media_id;
    const upload = this.options.ws.uploads.find((item) => item.mediaId === mediaId);
    if (!upload) return { kind: 'text', text: `(${type} message; see the payload)` };
    const id = this.options.media.put(upload.data, type === 'image' ? 'image/png' : 'application/octet-stream', upload.filename);
    return {
      kind: type === 'image' ? 'image' : 'file',
      text: upload.filename,
      media: [{ url: `/media/${id}`, type: type === 'image' ? 'image' : 'file', name: upload.filename }],
    };
  }
}
