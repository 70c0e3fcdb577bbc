import type convict from 'convict';
import { describeCredential, requiredText, FormatError, type CredentialPattern } from '../../src/config/formats.js';
import { ConfigError } from '../../src/config/config-error.js';
import { kfSchema, type KfConfig } from './kf/kf-config.js';

/** One self-built app (自建应用) served by this process. */
export interface AppCredentials {
  agent_id: string;
  corp_secret: string;
  token: string;
  aes_key: string;
  callback_path: string;
}

export interface WeworktopConfig {
  corp_id: string;
  corp_secret: string;
  agent_id: string;
  token: string;
  aes_key: string;
  callback_path: string;
  cow_callback_path: boolean;
  api_base: string;
  proxy: string;
  enable_markdown: boolean;
  welcome_message: string;
  agents: AppCredentials[];
  api_timeout: number;
  api_retries: number;
  api_retry_delay_ms: number;
  max_clock_skew: number;
  bot: AiBotConfig;
  group_names: Record<string, string>;
  kf: KfConfig;
}

/** The WeCom AI bot (智能机器人, API mode): the route that brings group chats. */
export interface AiBotConfig {
  token: string;
  aes_key: string;
  callback_path: string;
  bot_id: string;
  stream: boolean;
}

// WeCom's console generates both from letters and digits only.
const AES_KEY: CredentialPattern = { regex: /^[A-Za-z0-9]{43}$/, describe: 'the 43-character EncodingAESKey from the WeCom console', allowed: /[A-Za-z0-9]/, what: 'an EncodingAESKey' };
const TOKEN: CredentialPattern = { regex: /^[A-Za-z0-9]{1,32}$/, describe: 'the Token from the WeCom console (letters and digits, at most 32)', allowed: /[A-Za-z0-9]/, what: 'a Token' };
const AGENT_ID = { regex: /^\d+$/, describe: 'the numeric AgentId, e.g. 1000002' };

function optionalText(pattern: CredentialPattern) {
  return (value: unknown) => {
    if (typeof value !== 'string') throw new FormatError(pattern.describe, value, true);
    if (value !== '' && !pattern.regex.test(value)) throw new FormatError(pattern.describe, value, true, describeCredential(value, pattern));
  };
}

/** JSON configs write the AgentId as a number, env vars as a string: both are fine. */
function requiredAgentId(value: unknown): void {
  if (value === '' || value === undefined) throw new FormatError('a value (required when channel_type is "weworktop")', value);
  if (!((typeof value === 'string' || typeof value === 'number') && AGENT_ID.regex.test(String(value)))) throw new FormatError(AGENT_ID.describe, value);
}

function validateAgents(value: unknown): void {
  if (!Array.isArray(value)) throw new FormatError('a list of {agent_id, corp_secret, token, aes_key, callback_path}', value);
  value.forEach((agent: unknown, index) => {
    const entry = (agent ?? {}) as Record<string, unknown>;
    const check = (key: string, test: (v: unknown) => boolean, expected: string, secret = false, pattern?: CredentialPattern) => {
      const value = entry[key];
      if (!test(value)) throw new FormatError(`agents[${index}].${key} to be ${expected}`, value, secret, pattern && typeof value === 'string' && value !== '' ? describeCredential(value, pattern) : undefined);
    };
    check('agent_id', (v) => (typeof v === 'string' || typeof v === 'number') && /^\d+$/.test(String(v)), AGENT_ID.describe);
    check('corp_secret', (v) => typeof v === 'string' && v.length > 0, 'the app Secret', true);
    check('token', (v) => typeof v === 'string' && TOKEN.regex.test(v), TOKEN.describe, true, TOKEN);
    check('aes_key', (v) => typeof v === 'string' && AES_KEY.regex.test(v), AES_KEY.describe, true, AES_KEY);
    check('callback_path', (v) => v === undefined || (typeof v === 'string' && v.startsWith('/')), 'a path starting with "/"');
  });
}

/** The `weworktop` config section. Credentials are required only when this channel is chosen. */
export const weworktopSchema: convict.Schema<WeworktopConfig> = {
  corp_id: { doc: 'CorpID (我的企业 → 企业信息 → 企业ID).', format: requiredText('weworktop'), default: '', env: 'WEWORKTOP_CORP_ID' },
  corp_secret: { doc: 'The app Secret (应用管理 → your app → Secret).', format: requiredText('weworktop'), default: '', sensitive: true, env: 'WEWORKTOP_CORP_SECRET' },
  agent_id: { doc: 'The app AgentId, e.g. 1000002.', format: requiredAgentId, default: '', env: 'WEWORKTOP_AGENT_ID' },
  token: { doc: 'Token of the app\'s "receive messages" (接收消息) API settings.', format: requiredText('weworktop', TOKEN), default: '', sensitive: true, env: 'WEWORKTOP_TOKEN' },
  aes_key: { doc: 'EncodingAESKey of the same settings (43 characters).', format: requiredText('weworktop', AES_KEY), default: '', sensitive: true, env: 'WEWORKTOP_AES_KEY' },
  callback_path: { doc: 'Path of the callback URL to enter in the WeCom console.', format: 'text', default: '/wework_callback', env: 'WEWORKTOP_CALLBACK_PATH' },
  cow_callback_path: {
    doc: 'Also answer on CoW\'s callback path /wxcomapp (and /wxcomapp/), so a URL saved in the console for CoW keeps working. On by default for a config with CoW\'s wechatcomapp_* keys or channel_type "wechatcom_app".',
    format: 'flag',
    default: false,
    env: 'WEWORKTOP_COW_CALLBACK_PATH',
  },
  api_base: { doc: 'WeCom API base URL (a reverse proxy, or a fake in tests).', format: 'http-url-or-empty', default: 'https://qyapi.weixin.qq.com', env: 'WEWORKTOP_API_BASE' },
  proxy: { doc: 'HTTP proxy for every WeCom API call: a fixed egress IP for the trusted-IP list (error 60020).', format: 'http-url-or-empty', default: '', env: 'WEWORKTOP_PROXY' },
  enable_markdown: { doc: 'Send markdown messages. Off by default: personal WeChat (微信插件) cannot show markdown, so replies are plain text.', format: 'flag', default: false, env: 'WEWORKTOP_ENABLE_MARKDOWN' },
  welcome_message: { doc: 'Sent when a user opens the app (enter_agent); empty: none.', format: 'text', default: '', env: 'WEWORKTOP_WELCOME_MESSAGE' },
  agents: { doc: 'Further apps of the same corp served by this process: [{agent_id, corp_secret, token, aes_key, callback_path}].', format: validateAgents, default: [] },
  api_timeout: { doc: 'Seconds to wait for one WeCom API call.', format: 'positive-int', default: 15, env: 'WEWORKTOP_API_TIMEOUT' },
  api_retries: { doc: 'Quick retries of a WeCom API call whose connection dropped (reset, closed keep-alive); -1, 45009, 5xx and timeouts are retried per message (max_attempts).', format: 'non-negative-int', default: 1, env: 'WEWORKTOP_API_RETRIES' },
  api_retry_delay_ms: { doc: 'Wait in ms before a quick retry; doubles each retry.', format: 'non-negative-int', default: 200, env: 'WEWORKTOP_API_RETRY_DELAY_MS' },
  max_clock_skew: {
    doc: 'Seconds a signed callback stays valid: older or future timestamps are refused as replays (401). 0: no check.',
    format: 'non-negative-int',
    default: 300,
    env: 'WEWORKTOP_MAX_CLOCK_SKEW',
  },
  bot: {
    token: { doc: 'AI bot (智能机器人) callback Token; empty: group chats off.', format: optionalText(TOKEN), default: '', sensitive: true, env: 'WEWORKTOP_BOT_TOKEN' },
    aes_key: { doc: 'AI bot callback EncodingAESKey.', format: optionalText(AES_KEY), default: '', sensitive: true, env: 'WEWORKTOP_BOT_AES_KEY' },
    callback_path: { doc: 'Path of the AI bot callback URL.', format: 'text', default: '/wework_bot_callback', env: 'WEWORKTOP_BOT_CALLBACK_PATH' },
    bot_id: { doc: 'The AI bot\'s BotID (optional; only for the logs).', format: 'text', default: '', env: 'WEWORKTOP_BOT_ID' },
    stream: { doc: 'Stream answers as they are written (else one reply through response_url).', format: 'flag', default: true, env: 'WEWORKTOP_BOT_STREAM' },
  },
  group_names: { doc: 'Names for group chat ids ({"wrkSFfCgAA...": "产品群"}), used by the white list and logs: WeCom gives bots no group names.', format: 'object', default: {} },
  kf: kfSchema,
};

/** CoW's wechatcom_app keys, accepted at the root so its users can keep their config. */
export const cowKeyAliases: Record<string, string> = {
  wechatcom_corp_id: 'corp_id',
  wechatcomapp_secret: 'corp_secret',
  wechatcomapp_agent_id: 'agent_id',
  wechatcomapp_token: 'token',
  wechatcomapp_aes_key: 'aes_key',
  wechatcomapp_port: 'port',
};

/** What config.json.example shows in this section: a config still holding them was never filled in. */
export const exampleValues: Record<string, string> = {
  corp_id: 'ww0123456789abcdef',
  corp_secret: 'your-app-secret',
  token: 'your-callback-token',
  aes_key: 'your43characterEncodingAESKeyFromTheConsole',
};

/** CoW's wechatcom_app answered on this path (and with a trailing slash). */
export const COW_CALLBACK_PATHS = ['/wxcomapp', '/wxcomapp/'];

/** The primary app and the extra `agents`, with default callback paths filled in. */
export function appsOf(config: WeworktopConfig): AppCredentials[] {
  const primary: AppCredentials = { agent_id: String(config.agent_id), corp_secret: config.corp_secret, token: config.token, aes_key: config.aes_key, callback_path: config.callback_path };
  const extra = config.agents.map((agent) => ({ ...agent, agent_id: String(agent.agent_id), callback_path: agent.callback_path ?? `/wework_callback/${agent.agent_id}` }));
  return [primary, ...extra];
}

/** The callback server's bounds for slow clients; Node refuses a headers bound past the request's. */
/** Whether the AI bot is on: it needs both token and aes_key (one alone is a ConfigError), neither means off. */
export function checkAiBotKeys(bot: AiBotConfig): boolean {
  if (!bot.token && !bot.aes_key) return false;
  if (!bot.token || !bot.aes_key) {
    const missing = bot.token ? 'aes_key' : 'token';
    throw new ConfigError(`weworktop.bot.${missing}`, 'a value (the AI bot needs both token and aes_key)', 'nothing');
  }
  return true;
}
