import type { Logger } from '../../../src/logger.js';
import { isTransient } from '../../../src/transient.js';
import { type KfApi, ServiceState, type ServiceStateValue } from './kf-api.js';
import type { KfNews } from './kf-link.js';

/** A state is asked of WeCom again after this long; events keep it current meanwhile. */
const KEEP_MS = 5 * 60 * 1000;
const MAX_KEPT = 50_000;

/**
 * send_msg works in 0 (new) and 1 (the bot's). In 4 (ended) the message being answered came before
 * the end (a customer writing again opens a new session, 0), so a servicer has dealt with it.
 */
const BOT_MAY_ANSWER: ReadonlySet<ServiceStateValue> = new Set([ServiceState.NEW, ServiceState.BOT]);

export const sessionKey = (openKfid: string, externalUserid: string): string => `${openKfid}|${externalUserid}`;

/**
 * Who owns each customer's session, on the answer worker: learned from the puller's news (a
 * servicer wrote, took over, or the session ended), from our own hand-overs and 95018 refusals,
 * and else from kf/service_state/get (cached). The bot answers only in states 0 and 1.
 */
export class KfSessions {
  private readonly states = new Map<string, { state: ServiceStateValue; servicer?: string; at: number }>();
  private warnedUnknown = false;

  constructor(
    private readonly api: KfApi,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  hear(news: KfNews): void {
    const key = sessionKey(news.openKfid, news.externalUserid);
    if (news.type === 'kf-state') this.set(key, news.state, news.servicer);
    // A customer writing after the session ended opens a new one (state 0).
    else if (this.states.get(key)?.state === ServiceState.ENDED) this.set(key, ServiceState.NEW);
  }

  set(key: string, state: ServiceStateValue, servicer?: string): void {
    this.states.delete(key);
    this.states.set(key, { state, ...(servicer ? { servicer } : {}), at: this.now() });
    if (this.states.size > MAX_KEPT) this.states.delete(this.states.keys().next().value as string);
  }

  /** What was known is wrong (send_msg said 95018): WeCom is asked next time. */
  forget(key: string): void {
    this.states.delete(key);
  }

  /** Known now to be a servicer's or the queue's (no API call): a reply being made is dropped. */
  takenOver(key: string): boolean {
    const known = this.states.get(key);
    return known !== undefined && !BOT_MAY_ANSWER.has(known.state);
  }

  /** The session's state and servicer, asking WeCom when not known lately; an outage throws (the message is retried). */
  async owner(openKfid: string, externalUserid: string): Promise<{ state: ServiceStateValue; servicer?: string; botMayAnswer: boolean }> {
    const key = sessionKey(openKfid, externalUserid);
    let known = this.states.get(key);
    if (!known || this.now() - known.at > KEEP_MS) {
      try {
        const asked = await this.api.serviceState(openKfid, externalUserid);
        this.set(key, asked.state, asked.servicer);
        known = this.states.get(key)!;
      } catch (error) {
        if (isTransient(error)) throw error;
        // Without the state the answer is tried: send_msg's 95018 says so if the session is not the bot's.
        if (!this.warnedUnknown)
          this.log.warn(
            { err: (error as Error).message },
            '微信客服: service_state/get refused; answering without knowing the session state',
          );
        this.warnedUnknown = true;
        return { state: ServiceState.NEW, botMayAnswer: true };
      }
    }
    return { state: known.state, ...(known.servicer ? { servicer: known.servicer } : {}), botMayAnswer: BOT_MAY_ANSWER.has(known.state) };
  }
}
