import type { BurstMerging, ChannelLink, DeliveredParts } from '../../../src/channel.js';
import type { Logger } from '../../../src/logger.js';
import type { NormalizedMessage } from '../../../src/message.js';
import { OncePerWindow } from '../../../src/once-per-window.js';
import { RecentKeys } from '../../../src/recent-keys.js';
import type { Reply } from '../../../src/reply.js';
import { isTransient } from '../../../src/transient.js';
import type { WeComApiClient } from '../wecom/api-client.js';
import { type MediaLoader, mediaLoader } from '../wecom/media-loader.js';
import { KfApi } from './kf-api.js';
import type { KfConfig } from './kf-config.js';
import { KfHandoff } from './kf-handoff.js';
import { isKfNews } from './kf-link.js';
import { isKfMessage, type KfMessageRaw, toKfMessage } from './kf-message.js';
import { noticeMsgid } from './kf-msgid.js';
import { KfReplySender } from './kf-reply-sender.js';
import { KfSendBudget } from './kf-send-budget.js';
import { KfSessions, sessionKey } from './kf-sessions.js';

export interface KfReplierOptions {
  config: KfConfig;
  /** The primary app's API client: its access token is 微信客服's too. */
  client: WeComApiClient;
  link: ChannelLink;
  logger: Logger;
  encodeVoice?: (data: Buffer, format: string) => Promise<Buffer[]>;
}

/** A welcome_code is good for 20 s after the customer came in. */
const WELCOME_CODE_MS = 20_000;

/**
 * 微信客服's answering half, on the answer worker: rebuilds a customer's message, decides whether
 * the bot may answer it (the session is the bot's; a hand-over keyword sends it to the humans
 * instead), delivers the answer through kf/send_msg, greets with send_msg_on_event, hands over
 * when the bot could not answer, and merges a customer's bursts of text (merge_window_ms).
 */
export class KfReplier {
  readonly bursts: BurstMerging;
  private readonly api: KfApi;
  private readonly sessions: KfSessions;
  private readonly sender: KfReplySender;
  private readonly handoff: KfHandoff;
  private readonly log: Logger;
  private readonly media: MediaLoader;
  private readonly saidSilent = new OncePerWindow(60 * 60 * 1000, 10_000);
  /** Messages whose apology led to a hand-over already (a delivery may be tried again). */
  private readonly handedOver = new RecentKeys({ ttlMs: 24 * 60 * 60 * 1000, maxEntries: 10_000 });

  constructor(private readonly options: KfReplierOptions) {
    this.log = options.logger.child({ module: 'kf' });
    this.media = mediaLoader(options.client, this.log);
    this.api = new KfApi(options.client);
    this.sessions = new KfSessions(this.api, this.log);
    const budget = new KfSendBudget();
    this.sender = new KfReplySender({
      api: this.api,
      sessions: this.sessions,
      budget,
      logger: this.log,
      ...(options.encodeVoice ? { encodeVoice: options.encodeVoice } : {}),
    });
    this.handoff = new KfHandoff(this.api, this.sessions, options.config.handoff_message, this.log);
    options.link.onMessage((news) => {
      if (!isKfNews(news)) return;
      this.sessions.hear(news);
      if (news.type === 'kf-wrote') budget.wrote(sessionKey(news.openKfid, news.externalUserid), news.msgid, news.at * 1000);
    });
    this.bursts = burstsOf(options.config.merge_window_ms);
  }

  revive(raw: KfMessageRaw): NormalizedMessage {
    return toKfMessage(raw, this.media);
  }

  begin(message: NormalizedMessage, job: { replayed: boolean; attempts: number }): void {
    if (job.replayed || job.attempts > 0) this.sender.retrying(message.id);
  }

  /** "skip" when the bot may not answer: a servicer or the queue owns the session, or the customer asked for a human. */
  async prepare(message: NormalizedMessage): Promise<'skip' | undefined> {
    const raw = message.raw as KfMessageRaw;
    const key = sessionKey(raw.openKfid, raw.externalUserid);
    const owner = await this.sessions.owner(raw.openKfid, raw.externalUserid);
    if (!owner.botMayAnswer) {
      if (this.saidSilent.take(key))
        this.log.info(
          { id: message.id, customer: raw.externalUserid, state: owner.state, servicer: owner.servicer ?? '' },
          "微信客服: the session is not the bot's (a servicer, the queue, or it ended); not answered",
        );
      return 'skip';
    }
    const texts = raw.burst ?? (message.kind === 'text' ? [message.text] : []);
    if (!texts.some((text) => this.options.config.handoff_keywords.includes(text.trim()))) return undefined;
    try {
      await this.handoff.handOver(raw.openKfid, raw.externalUserid, message.id, 'asked for a human');
      return 'skip';
    } catch (error) {
      if (isTransient(error)) throw error;
      this.log.error(
        { id: message.id, customer: raw.externalUserid, err: (error as Error).message },
        '微信客服: the customer asked for a human, but the session could not be handed over; the bot answers',
      );
      return undefined;
    }
  }

  /**
   * An answer part by part. An apology (an error reply: the LLM failed for good, the bot gave up,
   * a message it cannot take) means the bot could not help: once it went out, a human takes over.
   */
  async send(reply: Reply, message: NormalizedMessage, parts?: DeliveredParts): Promise<void> {
    const raw = message.raw as KfMessageRaw;
    await this.sender.send(reply, message, raw, parts);
    if (reply.type !== 'error' || this.handedOver.checkAndAdd(message.id)) return;
    void this.handoff
      .handOver(raw.openKfid, raw.externalUserid, message.id, 'the bot could not answer')
      .catch((error: Error) =>
        this.log.error(
          { id: message.id, customer: raw.externalUserid, err: error.message },
          '微信客服: the bot could not answer, and the session could not be handed over',
        ),
      );
  }

  /** The welcome (with the event's code, within its 20 s) or a notice ("busy", "too fast") to the customer. */
  async notify(raw: KfMessageRaw, text: string): Promise<void> {
    if (!raw.welcome) return this.sender.send({ type: 'text', text }, this.revive(raw), raw);
    if (Date.now() - raw.welcome.at * 1000 > WELCOME_CODE_MS) {
      this.log.info({ customer: raw.externalUserid }, '微信客服: welcome_code expired (20 s) before the welcome could go; none sent');
      return;
    }
    await this.api.sendMsgOnEvent(raw.welcome.code, noticeMsgid(), text);
    this.log.info({ customer: raw.externalUserid }, '微信客服: welcome sent');
  }
}

/** A customer's text messages sent within the window of each other (send_time, whole seconds) are one burst. */
export function burstsOf(windowMs: number): BurstMerging {
  const mergeable = (message: NormalizedMessage) => windowMs > 0 && isKfMessage(message) && message.kind === 'text';
  return {
    windowMs: (message) => (mergeable(message) ? windowMs : 0),
    continues: (last, next) => mergeable(next) && next.time.getTime() - last.time.getTime() <= windowMs,
    merge(burst) {
      const first = burst[0]!;
      const texts = burst.map((message) => message.text);
      return { ...first, text: texts.join('\n'), raw: { ...(first.raw as KfMessageRaw), burst: texts } };
    },
  };
}
