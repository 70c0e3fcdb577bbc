import type { FakeWeCom } from '../fakes/fake-wecom.js';
import { AppCallbackPoster } from './app-callback-poster.js';
import { type ChatEntry, type ChatLog, kfChat } from './chat-log.js';
import type { DemoCredentials } from './demo-config.js';

export interface KfChatSenderOptions {
  /** The app's callback URL: 微信客服's events come to it. */
  callbackUrl: string;
  credentials: DemoCredentials;
  /** The 客服账号 the customers talk to. */
  openKfid: string;
  wecom: FakeWeCom;
  log: ChatLog;
}

/** The servicer who takes over in the simulator (a WeCom member at the 客服 desk). */
export const DEMO_SERVICER = 'kefu01';

/**
 * WeChat customers (微信客服) as WeCom relays them: what a customer or a servicer writes goes
 * into the fake API's message list, and the app gets only kf_msg_or_event (encrypted, signed),
 * after which it pulls with kf/sync_msg, as from the real WeCom.
 */
export class KfChatSender {
  private readonly callbacks: AppCallbackPoster;

  constructor(private readonly options: KfChatSenderOptions) {
    this.callbacks = new AppCallbackPoster(options.callbackUrl, options.credentials, options.log);
  }

  async text(customer: string, text: string): Promise<ChatEntry> {
    const entry = this.options.log.add({ chat: kfChat(customer), from: 'user', user: customer, kind: 'text', text });
    this.options.wecom.kf.customerSays(this.options.openKfid, customer, text);
    await this.callback(entry);
    return entry;
  }

  /** The customer opens the chat (enter_session, with a welcome_code). */
  async enter(customer: string): Promise<ChatEntry> {
    const entry = this.options.log.note(kfChat(customer), `${customer} opened the chat with the 客服账号 (enter_session event)`);
    this.options.wecom.kf.enterSession(this.options.openKfid, customer);
    await this.callback(entry);
    return entry;
  }

  /** A servicer writes from the WeCom client: the session becomes theirs, the bot goes silent. */
  async servicer(customer: string, text: string): Promise<ChatEntry> {
    const entry = this.options.log.add({ chat: kfChat(customer), from: 'servicer', user: DEMO_SERVICER, kind: 'text', text });
    this.options.wecom.kf.servicerSays(this.options.openKfid, customer, DEMO_SERVICER, text);
    await this.callback(entry);
    return entry;
  }

  /** The servicer ends the session: the bot answers the customer's next message. */
  async endSession(customer: string): Promise<ChatEntry> {
    const entry = this.options.log.note(
      kfChat(customer),
      `${DEMO_SERVICER} ended the session (session_status_change): the bot answers the next message`,
    );
    this.options.wecom.kf.endSession(this.options.openKfid, customer);
    await this.callback(entry);
    return entry;
  }

  private callback(entry: ChatEntry): Promise<void> {
    const { wecom, openKfid } = this.options;
    return this.callbacks.post(
      entry,
      { MsgType: 'event', Event: 'kf_msg_or_event', Token: wecom.kf.callbackToken(openKfid), OpenKfId: openKfid },
      { request: 'kf_msg_or_event callback (it carries no message: the app pulls kf/sync_msg)', body: 'body, encrypted' },
    );
  }
}
