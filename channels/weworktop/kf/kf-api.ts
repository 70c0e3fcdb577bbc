import type { WeComApiClient } from '../wecom/api-client.js';
import type { KfMsg } from './kf-message.js';

/** A page of kf/sync_msg. */
export interface KfPage {
  next_cursor: string;
  has_more: 0 | 1;
  msg_list: KfMsg[];
}

export interface KfAccount {
  open_kfid: string;
  name: string;
  manage_privilege: boolean;
}

/** The session states of service_state/get (https://developer.work.weixin.qq.com/document/path/94669). */
export const ServiceState = { NEW: 0, BOT: 1, POOL: 2, HUMAN: 3, ENDED: 4 } as const;
export type ServiceStateValue = (typeof ServiceState)[keyof typeof ServiceState];

/** sync_msg's largest page ("默认值和最大值都为1000"). */
const PAGE_LIMIT = 1000;
/** customer/batchget takes 1 to 100 ids; account/list pages of 1 to 100. */
const BATCH = 100;

/**
 * The 微信客服 calls of one app, through its WeComApiClient (the access token, its refresh and the
 * errors live there once). Optional fields are left out, never sent empty: WeCom refuses
 * `"open_kfid": ""` and `"msgid": ""`.
 */
export class KfApi {
  constructor(private readonly client: WeComApiClient) {}

  /** One page after `cursor`; `token` is the callback's (10 minutes), without it WeCom limits the rate hard. */
  syncMsg(openKfid: string, cursor: string | undefined, token: string | undefined): Promise<KfPage> {
    return this.client.postJson<KfPage>('kf/sync_msg', {
      ...(cursor ? { cursor } : {}),
      ...(token ? { token } : {}),
      limit: PAGE_LIMIT,
      voice_format: 0,
      open_kfid: openKfid,
    });
  }

  /** A message to a customer with our own msgid: never sent a second time inside the call (a repeated msgid is refused). */
  async sendMsg(body: { touser: string; open_kfid: string; msgid: string; msgtype: string; [payload: string]: unknown }): Promise<void> {
    await this.client.postJson('kf/send_msg', body, { resend: false });
  }

  /** The welcome or a state change's notice, with the code an event or a transfer gave (usable once). */
  async sendMsgOnEvent(code: string, msgid: string, content: string): Promise<void> {
    await this.client.postJson('kf/send_msg_on_event', { code, msgid, msgtype: 'text', text: { content } }, { resend: false });
  }

  async serviceState(openKfid: string, externalUserid: string): Promise<{ state: ServiceStateValue; servicer?: string }> {
    const answer = await this.client.postJson<{ service_state: ServiceStateValue; servicer_userid?: string }>('kf/service_state/get', {
      open_kfid: openKfid,
      external_userid: externalUserid,
    });
    return { state: answer.service_state, ...(answer.servicer_userid ? { servicer: answer.servicer_userid } : {}) };
  }

  /** Moves the session (to the pool, or to a servicer); the msg_code comes on the first move into 2 or 3. */
  async transfer(openKfid: string, externalUserid: string, state: ServiceStateValue, servicer?: string): Promise<{ msgCode?: string }> {
    const answer = await this.client.postJson<{ msg_code?: string }>('kf/service_state/trans', {
      open_kfid: openKfid,
      external_userid: externalUserid,
      service_state: state,
      ...(servicer ? { servicer_userid: servicer } : {}),
    });
    return answer.msg_code ? { msgCode: answer.msg_code } : {};
  }

  /** Nicknames by external_userid (ids WeCom does not know are left out). */
  async nicknames(externalUserids: readonly string[]): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    for (let at = 0; at < externalUserids.length; at += BATCH) {
      const answer = await this.client.postJson<{ customer_list?: Array<{ external_userid: string; nickname?: string }> }>(
        'kf/customer/batchget',
        {
          external_userid_list: externalUserids.slice(at, at + BATCH),
        },
      );
      for (const customer of answer.customer_list ?? []) if (customer.nickname) names.set(customer.external_userid, customer.nickname);
    }
    return names;
  }

  /** A media for an image, voice or file message (media/upload, the app's). */
  uploadMedia(type: 'image' | 'voice' | 'file', data: Buffer, fileName: string, contentType: string): Promise<string> {
    return this.client.uploadMedia(type, data, fileName, contentType);
  }

  async accounts(): Promise<KfAccount[]> {
    const accounts: KfAccount[] = [];
    for (let offset = 0; ; offset += BATCH) {
      const answer = await this.client.postJson<{ account_list?: KfAccount[] }>('kf/account/list', { offset, limit: BATCH });
      const page = answer.account_list ?? [];
      accounts.push(...page);
      if (page.length < BATCH) return accounts;
    }
  }
}
