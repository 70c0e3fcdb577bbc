import type convict from 'convict';
import { ConfigError } from '../../src/config/config-error.js';
import { type CredentialPattern, describeCredential, FormatError } from '../../src/config/formats.js';
import { type KfConfig, kfSchema } from './kf/kf-config.js';
import { validateWebhooks } from './push/webhooks-config.js';

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
  /** Each with assistant keys of its own besides its credentials (channels/weworktop/assistants.ts). */
  agents: Array<AppCredentials & Record<string, unknown>>;
  api_timeout: number;
  api_retries: number;
  api_retry_delay_ms: number;
  max_clock_skew: number;
  bot: AiBotConfig;
  bots: WsBotEntry[];
  group_names: Record<string, string>;
  kf: KfConfig;
  webhooks: Record<string, string>;
}

/** The WeCom AI bot (智能机器人, API mode): the route that brings group chats. */
export interface AiBotConfig {
  /** "webhook", "websocket", or "" (chosen from the keys given: aiBotModeOf). */
  mode: '' | 'webhook' | 'websocket';
  token: string;
  aes_key: string;
  callback_path: string;
  bot_id: string;
  secret: string;
  ws_url: string;
  heartbeat_seconds: number;
  stream: boolean;
}

/** A further AI bot on its long connection (weworktop.bots); objects, so later keys can join them. */
export interface WsBotEntry {
  bot_id: string;
  secret: string;
  /** Assistant keys of its own (model, dify_*...). */
  [key: string]: unknown;
}

// WeCom's console generates both from letters and digits only.
const AES_KEY: CredentialPattern = {
  regex: /^[A-Za-z0-9]{43}$/,
  describe: 'the 43-character EncodingAESKey from the WeCom console',
  allowed: /[A-Za-z0-9]/,
  what: 'an EncodingAESKey',
};
const TOKEN: CredentialPattern = {
  regex: /^[A-Za-z0-9]{1,32}$/,
  describe: 'the Token from the WeCom console (letters and digits, at most 32)',
  allowed: /[A-Za-z0-9]/,
  what: 'a Token',
};
const AGENT_ID = { regex: /^\d+$/, describe: 'the numeric AgentId, e.g. 1000002' };

function optionalText(pattern: CredentialPattern) {
  return (value: unknown) => {
    if (typeof value !== 'string') throw new FormatError(pattern.describe, value, true);
    if (value !== '' && !pattern.regex.test(value))
      throw new FormatError(pattern.describe, value, true, describeCredential(value, pattern));
  };
}

/** JSON configs write the AgentId as a number, env vars as a string: both are fine. Empty: no self-built app. */
function optionalAgentId(value: unknown): void {
  if (value === '' || value === undefined) return;
  if (!((typeof value === 'string' || typeof value === 'number') && AGENT_ID.regex.test(String(value))))
    throw new FormatError(AGENT_ID.describe, value);
}

function botMode(value: unknown): void {
  if (value !== '' && value !== 'webhook' && value !== 'websocket')
    throw new FormatError('"webhook" (the callback URL) or "websocket" (the long connection), or "" to choose from the keys given', value);
}

function wsUrl(value: unknown): void {
  if (typeof value !== 'string' || !/^wss?:\/\/[^\s]+$/.test(value)) throw new FormatError('a ws:// or wss:// URL', value);
}

function validateBots(value: unknown): void {
  if (!Array.isArray(value)) throw new FormatError('a list of {bot_id, secret}', value);
  value.forEach((bot: unknown, index) => {
    if (typeof bot !== 'object' || bot === null || Array.isArray(bot))
      throw new FormatError(`bots[${index}] to be an object {bot_id, secret}`, bot);
    const entry = bot as Record<string, unknown>;
    // Keys besides these are the bot's own assistant keys (model, dify_*...), checked by the core (assistants.ts).
    if (typeof entry.bot_id !== 'string' || entry.bot_id.trim() === '')
      throw new FormatError(`bots[${index}].bot_id to be the bot's BotID`, entry.bot_id);
    if (typeof entry.secret !== 'string' || entry.secret === '')
      throw new FormatError(`bots[${index}].secret to be the bot's long-connection Secret`, entry.secret, true);
  });
}

function validateAgents(value: unknown): void {
  if (!Array.isArray(value)) throw new FormatError('a list of {agent_id, corp_secret, token, aes_key, callback_path}', value);
  value.forEach((agent: unknown, index) => {
    const entry = (agent ?? {}) as Record<string, unknown>;
    const check = (key: string, test: (v: unknown) => boolean, expected: string, secret = false, pattern?: CredentialPattern) => {
      const value = entry[key];
      if (!test(value))
        throw new FormatError(
          `agents[${index}].${key} to be ${expected}`,
          value,
          secret,
          pattern && typeof value === 'string' && value !== '' ? describeCredential(value, pattern) : undefined,
        );
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
  corp_id: {
    doc: 'CorpID (我的企业 → 企业信息 → 企业ID). The five app keys go together; none: no self-built app.',
    format: 'text',
    default: '',
    env: 'WEWORKTOP_CORP_ID',
  },
  corp_secret: {
    doc: 'The app Secret (应用管理 → your app → Secret).',
    format: 'text',
    default: '',
    sensitive: true,
    env: 'WEWORKTOP_CORP_SECRET',
  },
  agent_id: { doc: 'The app AgentId, e.g. 1000002.', format: optionalAgentId, default: '', env: 'WEWORKTOP_AGENT_ID' },
  token: {
    doc: 'Token of the app\'s "receive messages" (接收消息) API settings.',
    format: optionalText(TOKEN),
    default: '',
    sensitive: true,
    env: 'WEWORKTOP_TOKEN',
  },
  aes_key: {
    doc: 'EncodingAESKey of the same settings (43 characters).',
    format: optionalText(AES_KEY),
    default: '',
    sensitive: true,
    env: 'WEWORKTOP_AES_KEY',
  },
  callback_path: {
    doc: 'Path of the callback URL to enter in the WeCom console.',
    format: 'text',
    default: '/wework_callback',
    env: 'WEWORKTOP_CALLBACK_PATH',
  },
  cow_callback_path: {
    doc: 'Also answer on CoW\'s callback path /wxcomapp (and /wxcomapp/), so a URL saved in the console for CoW keeps working. On by default for a config with CoW\'s wechatcomapp_* keys or channel_type "wechatcom_app".',
    format: 'flag',
    default: false,
    env: 'WEWORKTOP_COW_CALLBACK_PATH',
  },
  api_base: {
    doc: 'WeCom API base URL (a reverse proxy, or a fake in tests).',
    format: 'http-url-or-empty',
    default: 'https://qyapi.weixin.qq.com',
    env: 'WEWORKTOP_API_BASE',
  },
  proxy: {
    doc: 'HTTP proxy for every WeCom API call: a fixed egress IP for the trusted-IP list (error 60020).',
    format: 'http-url-or-empty',
    default: '',
    env: 'WEWORKTOP_PROXY',
  },
  enable_markdown: {
    doc: 'Send markdown messages. Off by default: personal WeChat (微信插件) cannot show markdown, so replies are plain text.',
    format: 'flag',
    default: false,
    env: 'WEWORKTOP_ENABLE_MARKDOWN',
  },
  welcome_message: {
    doc: 'Sent when a user opens the app (enter_agent); empty: none.',
    format: 'text',
    default: '',
    env: 'WEWORKTOP_WELCOME_MESSAGE',
  },
  agents: {
    doc: 'Further apps of the same corp served by this process: [{agent_id, corp_secret, token, aes_key, callback_path}], each with assistant keys of its own if wanted (model, bot_type, dify_*...: docs/backends.md).',
    format: validateAgents,
    default: [],
  },
  api_timeout: { doc: 'Seconds to wait for one WeCom API call.', format: 'positive-int', default: 15, env: 'WEWORKTOP_API_TIMEOUT' },
  api_retries: {
    doc: 'Quick retries of a WeCom API call whose connection dropped (reset, closed keep-alive); -1, 45009, 5xx and timeouts are retried per message (max_attempts).',
    format: 'non-negative-int',
    default: 1,
    env: 'WEWORKTOP_API_RETRIES',
  },
  api_retry_delay_ms: {
    doc: 'Wait in ms before a quick retry; doubles each retry.',
    format: 'non-negative-int',
    default: 200,
    env: 'WEWORKTOP_API_RETRY_DELAY_MS',
  },
  max_clock_skew: {
    doc: 'Seconds a signed callback stays valid: older or future timestamps are refused as replays (401). 0: no check.',
    format: 'non-negative-int',
    default: 300,
    env: 'WEWORKTOP_MAX_CLOCK_SKEW',
  },
  bot: {
    mode: {
      doc: 'How the AI bot (智能机器人, API mode) talks to WeCom: "websocket" (the long connection: bot_id + secret, no public URL) or "webhook" (the callback URL: token + aes_key). Empty: "websocket" when secret is set and token is not, else "webhook".',
      format: botMode,
      default: '',
      env: 'WEWORKTOP_BOT_MODE',
    },
    token: {
      doc: 'AI bot (智能机器人) callback Token (webhook mode); empty, with no secret: group chats off.',
      format: optionalText(TOKEN),
      default: '',
      sensitive: true,
      env: 'WEWORKTOP_BOT_TOKEN',
    },
    aes_key: {
      doc: 'AI bot callback EncodingAESKey (webhook mode).',
      format: optionalText(AES_KEY),
      default: '',
      sensitive: true,
      env: 'WEWORKTOP_BOT_AES_KEY',
    },
    callback_path: {
      doc: 'Path of the AI bot callback URL (webhook mode).',
      format: 'text',
      default: '/wework_bot_callback',
      env: 'WEWORKTOP_BOT_CALLBACK_PATH',
    },
    bot_id: {
      doc: "The AI bot's BotID: with secret, the long connection; in webhook mode only for the logs.",
      format: 'text',
      default: '',
      env: 'WEWORKTOP_BOT_ID',
    },
    secret: {
      doc: "The AI bot's long-connection Secret (websocket mode; shown once in the console).",
      format: 'text',
      default: '',
      sensitive: true,
      env: 'WEWORKTOP_BOT_SECRET',
    },
    ws_url: {
      doc: "The long connection's address (privately deployed WeCom shows its own in the admin console).",
      format: wsUrl,
      default: 'wss://openws.work.weixin.qq.com',
      env: 'WEWORKTOP_BOT_WS_URL',
    },
    heartbeat_seconds: {
      doc: 'Seconds between heartbeats on the long connection; two unanswered ones mean the connection is dead.',
      format: 'positive-int',
      default: 30,
      env: 'WEWORKTOP_BOT_HEARTBEAT_SECONDS',
    },
    stream: {
      doc: 'Stream answers as they are written (else one reply: through response_url, or one finished stream frame).',
      format: 'flag',
      default: true,
      env: 'WEWORKTOP_BOT_STREAM',
    },
  },
  bots: {
    doc: 'Further AI bots on their long connections, served by this process: [{bot_id, secret}], each with assistant keys of its own if wanted. Each keeps its own conversations.',
    format: validateBots,
    default: [],
  },
  group_names: {
    doc: 'Names for group chat ids ({"wrkSFfCgAA...": "产品群"}), used by the white list and logs: WeCom gives bots no group names.',
    format: 'object',
    default: {},
  },
  kf: kfSchema,
  webhooks: {
    doc: 'Group robots (群机器人) the push API can post to: {"<name>": "<webhook key or full URL>"}, then {"to": {"webhook": "<name>"}}.',
    format: validateWebhooks,
    default: {},
  },
};

/** CoW's wechatcom_app keys, accepted at the root so its users can keep their config. */
export const cowKeyAliases: Record<string, string> = {
  wechatcom_corp_id: 'corp_id',
  wechatcomapp_secret: 'corp_secret',
  wechatcomapp_agent_id: 'agent_id',
  wechatcomapp_token: 'token',
  wechatcomapp_aes_key: 'aes_key',
  wechatcomapp_port: 'port',
  // CoW's wecom_bot channel: the AI bot on its long connection.
  wecom_bot_id: 'bot.bot_id',
  wecom_bot_secret: 'bot.secret',
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

/** The five keys of the self-built app: all or none. */
const APP_KEYS = ['corp_id', 'corp_secret', 'agent_id', 'token', 'aes_key'] as const;

/** A self-built app is configured (its keys are checked complete by checkWeworktopConfig). */
export function hasApp(config: WeworktopConfig): boolean {
  return APP_KEYS.some((key) => String(config[key]) !== '');
}

/** The primary app and the extra `agents`, with default callback paths filled in; none without an app. */
export function appsOf(config: WeworktopConfig): AppCredentials[] {
  if (!hasApp(config)) return [];
  const primary: AppCredentials = {
    agent_id: String(config.agent_id),
    corp_secret: config.corp_secret,
    token: config.token,
    aes_key: config.aes_key,
    callback_path: config.callback_path,
  };
  const extra = config.agents.map((agent) => ({
    ...agent,
    agent_id: String(agent.agent_id),
    callback_path: agent.callback_path ?? `/wework_callback/${agent.agent_id}`,
  }));
  return [primary, ...extra];
}

/** One AI bot on its long connection, with the connection settings of `bot`. */
export interface WsBot {
  bot_id: string;
  secret: string;
  ws_url: string;
  heartbeat_seconds: number;
  stream: boolean;
}

/**
 * How the AI bot in `bot` runs: its long connection, its callback URL, or not at all. Keys that do
 * not go together (a token without aes_key, a bot_id without a secret) are a ConfigError.
 */
export function aiBotModeOf(bot: AiBotConfig): 'webhook' | 'websocket' | 'off' {
  const mode =
    bot.mode || (bot.secret && !bot.token ? 'websocket' : bot.token || bot.aes_key ? 'webhook' : bot.bot_id ? 'websocket' : 'off');
  if (mode === 'websocket') {
    if (!bot.bot_id)
      throw new ConfigError('weworktop.bot.bot_id', "a value (the AI bot's long connection needs its BotID and Secret)", 'nothing');
    if (!bot.secret)
      throw new ConfigError(
        'weworktop.bot.secret',
        "a value (the AI bot's long connection needs its BotID and Secret, shown once in the console)",
        'nothing',
      );
    return mode;
  }
  if (mode === 'webhook' && (!bot.token || !bot.aes_key)) {
    const missing = bot.token ? 'aes_key' : 'token';
    throw new ConfigError(`weworktop.bot.${missing}`, 'a value (the AI bot needs both token and aes_key)', 'nothing');
  }
  return mode;
}

/** The AI bot's callback route is on: `bot` in webhook mode. */
export function checkAiBotKeys(bot: AiBotConfig): boolean {
  return aiBotModeOf(bot) === 'webhook';
}

/** Every AI bot on a long connection: `bot` in websocket mode, then `bots`. */
export function wsBotsOf(config: WeworktopConfig): WsBot[] {
  const { bot } = config;
  const settings = { ws_url: bot.ws_url, heartbeat_seconds: bot.heartbeat_seconds, stream: bot.stream };
  const entries = [...(aiBotModeOf(bot) === 'websocket' ? [{ bot_id: bot.bot_id, secret: bot.secret }] : []), ...config.bots];
  return entries.map((entry) => ({ ...settings, bot_id: entry.bot_id, secret: entry.secret }));
}

/**
 * What convict cannot check key by key: the app's five keys come together, a bot's keys fit its
 * mode, bot ids are unique, and there is something to serve (an app or a bot).
 */
export function checkWeworktopConfig(config: WeworktopConfig): void {
  const botMode = aiBotModeOf(config.bot);
  const ids = new Set(botMode === 'websocket' ? [config.bot.bot_id] : []);
  config.bots.forEach((bot, index) => {
    if (ids.has(bot.bot_id))
      throw new ConfigError(
        `weworktop.bots[${index}].bot_id`,
        'a BotID no other bot of this process has (WeCom keeps one connection per bot)',
        `"${bot.bot_id}" again`,
      );
    ids.add(bot.bot_id);
  });
  const anyBot = botMode !== 'off' || config.bots.length > 0;
  if (hasApp(config)) {
    const missing = APP_KEYS.find((key) => String(config[key]) === '');
    if (missing) {
      const why = anyBot
        ? 'the self-built app needs corp_id, corp_secret, agent_id, token and aes_key; for the AI bot alone, leave all five out'
        : 'required when channel_type is "weworktop"';
      throw new ConfigError(`weworktop.${missing}`, `a value (${why})`, 'nothing');
    }
  } else if (!anyBot) {
    throw new ConfigError(
      'weworktop',
      'a self-built app (corp_id, corp_secret, agent_id, token, aes_key) or an AI bot (bot.bot_id and bot.secret: the long connection, no public server needed; README: No public server)',
      'neither',
    );
  }
}
