import type { ChannelLink, Intake, MessageRules } from '../../../src/channel.js';
import type { Logger } from '../../../src/logger.js';
import { loadedByTheReplier } from '../../../src/message.js';
import { ServiceState, type ServiceStateValue } from './kf-api.js';
import { describeSendFailure } from './kf-errors.js';
import type { KfNews } from './kf-link.js';
import { CUSTOMER, type KfEvent, type KfMessageRaw, type KfMsg, partiesOf, SERVICER, SYSTEM_EVENT, toKfMessage } from './kf-message.js';
import type { KfNicknames } from './kf-nicknames.js';

export interface KfPageIntakeOptions {
  intake: Intake;
  rules: MessageRules;
  link: ChannelLink;
  nicknames: KfNicknames;
  welcomeMessage: string;
  logger: Logger;
  now?: () => number;
}

/** A welcome_code is good for 20 s from the event; one older than this is not worth a try. */
const WELCOME_FRESH_MS = 15_000;

/** session_status_change's change_type → the session's state after it (https://developer.work.weixin.qq.com/document/path/94670). */
const AFTER_CHANGE: Record<number, ServiceStateValue> = {
  1: ServiceState.HUMAN, // 从接待池接入会话
  2: ServiceState.HUMAN, // 转接会话
  3: ServiceState.ENDED, // 结束会话
  4: ServiceState.HUMAN, // 重新接入已结束/已转接会话
};

/**
 * What a pulled page means, on the main thread: every customer message (origin 3) goes through
 * the intake (stored, deduped by msgid across restarts, then answered in order per customer);
 * servicer messages (origin 5) and events (origin 4) tell the replier who owns each session, and
 * enter_session brings the welcome. Resolves once every customer message of the page is stored.
 */
export class KfPageIntake {
  private readonly now: () => number;

  constructor(private readonly options: KfPageIntakeOptions) {
    this.now = options.now ?? Date.now;
  }

  async take(openKfid: string, messages: readonly KfMsg[]): Promise<void> {
    const { nicknames, logger } = this.options;
    await nicknames.load(messages.filter((msg) => msg.origin === CUSTOMER).map((msg) => partiesOf(msg).externalUserid));
    const stored: Array<Promise<unknown>> = [];
    for (const msg of messages) {
      const parties = partiesOf(msg);
      const account = parties.openKfid || openKfid;
      const customer = parties.externalUserid;
      if (msg.origin === CUSTOMER && customer) {
        this.tell({ type: 'kf-wrote', openKfid: account, externalUserid: customer, msgid: msg.msgid, at: msg.send_time });
        // All of the page in one turn: one commit, and the answers are queued in the page's order.
        stored.push(this.submit(account, customer, msg));
      } else if (msg.origin === SERVICER && customer) {
        logger.info(
          { account, customer, servicer: msg.servicer_userid ?? '' },
          '微信客服: a servicer wrote to the customer; the bot stays silent until the session ends',
        );
        this.tell({
          type: 'kf-state',
          openKfid: account,
          externalUserid: customer,
          state: ServiceState.HUMAN,
          ...(msg.servicer_userid ? { servicer: msg.servicer_userid } : {}),
        });
      } else if (msg.origin === SYSTEM_EVENT && msg.event) {
        this.onEvent(account, msg.event, msg.send_time);
      } else {
        logger.debug(
          { account, msgid: msg.msgid, origin: msg.origin, msgtype: msg.msgtype },
          '微信客服: message without a customer or of an unknown origin; ignored',
        );
      }
    }
    // A store that fails may pass: the page is pulled again (its messages deduped by msgid).
    await Promise.all(stored).catch((error: unknown) => {
      throw Object.assign(new Error(`storing pulled messages failed: ${(error as Error)?.message ?? String(error)}`), {
        transient: true,
        cause: error,
      });
    });
  }

  private async submit(openKfid: string, externalUserid: string, msg: KfMsg): Promise<void> {
    const nickname = this.options.nicknames.nameOf(externalUserid);
    const raw: KfMessageRaw = { route: 'kf', openKfid, externalUserid, ...(nickname ? { nickname } : {}), msg };
    const message = toKfMessage(raw, loadedByTheReplier);
    const result = await this.options.intake.submit(message);
    if (result === 'accepted' && this.options.logger.isLevelEnabled('info')) {
      this.options.logger.info(
        { id: message.id, account: openKfid, from: externalUserid, ...(nickname ? { nickname } : {}), kind: message.kind },
        '微信客服: message received',
      );
    }
  }

  private onEvent(openKfid: string, event: KfEvent, sendTime: number): void {
    const { logger } = this.options;
    const customer = event.external_userid ?? '';
    switch (event.event_type) {
      case 'enter_session':
        logger.info(
          { account: openKfid, customer, scene: event.scene ?? '', welcome: Boolean(event.welcome_code) },
          '微信客服: a customer opened the chat',
        );
        if (event.welcome_code && customer) this.welcome(openKfid, customer, event.welcome_code, sendTime);
        return;
      case 'session_status_change': {
        const state = AFTER_CHANGE[event.change_type ?? 0];
        logger.info(
          {
            account: openKfid,
            customer,
            change_type: event.change_type,
            servicer: event.new_servicer_userid ?? event.old_servicer_userid ?? '',
          },
          state === ServiceState.ENDED
            ? '微信客服: the session ended; the bot answers the next message'
            : '微信客服: a servicer took the session; the bot stays silent',
        );
        if (state !== undefined && customer)
          this.tell({
            type: 'kf-state',
            openKfid,
            externalUserid: customer,
            state,
            ...(event.new_servicer_userid ? { servicer: event.new_servicer_userid } : {}),
          });
        return;
      }
      case 'msg_send_fail':
        logger.warn(
          { account: openKfid, customer, msgid: event.fail_msgid ?? '', fail_type: event.fail_type },
          `微信客服: WeCom could not deliver a reply: ${describeSendFailure(event.fail_type)}`,
        );
        return;
      default:
        logger.info({ account: openKfid, customer, event: event.event_type }, '微信客服: event');
    }
  }

  /** The welcome goes out at once (no LLM): its code expires 20 s after the customer came in. */
  private welcome(openKfid: string, externalUserid: string, code: string, at: number): void {
    const { welcomeMessage, intake, rules, logger } = this.options;
    if (!welcomeMessage) return;
    if (this.now() - at * 1000 > WELCOME_FRESH_MS) {
      logger.info({ account: openKfid, customer: externalUserid }, '微信客服: welcome_code too old to use (20 s); no welcome');
      return;
    }
    const raw: KfMessageRaw = { route: 'kf', openKfid, externalUserid, welcome: { code, at } };
    intake.notify(rules.sessionKey(toKfMessage(raw, loadedByTheReplier)), raw, welcomeMessage);
  }

  private tell(news: KfNews): void {
    this.options.link.post(news);
  }
}
