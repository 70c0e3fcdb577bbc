import type { Logger } from '../../../src/logger.js';
import { type KfApi, ServiceState } from './kf-api.js';
import { replyMsgid } from './kf-msgid.js';
import { type KfSessions, sessionKey } from './kf-sessions.js';

export type HandoffReason = 'asked for a human' | 'the bot could not answer';

/**
 * Hands a customer's session to the humans: kf/service_state/trans to the pool (待接入池, where
 * the servicers on duty take it), then the customer hears handoff_message through
 * send_msg_on_event with the transfer's msg_code (send_msg no longer works once the session
 * left the bot). The bot stays silent until a servicer ends the session.
 */
export class KfHandoff {
  constructor(
    private readonly api: KfApi,
    private readonly sessions: KfSessions,
    private readonly message: string,
    private readonly log: Logger,
  ) {}

  /** Throws what the transfer threw (an outage is retried with the message); the notice only logs. */
  async handOver(openKfid: string, externalUserid: string, messageId: string, why: HandoffReason): Promise<void> {
    const { msgCode } = await this.api.transfer(openKfid, externalUserid, ServiceState.POOL);
    this.sessions.set(sessionKey(openKfid, externalUserid), ServiceState.POOL);
    this.log.info(
      { id: messageId, account: openKfid, customer: externalUserid, why },
      '微信客服: session handed to the servicers (the pool); the bot stays silent until it ends',
    );
    if (!this.message) return;
    // WeCom gives the code only on the first move into the pool: without it the customer was told before.
    if (!msgCode)
      return void this.log.info(
        { customer: externalUserid },
        '微信客服: no msg_code with the transfer (moved before); no hand-over notice',
      );
    try {
      await this.api.sendMsgOnEvent(msgCode, replyMsgid(messageId, 'handoff'), this.message);
    } catch (error) {
      this.log.warn({ customer: externalUserid, err: (error as Error).message }, '微信客服: the hand-over notice could not be sent');
    }
  }
}
