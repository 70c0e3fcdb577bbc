import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AiBotCallback } from '../channels/weworktop/aibot/aibot-message.js';
import { AiBotClient } from '../fakes/wecom-client.js';
import { type ChatEntry, type ChatLog, groupChat, type RawPayload } from './chat-log.js';
import type { DemoCredentials } from './demo-config.js';
import { markdownToHtml } from './markdown-html.js';
import type { MediaStore } from './media-store.js';
import type { ReplyWatcher } from './reply-watcher.js';

export interface GroupChatSenderOptions {
  /** The AI bot's callback URL. */
  callbackUrl: string;
  credentials: DemoCredentials;
  botName: string;
  log: ChatLog;
  media: MediaStore;
  watcher: ReplyWatcher;
  /** Pause between stream refreshes. */
  pollMs?: number;
  /** Why the bot answered a message with nothing (the reason the server decided on). */
  whyNoAnswer: (callback: AiBotCallback) => string;
}

/** WeCom hands the bot a group message only when it @-mentions the bot; else the page says so. */
export function reachesBot(log: ChatLog, chat: string, botName: string, text: string): boolean {
  const name = botName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (new RegExp(`(^|\\s)@${name}(?=\\s|$)`, 'u').test(text)) return true;
  log.note(chat, `Not sent to the bot: in a group, WeCom gives the AI bot only messages that @-mention it (start with "@${botName} ").`);
  return false;
}

/** WeCom stops polling a stream 6 minutes after the user's message (https://developer.work.weixin.qq.com/document/path/100719). */
const MAX_POLL_MS = 6 * 60 * 1000;

interface Posted {
  status: number;
  answer?: Record<string, unknown>;
  raw: RawPayload[];
  error?: string;
}

type Stream = { id?: string; finish?: boolean; content?: string; msg_item?: Array<{ msgtype?: string; image?: { base64?: string } }> };

/**
 * Group chats through the AI bot (智能机器人) route, as WeCom runs them: a message that @-mentions
 * the bot is posted as an encrypted JSON callback; the answer opens a stream that WeCom then polls
 * with "refresh" callbacks until it is finished. Each poll's state is shown as it grows.
 */
export class GroupChatSender {
  private readonly client: AiBotClient;
  private readonly stopping = new AbortController();
  private readonly polls = new Set<Promise<void>>();

  constructor(private readonly options: GroupChatSenderOptions) {
    const { credentials } = options;
    this.client = new AiBotClient({
      url: options.callbackUrl,
      token: credentials.botToken,
      encodingAesKey: credentials.botAesKey,
      aibotId: credentials.botId,
    });
  }

  async text(user: string, chatId: string, text: string): Promise<ChatEntry> {
    const { log, watcher, botName } = this.options;
    const chat = groupChat(chatId);
    const entry = log.add({ chat, from: 'user', user, kind: 'text', text });
    if (!reachesBot(log, chat, botName, text)) return entry;
    const base = { chattype: 'group' as const, chatid: chatId, from: { userid: user }, response_url: watcher.responseUrl(chat, user) };
    const callback = { msgid: randomBytes(16).toString('hex'), ...base, msgtype: 'text', text: { content: text } };
    const posted = await this.post(callback);
    log.update(entry, { raw: posted.raw });
    if (posted.error) {
      log.note(chat, posted.error);
      return entry;
    }
    const answer = posted.answer;
    if (!answer) {
      log.note(chat, `No answer (the callback was answered empty): ${this.options.whyNoAnswer(callback)}`);
    } else if (answer.msgtype === 'stream') {
      const stream = answer.stream as Stream;
      const reply = log.add({ chat, from: 'bot', user, kind: 'stream', text: '', streaming: true });
      this.showStream(reply, stream, posted.raw.slice(-2), 0);
      if (!stream.finish && stream.id) this.track(this.poll(reply, stream.id, base));
    } else {
      const content = (answer[String(answer.msgtype)] as { content?: string } | undefined)?.content ?? JSON.stringify(answer);
      log.add({ chat, from: 'bot', user, kind: 'text', text: content, raw: posted.raw.slice(-2) });
    }
    return entry;
  }

  /** Stops polling streams (the page server is closing). */
  async close(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.polls]);
  }

  private track(poll: Promise<void>): void {
    this.polls.add(poll);
    void poll.finally(() => this.polls.delete(poll));
  }

  /** WeCom's refresh callbacks, until the stream is finished or WeCom would give up. */
  private async poll(reply: ChatEntry, streamId: string, base: Record<string, unknown>): Promise<void> {
    const deadline = Date.now() + MAX_POLL_MS;
    for (let count = 1; Date.now() < deadline; count++) {
      try {
        await sleep(this.options.pollMs ?? 500, undefined, { signal: this.stopping.signal });
      } catch {
        return;
      }
      const posted = await this.post({ msgid: randomBytes(16).toString('hex'), ...base, msgtype: 'stream', stream: { id: streamId } });
      if (posted.error || posted.answer?.msgtype !== 'stream') {
        this.options.log.update(reply, { streaming: false, raw: posted.raw });
        this.options.log.note(reply.chat, posted.error ?? 'the refresh got no stream answer; polling stopped');
        return;
      }
      const stream = posted.answer.stream as Stream;
      this.showStream(reply, stream, posted.raw, count);
      if (stream.finish) return;
    }
    this.options.log.update(reply, { streaming: false });
    this.options.log.note(reply.chat, 'WeCom stops polling a stream after 6 minutes; this answer was never finished.');
  }

  private showStream(reply: ChatEntry, stream: Stream, raw: RawPayload[], polls: number): void {
    const content = stream.content ?? '';
    const images = (stream.msg_item ?? []).filter((item) => item.msgtype === 'image' && item.image?.base64);
    const media = images.map((item) => ({
      url: `/media/${this.options.media.put(Buffer.from(item.image!.base64!, 'base64'), 'image/jpeg')}`,
      type: 'image' as const,
    }));
    const label = polls === 0 ? 'stream opened by the passive answer' : `after refresh poll #${polls}`;
    this.options.log.update(reply, {
      text: content,
      html: markdownToHtml(content),
      streaming: !stream.finish,
      ...(media.length > 0 ? { media } : {}),
      raw: [{ label: 'stream', content: `${label}; ${stream.finish ? 'finished' : 'still being written'}` }, ...raw],
    });
  }

  /** One callback, encrypted like WeCom's, and its encrypted answer checked and decrypted. */
  private async post(callback: Record<string, unknown>): Promise<Posted> {
    const { url, body, nonce } = this.client.encode(callback);
    const request = new URL(url);
    const raw: RawPayload[] = [
      { label: 'callback request', content: `POST ${request.pathname}${request.search}` },
      { label: 'body, encrypted (as WeCom posts it)', content: body },
      {
        label: 'encrypt, decrypted',
        content: JSON.stringify(JSON.parse(this.client.crypto.decrypt((JSON.parse(body) as { encrypt: string }).encrypt)), null, 2),
      },
    ];
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' }, signal: this.stopping.signal });
    } catch (error) {
      return { status: 0, raw, error: `the callback could not be sent: ${(error as Error).message}` };
    }
    const text = await response.text();
    raw.push({ label: 'answer, encrypted', content: `HTTP ${response.status}\n${text || '(empty body)'}` });
    if (response.status !== 200)
      return { status: response.status, raw, error: `the callback was refused: HTTP ${response.status} ${text}` };
    if (text === '') return { status: 200, raw };
    const envelope = JSON.parse(text) as { encrypt: string; msgsignature: string; timestamp: number; nonce: string };
    if (envelope.nonce !== nonce)
      return { status: 200, raw, error: `the answer carries nonce ${envelope.nonce}, not the callback's ${nonce}: WeCom would reject it` };
    if (!this.client.crypto.verifySignature(envelope.msgsignature, String(envelope.timestamp), envelope.nonce, envelope.encrypt)) {
      return { status: 200, raw, error: 'the answer signature does not verify: WeCom would reject it' };
    }
    const answer = JSON.parse(this.client.crypto.decrypt(envelope.encrypt)) as Record<string, unknown>;
    raw.push({ label: 'answer, decrypted', content: JSON.stringify(answer, null, 2) });
    return { status: 200, answer, raw };
  }
}
