import type convict from 'convict';
import { FormatError } from '../../../src/config/formats.js';

/** `weworktop.kf`: WeCom customer service (微信客服) through the primary app (same callback URL, crypto and access token). */
export interface KfConfig {
  enabled: boolean;
  /** open_kfid of the 客服账号 served; empty: every account the app may manage (kf/account/list). */
  accounts: string[];
  /** Sent with the enter_session event's welcome_code (send_msg_on_event, within 20 s); empty: none. */
  welcome_message: string;
  /** A customer message that is exactly one of these hands the session to a human (the pool). */
  handoff_keywords: string[];
  /** What the customer is told when the session goes to a human. */
  handoff_message: string;
  /** A customer's text messages this close together (ms, by send_time) are answered once, together; 0: each alone. */
  merge_window_ms: number;
}

// The account ids WeCom hands out ("wk" + letters, digits, "_" and "-").
const OPEN_KFID = /^wk[\w-]{1,62}$/;

function validateAccounts(value: unknown): void {
  if (!Array.isArray(value)) throw new FormatError('a list of open_kfid, e.g. ["wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q"]', value);
  value.forEach((account: unknown, index) => {
    if (typeof account !== 'string' || !OPEN_KFID.test(account))
      throw new FormatError(`accounts[${index}] to be an open_kfid ("wk..." from kf/account/list)`, account);
  });
}

export const kfSchema: convict.Schema<KfConfig> = {
  enabled: {
    doc: 'Answer WeChat customers of the 客服账号 this app manages (微信客服 → API → 可调用接口的应用).',
    format: 'flag',
    default: false,
    env: 'WEWORKTOP_KF_ENABLED',
  },
  accounts: { doc: 'open_kfid of the 客服账号 to serve; empty: every account the app may manage.', format: validateAccounts, default: [] },
  welcome_message: {
    doc: 'Sent when a customer opens the chat and WeCom offers a welcome (enter_session welcome_code); empty: none.',
    format: 'text',
    default: '',
    env: 'WEWORKTOP_KF_WELCOME_MESSAGE',
  },
  handoff_keywords: {
    doc: 'A customer message that is exactly one of these hands the conversation to a human servicer.',
    format: 'string-list',
    default: ['人工', '转人工', '人工客服'],
    env: 'WEWORKTOP_KF_HANDOFF_KEYWORDS',
  },
  handoff_message: {
    doc: 'Told to the customer when the conversation goes to a human (asked for, or the bot gave up).',
    format: 'text',
    default: '正在为您转接人工客服，请稍候。',
    env: 'WEWORKTOP_KF_HANDOFF_MESSAGE',
  },
  merge_window_ms: {
    doc: 'Text messages a customer sends this close together (by send_time) get one answer together; 0: each its own.',
    format: 'non-negative-int',
    default: 1500,
    env: 'WEWORKTOP_KF_MERGE_WINDOW_MS',
  },
};
