import type { CowCompat } from '../../src/config/cow-compat.js';
import { cowKeyAliases } from './config.js';

const CREDENTIALS = ['corp_id', 'corp_secret', 'agent_id', 'token', 'aes_key'];

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const given = (value: unknown) => (typeof value === 'string' && value !== '') || typeof value === 'number';

/** The root of either shape (CoW's flat one, or ours under "services") and the weworktop section in it. */
function sections(raw: Record<string, unknown>): { root: Record<string, unknown>; section: Record<string, unknown> } {
  const root = isObject(raw.services) ? { ...raw, ...raw.services } : raw;
  return { root, section: isObject(root.weworktop) ? root.weworktop : {} };
}

/**
 * CoW's WeCom channels: `wechatcom_app` (the self-built app, what this channel is), `wework`
 * (a hook into the WeCom PC client) and `wecom_bot` (the AI bot over a WebSocket; this channel
 * serves the AI bot's API mode).
 */
export const weworktopCowCompat: CowCompat = {
  channelTypes: {
    wechatcom_app: { notice: 'channel_type "wechatcom_app" (CoW\'s WeCom self-built app) runs the weworktop channel', cowApp: true },
    wework: { notice: 'channel_type "wework" was CoW\'s hook into the WeCom PC client; weworktop serves a self-built app (自建应用) instead, with the weworktop credentials' },
    wecom_bot: { notice: 'channel_type "wecom_bot" (CoW\'s AI bot) runs the weworktop channel with its AI bot route (API mode)' },
  },

  hasCredentials(raw, env) {
    const { root, section } = sections(raw);
    const aliases = Object.keys(cowKeyAliases).filter((alias) => alias !== 'wechatcomapp_port');
    return (
      CREDENTIALS.some((key) => given(section[key]) || given(env[`WEWORKTOP_${key.toUpperCase()}`])) ||
      aliases.some((alias) => given(root[alias]) || given(env[alias.toUpperCase()]))
    );
  },

  refuse(channelType, raw, env) {
    if (channelType !== 'wecom_bot') return undefined;
    const bot = sections(raw).section.bot;
    const keys = isObject(bot) ? bot : {};
    if ((given(keys.token) || given(env.WEWORKTOP_BOT_TOKEN)) && (given(keys.aes_key) || given(env.WEWORKTOP_BOT_AES_KEY))) return undefined;
    return {
      expected: `weworktop.bot.token and weworktop.bot.aes_key: the AI bot in API mode (README: Group chats), as CoW's long-connection mode (wecom_bot_id, wecom_bot_secret) is not available yet`,
      found: 'string "wecom_bot" without them',
    };
  },

  // CoW served its app on wechatcomapp_port (default 9898) at /wxcomapp: the URL saved in the console keeps working.
  appDefaults: { port: 9898, cow_callback_path: true },
};
