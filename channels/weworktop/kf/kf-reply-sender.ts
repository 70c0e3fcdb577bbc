import type { DeliveredParts } from '../../../src/channel.js';
import type { Logger } from '../../../src/logger.js';
import type { NormalizedMessage } from '../../../src/message.js';
import { OncePerWindow } from '../../../src/once-per-window.js';
import { RecentKeys } from '../../../src/recent-keys.js';
import type { Reply } from '../../../src/reply.js';
import { WeComApiError } from '../wecom/api-error.js';
import { UPLOAD_LIMITS } from '../wecom/media-loader.js';
import { type KfApi, ServiceState } from './kf-api.js';
import { isWeComError, outcomeUnknown, SEND_LIMIT, SESSION_NOT_OURS } from './kf-errors.js';
import type { KfMessageRaw } from './kf-message.js';
import { noticeMsgid, replyMsgid } from './kf-msgid.js';
import type { KfSendBudget } from './kf-send-budget.js';
import { type KfSessions, sessionKey } from './kf-sessions.js';
import { planText } from './kf-text.js';

export interface KfReplySenderOptions {
  api: KfApi;
  sessions: KfSessions;
  budget: KfSendBudget;
  logger: Logger;
  /** Synthesized speech as AMR parts (send_msg's voice is AMR only). */
  encodeVoice?: (data: Buffer, format: string) => Promise<Buffer[]>;
}

type Payload = { msgtype: string } & Record<string, unknown>;

/** How long a msgid whose send may have gone out is remembered for its retry. */
const UNCERTAIN_MS = 24 * 60 * 60 * 1000;

/**
 * Delivers an answer to a customer with kf/send_msg, part by part: each part's msgid is derived
 * from the message and the part's index, so a retry or a replay sends the same msgid and WeCom
 * refuses what already went out (read as "sent"). Within the 5-message budget and 48 hours; a
 * session a human owns (95018) or a spent budget (95001) ends the delivery, never retried.
 */
export class KfReplySender {
  /** The index of the next part, per delivery (the core's cursor of sent parts). */
  private readonly indexes = new WeakMap<DeliveredParts, number>();
  /** Deliveries that stopped: the rest of their parts are dropped. */
  private readonly halted = new WeakSet<DeliveredParts>();
  /** Deliveries whose first part was tried. */
  private readonly tried = new WeakSet<DeliveredParts>();
  /** msgids whose send may have reached WeCom (a dropped connection, a timeout). */
  private readonly uncertain = new RecentKeys({ ttlMs: UNCERTAIN_MS, maxEntries: 10_000 });
  /** Messages tried before (an earlier attempt, the last run): their first part may have gone out. */
  private readonly retried = new RecentKeys({ ttlMs: UNCERTAIN_MS, maxEntries: 10_000 });
  private readonly saidTakenOver = new OncePerWindow(60 * 60 * 1000, 10_000);
  private readonly log: Logger;

  constructor(private readonly options: KfReplySenderOptions) {
    this.log = options.logger;
  }

  /** The message was tried before (replayed, or handed to a new answer worker). */
  retrying(messageId: string): void {
    this.retried.checkAndAdd(messageId);
  }

  async send(reply: Reply, message: NormalizedMessage, raw: KfMessageRaw, parts?: DeliveredParts): Promise<void> {
    switch (reply.type) {
      case 'text':
      case 'error':
        for (const content of planText(reply.text))
          await this.part(message, raw, parts, async () => ({ msgtype: 'text', text: { content } }));
        return;
      case 'image':
        return this.media(
          message,
          raw,
          parts,
          'image',
          reply.data,
          `image.${reply.mimeType.includes('png') ? 'png' : 'jpg'}`,
          reply.mimeType,
        );
      case 'file':
        return this.media(message, raw, parts, 'file', reply.data, reply.fileName, 'application/octet-stream');
      case 'voice': {
        let voices: Buffer[];
        try {
          voices = reply.format === 'amr' ? [reply.data] : await this.encodeVoice(reply.data, reply.format);
        } catch (error) {
          this.log.warn({ err: (error as Error).message }, '微信客服: voice reply could not be encoded as AMR; sending text');
          return this.send({ type: 'text', text: reply.text ?? '（语音回复生成失败）' }, message, raw, parts);
        }
        for (const audio of voices) await this.media(message, raw, parts, 'voice', audio, 'reply.amr', 'audio/amr');
        return;
      }
    }
  }

  private async media(
    message: NormalizedMessage,
    raw: KfMessageRaw,
    parts: DeliveredParts | undefined,
    type: 'image' | 'voice' | 'file',
    data: Buffer,
    fileName: string,
    contentType: string,
  ): Promise<void> {
    if (data.length > UPLOAD_LIMITS[type]) {
      this.log.warn(
        { type, bytes: data.length, limit: UPLOAD_LIMITS[type] },
        '微信客服: reply media over the upload limit; sending a note instead',
      );
      return this.send({ type: 'text', text: `（回复的${type === 'image' ? '图片' : '文件'}太大，无法发送）` }, message, raw, parts);
    }
    await this.part(message, raw, parts, async () => ({
      msgtype: type,
      [type]: { media_id: await this.options.api.uploadMedia(type, data, fileName, contentType) },
    }));
  }

  /** One send_msg, unless it went out before, the delivery stopped, or it may not go. */
  private async part(
    message: NormalizedMessage,
    raw: KfMessageRaw,
    parts: DeliveredParts | undefined,
    payload: () => Promise<Payload>,
  ): Promise<void> {
    const index = parts ? (this.indexes.get(parts) ?? 0) : 0;
    if (parts) this.indexes.set(parts, index + 1);
    if (parts?.alreadySent() || (parts && this.halted.has(parts))) return;
    const key = sessionKey(raw.openKfid, raw.externalUserid);
    const stop = () => parts && this.halted.add(parts);
    if (this.options.sessions.takenOver(key)) {
      if (this.saidTakenOver.take(key))
        this.log.info({ id: message.id, customer: raw.externalUserid }, '微信客服: a servicer owns the session; the answer is dropped');
      return void stop();
    }
    const budget = this.options.budget.take(key, { msgid: raw.msg?.msgid ?? message.id, atMs: message.time.getTime() });
    if (budget !== 'ok') {
      this.log.warn(
        { id: message.id, customer: raw.externalUserid, budget },
        `微信客服: no more messages may go to this customer (${budget}: 5 per customer message, within 48 hours); the rest of the answer is dropped`,
      );
      return void stop();
    }
    const firstTry = parts ? !this.tried.has(parts) : false;
    if (parts) this.tried.add(parts);
    const msgid = parts ? replyMsgid(message.id, index) : noticeMsgid();
    try {
      await this.options.api.sendMsg({ touser: raw.externalUserid, open_kfid: raw.openKfid, msgid, ...(await payload()) });
    } catch (error) {
      if (isWeComError(error, SESSION_NOT_OURS)) {
        this.options.sessions.forget(key);
        if (this.saidTakenOver.take(key))
          this.log.info(
            { id: message.id, customer: raw.externalUserid },
            '微信客服: 95018, a servicer or the queue owns the session; the answer is dropped, not retried',
          );
        return void stop();
      }
      if (isWeComError(error, SEND_LIMIT)) {
        this.log.warn(
          { id: message.id, customer: raw.externalUserid },
          '微信客服: 95001, WeCom takes no more messages to this customer now (5 per customer message, 48 hours); the rest of the answer is dropped',
        );
        return void stop();
      }
      if (error instanceof WeComApiError && !error.transient && (this.uncertain.has(msgid) || (firstTry && this.retried.has(message.id)))) {
        // WeCom refuses a msgid used before without saying so in a documented errcode: the earlier try went out.
        this.log.warn(
          { id: message.id, msgid, errcode: error.errcode },
          '微信客服: a part tried before was refused now; it went out then, not sent again',
        );
        parts?.sent();
        return;
      }
      if (outcomeUnknown(error)) this.uncertain.checkAndAdd(msgid);
      else this.options.budget.giveBack(key);
      throw error;
    }
    // An answered session is the bot's (0 → 1).
    this.options.sessions.set(key, ServiceState.BOT);
    parts?.sent();
  }

  private async encodeVoice(data: Buffer, format: string): Promise<Buffer[]> {
    if (!this.options.encodeVoice) throw new Error(`cannot send ${format} voice: no AMR encoder configured`);
    return this.options.encodeVoice(data, format);
  }
}
