import { randomBytes } from 'node:crypto';
import type { AxiosInstance } from 'axios';
import type { FastifyInstance } from 'fastify';
import type { Channel, MessageHandler, ReplyContext } from '../../../src/channel.js';
import type { Logger } from '../../../src/logger.js';
import type { MessageIntake } from '../../../src/message-intake.js';
import type { NormalizedMessage } from '../../../src/message.js';
import { userMessages } from '../../../src/pipeline/user-messages.js';
import type { Reply } from '../../../src/reply.js';
import { UserFacingError } from '../../../src/user-facing-error.js';
import type { AiBotConfig } from '../config.js';
import { WeComCrypto } from '../crypto.js';
import { splitUtf8 } from '../split-utf8.js';
import { finishedStreamAnswer, markdownMessage, MAX_STREAM_BYTES, MAX_STREAM_IMAGE_BYTES, streamAnswer, streamImage } from './aibot-answers.js';
import { toNormalizedMessage, type AiBotCallback, type AiBotMessageRaw } from './aibot-message.js';
import { registerAiBotCallback } from './aibot-route.js';
import { postToResponseUrl } from './response-url.js';
import { ReplyStreams, type ReplyStream } from './reply-streams.js';

/** "用户跟同一个智能机器人最多同时有三条消息交互中" (spec §4c). */
const MAX_IN_FLIGHT_PER_USER = 3;
/** WeCom polls a stream for 6 minutes at most; state lives a little longer. */
const STREAM_TTL_MS = 10 * 60 * 1000;
/** Media URLs in callbacks; files may be up to 100 MB, we take up to 20 MB. */
const MAX_MEDIA_BYTES = 20 * 1024 * 1024;

export interface AiBotReceiverOptions {
  config: AiBotConfig;
  groupNames: Record<string, string>;
  welcomeMessage: string;
  maxClockSkew: number;
  intake: MessageIntake;
  handler: MessageHandler;
  channel: Channel;
  http: AxiosInstance;
  logger: Logger;
}

/**
 * The AI bot (智能机器人) route of the weworktop channel: group chats and bot DMs. A new message is
 * answered in the callback itself by opening a reply stream; the worker fills the stream while
 * the LLM writes and WeCom's refresh polls read it. Without streaming, replies go to response_url.
 */
export class AiBotReceiver {
  private readonly crypto: WeComCrypto;
  private readonly streams = new ReplyStreams({ ttlMs: STREAM_TTL_MS });
  private readonly log: Logger;

  constructor(private readonly options: AiBotReceiverOptions) {
    this.crypto = new WeComCrypto({ token: options.config.token, encodingAesKey: options.config.aes_key, receiveId: '' });
    this.log = options.logger.child({ module: 'aibot', ...(options.config.bot_id ? { bot: options.config.bot_id } : {}) });
  }

  get path(): string {
    return this.options.config.callback_path;
  }

  register(server: FastifyInstance): void {
    registerAiBotCallback(server, { path: this.path, crypto: this.crypto, maxClockSkew: this.options.maxClockSkew, logger: this.log, answer: (callback) => this.answer(callback) });
  }

  /**
   * Normalizes a callback; undefined for an unknown msgtype. Also rebuilds a message left pending
   * by the last run: its stream is gone then, so deliver() answers through response_url.
   */
  toMessage(callback: AiBotCallback): NormalizedMessage | undefined {
    return toNormalizedMessage(callback, this.options.groupNames, (url) => this.loadMedia(url));
  }

  /** Delivers a pipeline reply to the message's stream, or its response_url. */
  async deliver(reply: Reply, context: ReplyContext): Promise<void> {
    const { callback } = context.message.raw as AiBotMessageRaw;
    const stream = this.streams.forMessage(callback.msgid);
    const text = reply.type === 'text' || reply.type === 'error' ? reply.text : reply.type === 'image' ? '' : userMessages.cannotSendKind;
    if (reply.type === 'voice' || reply.type === 'file') this.log.warn({ type: reply.type }, 'the AI bot cannot send this reply type; a note is sent instead');
    const images = reply.type === 'image' && reply.data.length <= MAX_STREAM_IMAGE_BYTES ? [streamImage(reply.data)] : [];
    if (this.options.config.stream && stream && !stream.finished) {
      const [first = '', ...rest] = text ? splitUtf8(text, MAX_STREAM_BYTES) : [stream.content];
      this.streams.finish(stream.id, first, images);
      if (rest.length > 0) await this.viaResponseUrl(callback, rest.join('\n'), stream);
      return;
    }
    if (reply.type === 'image') this.log.warn('image replies need bot.stream (response_url takes markdown only); sending a note');
    await this.viaResponseUrl(callback, text || userMessages.cannotSendKind, stream);
  }

  /** Runs inside the HTTP request: the passive answer (or nothing), as soon as the message is stored. */
  private async answer(callback: AiBotCallback): Promise<object | undefined> {
    if (callback.msgtype === 'stream') return this.onRefresh(callback);
    if (callback.msgtype === 'event') return this.onEvent(callback);
    return this.onMessage(callback);
  }

  private onRefresh(callback: AiBotCallback): object {
    const id = callback.stream?.id ?? '';
    const stream = this.streams.get(id);
    if (!stream) {
      this.log.info({ stream: id }, 'refresh for an unknown or expired stream; closing it');
      return finishedStreamAnswer(id, userMessages.answerExpired);
    }
    return streamAnswer(stream);
  }

  private onEvent(callback: AiBotCallback): object | undefined {
    const event = callback.event?.eventtype ?? 'unknown';
    this.log.info({ event, from: callback.from?.userid, chat: callback.chatid }, 'AI bot event');
    if (event === 'enter_chat' && this.options.welcomeMessage) return { msgtype: 'text', text: { content: this.options.welcomeMessage } };
    return undefined;
  }

  private async onMessage(callback: AiBotCallback): Promise<object | undefined> {
    const { intake, handler, config } = this.options;
    const retried = this.streams.forMessage(callback.msgid);
    // WeCom retries a callback whose answer it did not get: answer with the same stream.
    if (retried) return config.stream ? streamAnswer(retried) : undefined;
    const message = this.toMessage(callback);
    if (!message) {
      if (await intake.seen(`aibot:${callback.msgid}`)) return undefined;
      this.log.warn({ msgtype: callback.msgtype, from: callback.from?.userid }, 'unsupported AI bot msgtype; telling the user');
      return this.notice(callback, userMessages.unsupportedKind);
    }
    const log = { id: message.id, from: message.senderId, chat: callback.chatid, group: message.groupName };
    if (!handler.wouldAnswer(message)) {
      if (!(await intake.seen(message.id))) this.log.info(log, 'AI bot message not for the bot (group white list or trigger rules); no answer');
      return undefined;
    }
    if (this.streams.unfinishedFor(message.senderId) >= MAX_IN_FLIGHT_PER_USER) {
      this.log.warn(log, `user already has ${MAX_IN_FLIGHT_PER_USER} answers in flight; told to wait`);
      return this.notice(callback, userMessages.stillAnswering);
    }
    const stream = this.streams.open(message.senderId, callback.msgid);
    const outcome = await intake.submit(message, ({ final }) => this.work(message, stream, final));
    if (outcome === 'duplicate') {
      this.streams.finish(stream.id, '');
      return undefined;
    }
    this.log.info({ ...log, kind: message.kind, stream: stream.id }, 'AI bot message received');
    if (outcome === 'busy') this.streams.finish(stream.id, userMessages.busy);
    if (outcome === 'limited') this.streams.finish(stream.id, userMessages.rateLimited(intake.rateLimitPerMinute));
    return config.stream ? streamAnswer(stream) : undefined;
  }

  private async work(message: NormalizedMessage, stream: ReplyStream, finalAttempt: boolean): Promise<void> {
    const partial = this.options.config.stream ? { onPartial: (text: string) => this.streams.update(stream.id, splitUtf8(text, MAX_STREAM_BYTES)[0] ?? '') } : {};
    // A failure leaves the stream open: the intake retries, or sends the apology into it.
    await this.options.handler.handle(message, this.options.channel, { ...partial, finalAttempt });
    // The pipeline may decide to say nothing (a plugin, an empty answer): close the stream anyway.
    this.streams.finish(stream.id, stream.content);
  }

  /** A short answer that needs no worker: a finished stream, or a response_url post. */
  private notice(callback: AiBotCallback, text: string): object | undefined {
    if (this.options.config.stream) return finishedStreamAnswer(randomBytes(12).toString('hex'), text);
    void this.viaResponseUrl(callback, text, undefined).catch((error: Error) => this.log.warn({ err: error.message }, 'notice through response_url failed'));
    return undefined;
  }

  private async viaResponseUrl(callback: AiBotCallback, text: string, stream: ReplyStream | undefined): Promise<void> {
    if (!callback.response_url) throw new Error('the callback has no response_url to reply through');
    if (stream?.responseUrlUsed) {
      this.log.warn({ id: callback.msgid, chars: text.length }, 'response_url already used (one call per message); this reply part is dropped');
      return;
    }
    if (stream) stream.responseUrlUsed = true;
    const parts = splitUtf8(text, MAX_STREAM_BYTES - Buffer.byteLength(userMessages.answerTruncated));
    const content = parts.length > 1 ? `${parts[0]}${userMessages.answerTruncated}` : (parts[0] ?? '');
    await postToResponseUrl(this.options.http, callback.response_url, markdownMessage(content));
    this.log.info({ id: callback.msgid, bytes: Buffer.byteLength(content) }, 'replied through response_url');
  }

  /** Media URLs are valid 5 minutes and AES-encrypted with the bot's key (spec §4c). */
  private loadMedia(url: string): () => Promise<Buffer> {
    return async () => {
      try {
        const response = await this.options.http.get(url, { responseType: 'arraybuffer', maxContentLength: MAX_MEDIA_BYTES });
        if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
        return this.crypto.decryptBuffer(Buffer.from(response.data as ArrayBuffer));
      } catch (error) {
        this.log.warn({ err: (error as Error).message }, 'AI bot media download failed');
        throw new UserFacingError('没能取到这个文件，请再发一次。', { cause: error });
      }
    };
  }
}
