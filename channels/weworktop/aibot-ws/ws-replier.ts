import type { AxiosInstance } from 'axios';
import type { ChannelLink, DeliveredParts, ReplyContext } from '../../../src/channel.js';
import type { Logger } from '../../../src/logger.js';
import type { NormalizedMessage } from '../../../src/message.js';
import { userMessages } from '../../../src/pipeline/user-messages.js';
import type { PushContent, PushImage } from '../../../src/push/push-message.js';
import type { Reply } from '../../../src/reply.js';
import { UserFacingError } from '../../../src/user-facing-error.js';
import type { WsBot } from '../config.js';
import { closeWeComHttp } from '../wecom/http-client.js';
import { splitUtf8 } from '../wecom/text.js';
import { ACK_TIMEOUT_MS } from './ws-acks.js';
import { isTransientErrcode, markdownSendFrame, mediaFrame, type WsFrame, type WsMediaType } from './ws-frames.js';
import { type FrameResult, WsLinkClient } from './ws-link.js';
import { downloadWsMedia } from './ws-media.js';
import { type AiBotWsMessageRaw, chatOf, toWsMessage, wsMessageId } from './ws-message.js';
import { pushToChat } from './ws-push.js';
import { endsStream, MAX_STREAM_BYTES, WsReplyStream } from './ws-reply-stream.js';
import { fitsUpload, uploadMedia, WsCallError } from './ws-upload.js';

/** Delivers a reply to a user through the self-built app (message/send), for DMs the bot cannot deliver. */
export type AppFallback = (reply: Reply, userId: string) => Promise<void>;

export interface AiBotWsReplierOptions {
  bots: WsBot[];
  groupNames: Record<string, string>;
  /** To the receiving half, which owns the sockets. */
  link: ChannelLink;
  http: AxiosInstance;
  logger: Logger;
  /** Set when a self-built app is configured: bot first, app fallback. */
  appFallback?: AppFallback | undefined;
  now?: () => number;
}

/**
 * The AI bot's long connection, answering half (on the answer worker): streams the answer on the
 * callback's req_id while it lives, else sends it proactively (aibot_send_msg) to the chat; a DM
 * the bot cannot deliver goes through the self-built app when there is one. Every frame resolves
 * only on WeCom's ack, so an answer counts as delivered only once WeCom took it.
 */
export class AiBotWsReplier {
  private readonly client: WsLinkClient;
  private readonly bots: Map<string, WsBot>;
  /** Streams of the answers being made, by message id. */
  private readonly streams = new Map<string, WsReplyStream>();
  private readonly log: Logger;

  constructor(private readonly options: AiBotWsReplierOptions) {
    this.client = new WsLinkClient(options.link, ACK_TIMEOUT_MS);
    this.bots = new Map(options.bots.map((bot) => [bot.bot_id, bot]));
    this.log = options.logger.child({ module: 'aibot-ws' });
  }

  revive(raw: AiBotWsMessageRaw): NormalizedMessage | undefined {
    if (!this.bots.has(raw.bot)) return undefined;
    return toWsMessage(raw, this.options.groupNames, (url, aeskey) => this.loadMedia(url, aeskey));
  }

  /** A message taken in by this run streams its answer; one replayed from the inbox has no req_id left. */
  begin(message: NormalizedMessage, job: { replayed: boolean }): { onPartial?: (text: string) => void } {
    const raw = rawOf(message);
    if (job.replayed) return {};
    const stream = new WsReplyStream({
      reqId: raw.reqId,
      send: (frame) => this.client.send(raw.bot, frame, 0),
      ...(this.options.now ? { now: this.options.now } : {}),
    });
    this.streams.set(message.id, stream);
    return this.bots.get(raw.bot)?.stream ? { onPartial: (text) => stream.partial(text) } : {};
  }

  end(message: NormalizedMessage): 'delivered' {
    const raw = rawOf(message);
    // An answer that ended without a reply (a plugin, the apology not delivered) leaves no open bubble.
    this.streams.get(message.id)?.abandon();
    this.streams.delete(message.id);
    this.client.done(raw.bot, raw.callback.msgid);
    return 'delivered';
  }

  async deliver(reply: Reply, context: ReplyContext): Promise<void> {
    const raw = rawOf(context.message);
    if (reply.type === 'text' || reply.type === 'error') return this.deliverText(raw, context.message.id, reply.text, context.parts);
    if (reply.type === 'image' || reply.type === 'file') {
      const name = reply.type === 'file' ? reply.fileName : `image.${reply.mimeType.split('/')[1] ?? 'png'}`;
      return this.deliverMedia(raw, context.message.id, reply, reply.type, reply.data, name, context.parts);
    }
    this.log.warn({ type: reply.type }, 'the AI bot cannot send voice; its text is sent instead');
    return this.deliverText(raw, context.message.id, reply.text ?? userMessages.cannotSendKind, context.parts);
  }

  async notify(raw: AiBotWsMessageRaw, text: string): Promise<void> {
    await this.proactive(raw, markdownSendFrame(chatOf(raw.callback), text), { type: 'text', text });
  }

  /** The push API's `chat` target: sent first by the bot named (or the first) on its long connection. */
  push(
    chatid: string,
    botId: string | undefined,
    content: PushContent,
    parts: DeliveredParts,
    loadImage: (image: PushImage, maxBytes: number) => Promise<Buffer>,
  ) {
    // Pushes name their bot when stored (push-check.ts); one queued by an earlier version may not.
    const bot = botId ?? this.options.bots[0]!.bot_id;
    // Queued before a config change took the bot away: it will not come back.
    if (!this.options.bots.some((each) => each.bot_id === bot)) return Promise.reject(new Error(`no AI bot ${bot} is configured any more`));
    return pushToChat((frame) => this.client.send(bot, frame, this.waitMs(bot)), chatid, content, parts, loadImage);
  }

  close(): void {
    for (const stream of this.streams.values()) stream.abandon();
    closeWeComHttp(this.options.http);
  }

  /** The answer in pieces of 20480 bytes: the first finishes the stream if it can still be written, the rest go proactively. */
  private async deliverText(raw: AiBotWsMessageRaw, id: string, text: string, parts: DeliveredParts | undefined): Promise<void> {
    const pieces = splitUtf8(text || userMessages.emptyAnswer, MAX_STREAM_BYTES);
    for (const [index, piece] of pieces.entries()) {
      if (parts?.alreadySent()) continue;
      const stream = index === 0 ? this.streams.get(id) : undefined;
      if (!stream || !(await this.viaStream(raw, stream, piece)))
        await this.proactive(raw, markdownSendFrame(chatOf(raw.callback), piece), { type: 'text', text: piece });
      parts?.sent();
    }
  }

  /** True when the stream took the piece; false when it can no longer be written (the piece goes proactively). */
  private async viaStream(raw: AiBotWsMessageRaw, stream: WsReplyStream, piece: string): Promise<boolean> {
    const result = await stream.finish(piece);
    if (result.ok) {
      this.delivered(raw, 'stream', piece);
      return true;
    }
    if (!endsStream(result)) throw failure('aibot_respond_msg', result);
    this.log.info(
      { id: raw.callback.msgid, bot_id: raw.bot, ...describe(result) },
      'the stream can no longer be written; answering with aibot_send_msg',
    );
    return false;
  }

  private async deliverMedia(
    raw: AiBotWsMessageRaw,
    id: string,
    reply: Reply,
    type: WsMediaType,
    data: Buffer,
    name: string,
    parts: DeliveredParts | undefined,
  ): Promise<void> {
    if (parts?.alreadySent()) return;
    const dm = raw.callback.chattype !== 'group';
    if (!fitsUpload(type, data)) {
      if (dm && this.options.appFallback) await this.viaApp(raw, reply, `the ${type} is over the bot's upload limit`);
      else
        await this.deliverText(
          raw,
          id,
          type === 'image' ? '（回复的图片太大，机器人无法发送）' : '（回复的文件太大，机器人无法发送）',
          undefined,
        );
      return parts?.sent();
    }
    const waitMs = this.waitMs(raw.bot);
    let mediaId: string;
    try {
      mediaId = await uploadMedia((frame) => this.client.send(raw.bot, frame, waitMs), type, data, name);
    } catch (error) {
      if (error instanceof WsCallError && error.result.reason === 'down' && dm && this.options.appFallback) {
        await this.viaApp(raw, reply, 'the bot is not connected');
        return parts?.sent();
      }
      throw error instanceof WsCallError ? failure(error.cmd, error.result) : error;
    }
    const asReply = await this.client.send(raw.bot, mediaFrame({ reqId: raw.reqId }, type, mediaId), 0);
    if (asReply.ok) this.delivered(raw, 'aibot_respond_msg', name);
    else if (endsStream(asReply)) await this.proactive(raw, mediaFrame(chatOf(raw.callback), type, mediaId), reply);
    else throw failure('aibot_respond_msg', asReply);
    parts?.sent();
  }

  /** aibot_send_msg to the chat, waiting (bounded) for the connection; a DM falls back to the app. */
  private async proactive(raw: AiBotWsMessageRaw, frame: WsFrame, reply: Reply): Promise<void> {
    const result = await this.client.send(raw.bot, frame, this.waitMs(raw.bot));
    if (result.ok) return this.delivered(raw, 'aibot_send_msg', reply.type === 'text' ? reply.text : reply.type);
    if (result.reason === 'down' && raw.callback.chattype !== 'group' && this.options.appFallback)
      return this.viaApp(raw, reply, `the bot is not connected (${result.detail})`);
    throw failure('aibot_send_msg', result);
  }

  private async viaApp(raw: AiBotWsMessageRaw, reply: Reply, why: string): Promise<void> {
    const user = raw.callback.from?.userid ?? '';
    await this.options.appFallback!(reply, user);
    this.log.info(
      { id: wsMessageId(raw.bot, raw.callback.msgid), to: user, route: 'app message/send', why },
      'AI bot answer delivered through the self-built app',
    );
  }

  private delivered(raw: AiBotWsMessageRaw, route: string, what: string): void {
    this.log.info({ id: wsMessageId(raw.bot, raw.callback.msgid), route, bytes: Buffer.byteLength(what) }, 'AI bot answer delivered');
  }

  /** As long as it takes the connection to notice it is dead and reconnect: two heartbeats. */
  private waitMs(bot: string): number {
    return 2 * (this.bots.get(bot)?.heartbeat_seconds ?? 30) * 1000;
  }

  /** Media URLs are valid 5 minutes, each encrypted with its own aeskey. */
  private loadMedia(url: string, aeskey: string | undefined): () => Promise<Buffer> {
    return async () => {
      try {
        return await downloadWsMedia(this.options.http, url, aeskey);
      } catch (error) {
        this.log.warn({ err: (error as Error).message }, 'AI bot media download failed');
        throw new UserFacingError('没能取到这个文件，请再发一次。', { cause: error });
      }
    };
  }
}

function rawOf(message: NormalizedMessage): AiBotWsMessageRaw {
  return message.raw as AiBotWsMessageRaw;
}

function describe(result: Exclude<FrameResult, { ok: true }>): Record<string, unknown> {
  return result.reason === 'error-ack'
    ? { errcode: result.errcode, errmsg: result.errmsg }
    : { reason: result.reason, detail: result.detail };
}

/**
 * A frame WeCom did not take. Transient (the runner retries the message) unless WeCom refused it
 * for good: a written frame whose ack never came may have arrived, and is retried too.
 */
function failure(cmd: string, result: Exclude<FrameResult, { ok: true }>): Error {
  const transient = result.reason !== 'error-ack' || isTransientErrcode(result.errcode);
  return Object.assign(
    new Error(
      `${cmd}: ${result.reason === 'error-ack' ? `errcode ${result.errcode} ${result.errmsg}` : `${result.reason} (${result.detail})`}`,
    ),
    { transient },
  );
}
