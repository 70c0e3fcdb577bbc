import type { AxiosInstance } from 'axios';
import type { ChannelLink, DeliveredParts, ReplyContext } from '../../../src/channel.js';
import type { Logger } from '../../../src/logger.js';
import type { NormalizedMessage } from '../../../src/message.js';
import { userMessages } from '../../../src/pipeline/user-messages.js';
import type { Reply } from '../../../src/reply.js';
import { UserFacingError } from '../../../src/user-facing-error.js';
import { webhookBotScope } from '../assistants.js';
import type { AiBotConfig } from '../config.js';
import { WeComCrypto } from '../wecom/crypto.js';
import { closeWeComHttp } from '../wecom/http-client.js';
import { splitUtf8 } from '../wecom/text.js';
import { MAX_STREAM_BYTES, MAX_STREAM_IMAGE_BYTES, markdownMessage, streamImage } from './aibot-answers.js';
import { type AiBotCallback, type AiBotMessageRaw, toAiBotMessage } from './aibot-message.js';
import type { StreamImage } from './reply-streams.js';
import { postToResponseUrl } from './response-url.js';
import { STREAM_TTL_MS, STREAM_WINDOW_MS, type StreamUpdate } from './stream-link.js';

/** Media URLs in callbacks; files may be up to 100 MB, we take up to 20 MB. */
const MAX_MEDIA_BYTES = 20 * 1024 * 1024;

export interface AiBotReplierOptions {
  config: AiBotConfig;
  groupNames: Record<string, string>;
  /** To the AI bot receiver, which shows the stream to WeCom's polls. */
  link: ChannelLink;
  http: AxiosInstance;
  logger: Logger;
  /** The clock the stream window is measured on, against the job's receivedAt (tests move it). */
  now?: () => number;
}

/** What the replier knows of a message's stream (the stream itself lives with the receiver). */
interface StreamState {
  /** When answering began: the order of the map, for the sweep. */
  openedAt: number;
  /** When the user's message came in: WeCom's polling window runs from here. */
  receivedAt: number;
  finished: boolean;
  /** The message's response_url was spent (it takes one call). */
  responseUrlUsed: boolean;
  /** The whole answer went into the stream: delivered once WeCom fetches it (the receiver confirms). */
  answeredInStream: boolean;
}

/**
 * The AI bot route's answering half, on the answer worker: writes the growing answer into the
 * message's stream (through the link to the receiver), finishes it with the reply, and sends what
 * does not fit, or what has no stream (a message replayed after a restart), through response_url.
 */
export class AiBotReplier {
  private readonly crypto: WeComCrypto;
  private readonly streams = new Map<string, StreamState>();
  private readonly log: Logger;
  private readonly now: () => number;
  /** Its conversations' scope (assistants.ts). */
  private readonly scope: string;

  constructor(private readonly options: AiBotReplierOptions) {
    this.now = options.now ?? Date.now;
    this.scope = webhookBotScope(options.config);
    this.crypto = new WeComCrypto({ token: options.config.token, encodingAesKey: options.config.aes_key, receiveId: '' });
    this.log = options.logger.child({ module: 'aibot', ...(options.config.bot_id ? { bot: options.config.bot_id } : {}) });
  }

  revive(raw: AiBotMessageRaw): NormalizedMessage | undefined {
    return toAiBotMessage(raw.callback, this.options.groupNames, (url) => this.loadMedia(url), raw.streamId, this.scope);
  }

  /**
   * A message the receiver opened a stream for (after a restart it opens them again) streams its
   * answer as it is written, inside WeCom's polling window. Tracked even when the window has
   * passed: the receiver's stream must still be closed.
   */
  begin(message: NormalizedMessage, job: { replayed: boolean; receivedAt: number }): { onPartial?: (text: string) => void } {
    const raw = message.raw as AiBotMessageRaw;
    const { msgid } = raw.callback;
    if (this.options.config.stream && (raw.streamId !== undefined || !job.replayed)) this.track(msgid, job.receivedAt);
    return this.writable(msgid) ? { onPartial: (text: string) => this.writePartial(msgid, text) } : {};
  }

  /**
   * Closes the stream if the pipeline said nothing (a plugin, an ignored message), and tells the
   * receiver the message is no longer in flight (without streaming nothing else does). An answer
   * that went whole into the stream is delivered once WeCom fetches it: the receiver confirms.
   */
  end(message: NormalizedMessage, result: 'answered' | 'given-up'): 'delivered' | 'receiver' {
    const { msgid } = callbackOf(message);
    const stream = this.streams.get(msgid);
    if (!stream) this.post({ type: 'aibot-finish', msgid });
    else this.finish(msgid);
    return result === 'answered' && stream?.answeredInStream ? 'receiver' : 'delivered';
  }

  /** Delivers a pipeline reply to the message's stream while WeCom still polls it, else to its response_url. */
  async deliver(reply: Reply, context: ReplyContext): Promise<void> {
    const callback = callbackOf(context.message);
    const stream = this.streams.get(callback.msgid);
    const text = reply.type === 'text' || reply.type === 'error' ? reply.text : reply.type === 'image' ? '' : userMessages.cannotSendKind;
    if (reply.type === 'voice' || reply.type === 'file')
      this.log.warn({ type: reply.type }, 'the AI bot cannot send this reply type; a note is sent instead');
    const images = reply.type === 'image' && reply.data.length <= MAX_STREAM_IMAGE_BYTES ? [streamImage(reply.data)] : [];
    if (this.writable(callback.msgid)) {
      const [first, ...rest] = text ? splitUtf8(text, MAX_STREAM_BYTES) : [undefined];
      this.finish(callback.msgid, first, images);
      if (rest.length > 0) await this.viaResponseUrl(callback, rest.join('\n'), stream, context.parts);
      else if (stream) stream.answeredInStream = true;
      return;
    }
    if (stream && !stream.finished) {
      this.log.info(
        { id: callback.msgid, age_ms: this.now() - stream.receivedAt },
        'WeCom no longer polls this stream; answering through response_url',
      );
      // Frees the receiver's stream (and the user's in-flight count), telling whoever still looks where the answer went.
      this.finish(callback.msgid, userMessages.answerFollows);
    }
    if (reply.type === 'image') this.log.warn('response_url takes markdown only (and images need bot.stream); sending a note');
    await this.viaResponseUrl(callback, text || userMessages.cannotSendKind, stream, context.parts);
  }

  /** A notice without a stream (bot.stream off): through the message's response_url. */
  async notify(callback: AiBotCallback, text: string): Promise<void> {
    await this.viaResponseUrl(callback, text, this.streams.get(callback.msgid));
  }

  close(): void {
    closeWeComHttp(this.options.http);
  }

  private track(msgid: string, receivedAt: number): void {
    const now = this.now();
    for (const [id, state] of this.streams) {
      if (state.openedAt > now - STREAM_TTL_MS) break;
      this.streams.delete(id);
    }
    if (!this.streams.has(msgid))
      this.streams.set(msgid, { openedAt: now, receivedAt, finished: false, responseUrlUsed: false, answeredInStream: false });
  }

  /** The stream is open and WeCom will still poll it after a write now. */
  private writable(msgid: string): boolean {
    const stream = this.streams.get(msgid);
    return !!stream && !stream.finished && this.now() - stream.receivedAt < STREAM_WINDOW_MS;
  }

  /** The answer so far, while WeCom still polls: the window may pass while the LLM writes. */
  private writePartial(msgid: string, text: string): void {
    if (this.writable(msgid)) this.post({ type: 'aibot-stream', msgid, content: splitUtf8(text, MAX_STREAM_BYTES)[0] ?? '' });
  }

  private finish(msgid: string, content?: string, images?: StreamImage[]): void {
    const stream = this.streams.get(msgid);
    if (!stream || stream.finished) return;
    stream.finished = true;
    this.post({ type: 'aibot-finish', msgid, ...(content === undefined ? {} : { content }), ...(images?.length ? { images } : {}) });
  }

  private post(update: StreamUpdate): void {
    this.options.link.post(update);
  }

  private async viaResponseUrl(
    callback: AiBotCallback,
    text: string,
    stream: StreamState | undefined,
    parts?: DeliveredParts,
  ): Promise<void> {
    if (parts?.alreadySent()) return;
    if (!callback.response_url) throw new Error('the callback has no response_url to reply through');
    if (stream?.responseUrlUsed) {
      this.log.warn(
        { id: callback.msgid, chars: text.length },
        'response_url already used (one call per message); this reply part is dropped',
      );
      return;
    }
    const pieces = splitUtf8(text, MAX_STREAM_BYTES - Buffer.byteLength(userMessages.answerTruncated));
    const content = pieces.length > 1 ? `${pieces[0]}${userMessages.answerTruncated}` : (pieces[0] ?? '');
    await postToResponseUrl(this.options.http, callback.response_url, markdownMessage(content));
    // Spent only once WeCom took it: a post that failed leaves the apology (or a retry) a way out.
    if (stream) stream.responseUrlUsed = true;
    parts?.sent();
    this.log.info({ id: callback.msgid, bytes: Buffer.byteLength(content) }, 'replied through response_url');
  }

  /** Media URLs are valid 5 minutes and encrypted with the bot's key (https://developer.work.weixin.qq.com/document/path/100719). */
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

function callbackOf(message: NormalizedMessage): AiBotCallback {
  return (message.raw as AiBotMessageRaw).callback;
}
