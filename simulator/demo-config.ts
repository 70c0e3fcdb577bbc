import { randomInt } from 'node:crypto';
import { cowKeyAliases } from '../channels/weworktop/config.js';
import { COMPATIBLE, OPENAI_API_BASE } from '../src/config/cow-providers.js';
import { normalizeShape } from '../src/config/load-config.js';

/** Credentials of a WeCom corp, app and AI bot that exist only on this machine. */
export interface DemoCredentials {
  corpId: string;
  corpSecret: string;
  agentId: string;
  token: string;
  aesKey: string;
  botId: string;
  /** The long connection's Secret. */
  botSecret: string;
  botToken: string;
  botAesKey: string;
}

/** How the demo's AI bot talks to the fake WeCom: its long connection (what a new user sets up, no public URL) or its callback URL. */
export type DemoBotMode = 'websocket' | 'webhook';

/** The group the demo answers in: whitelisted by name, which WeCom itself never sends (group_names maps it). */
export const DEMO_GROUP = { chatId: 'wrkSFfCgAAdemogroup01', name: '演示群' } as const;
/** The AI bot's display name: in groups WeCom delivers it only messages that @-mention it. */
export const DEMO_BOT_NAME = 'bot';
export const DEMO_USERS = ['zhangsan', 'lisi', 'wangwu'] as const;
/** The 客服账号 WeChat customers talk to, and the customers (external_userid, WeChat nickname). */
export const DEMO_KF = { openKfid: 'wkDemoKfAccount0001', name: '演示客服' } as const;
export const DEMO_CUSTOMERS = [
  { id: 'wmDemoCustomerXiaoming', nickname: '小明' },
  { id: 'wmDemoCustomerXiaohong', nickname: '小红' },
] as const;

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';
const pick = (alphabet: string, length: number) => Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('');

/** Fresh values in the shapes the WeCom console uses (corp ids are "ww" + 16 hex, keys 43 letters/digits). */
export function generateCredentials(): DemoCredentials {
  return {
    corpId: `ww${pick(HEX, 16)}`,
    corpSecret: pick(ALNUM, 43),
    agentId: String(1_000_002 + randomInt(98)),
    token: pick(ALNUM, 24),
    aesKey: pick(ALNUM, 43),
    botId: `aib${pick(ALNUM, 29)}`,
    botSecret: pick(ALNUM, 43),
    botToken: pick(ALNUM, 24),
    botAesKey: pick(ALNUM, 43),
  };
}

/** Keys the demo decides itself: where the channel lives and that nothing outlives the demo. */
const DEMO_OWNED = ['channel_type', 'weworktop', 'data_dir', 'inbox_store', 'session_store'];

/**
 * The core keys of the user's own config (model, API key, prefixes, plugins), so the demo shows
 * their bot; the channel section and storage are dropped because the demo brings its own.
 */
export function userCoreKeys(raw: Record<string, unknown>): Record<string, unknown> {
  const flat = normalizeShape(raw, 'weworktop', cowKeyAliases);
  return Object.fromEntries(Object.entries(flat).filter(([key]) => !DEMO_OWNED.includes(key)));
}

/** An LLM is configured: a key (open_ai_api_key or a CoW provider's), or a base URL other than OpenAI's. */
export function llmConfigured(core: Record<string, unknown>, env: NodeJS.ProcessEnv): boolean {
  const set = (key: string) => Boolean(env[key.toUpperCase()] ?? core[key]);
  const base = env.OPEN_AI_API_BASE ?? core.open_ai_api_base;
  const providerKeys = Object.values(COMPATIBLE).map((provider) => provider.keys[0]!);
  return set('open_ai_api_key') || providerKeys.some(set) || (typeof base === 'string' && base !== '' && base !== OPENAI_API_BASE);
}

/** Where the demo's fake WeCom is: its API, and (for the AI bot's long connection) its WebSocket server. */
export interface DemoWeCom {
  apiBase: string;
  botMode: DemoBotMode;
  wsUrl: string;
}

/** The config the demo starts the real weworktop channel with, against the fake WeCom. */
export function demoConfig(
  credentials: DemoCredentials,
  wecom: DemoWeCom,
  core: Record<string, unknown>,
  withLlm: boolean,
): Record<string, unknown> {
  const whiteList = Array.isArray(core.group_name_white_list) ? (core.group_name_white_list as unknown[]) : [];
  return {
    ...core,
    channel_type: 'weworktop',
    inbox_store: 'memory',
    session_store: 'memory',
    group_name_white_list: [...new Set([...whiteList, DEMO_GROUP.name])],
    // Without a model service nothing can transcribe or draw: say so at once instead of retrying for minutes.
    ...(withLlm ? {} : { speech_recognition: false, image_create_prefix: [] }),
    // Ctrl+C should not wait the production 20 s for an answer in flight.
    shutdown_timeout: 3,
    weworktop: {
      corp_id: credentials.corpId,
      corp_secret: credentials.corpSecret,
      agent_id: credentials.agentId,
      token: credentials.token,
      aes_key: credentials.aesKey,
      host: '127.0.0.1',
      port: 0,
      api_base: wecom.apiBase,
      api_retry_delay_ms: 100,
      // The page is a WeCom client, which shows markdown (personal WeChat would not).
      enable_markdown: true,
      welcome_message: '你好！这是 weworktop 的本地演示：你发的消息会像企业微信一样加密、签名后回调给机器人。',
      bot:
        wecom.botMode === 'websocket'
          ? { bot_id: credentials.botId, secret: credentials.botSecret, ws_url: wecom.wsUrl }
          : { token: credentials.botToken, aes_key: credentials.botAesKey, bot_id: credentials.botId },
      group_names: { [DEMO_GROUP.chatId]: DEMO_GROUP.name },
      kf: { enabled: true, welcome_message: '您好，这里是演示客服（微信客服）。发「转人工」可以找人工客服。' },
    },
  };
}
