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

/** Keys of the AI bot that alone make a weworktop config: its long connection, or its callback URL. */
const BOT_CREDENTIALS = ['secret', 'token'];

/**
 * CoW's WeCom channels: `wechatcom_app` (the self-built app, what this channel is), `wework`
 * (a hook into the WeCom PC client) and `wecom_bot` (the AI bot over its long connection, which
 * this channel serves too, as it does the AI bot's callback URL).
 */
export const weworktopCowCompat: CowCompat = {
  channelTypes: {
    wechatcom_app: { notice: 'channel_type "wechatcom_app" (CoW\'s WeCom self-built app) runs the weworktop channel', cowApp: true },
    wework: {
      notice:
        'channel_type "wework" was CoW\'s hook into the WeCom PC client; weworktop serves a self-built app (自建应用) instead, with the weworktop credentials',
    },
    wecom_bot: { notice: 'channel_type "wecom_bot" (CoW\'s AI bot) runs the weworktop channel with its AI bot' },
  },

  hasCredentials(raw, env) {
    const { root, section } = sections(raw);
    const bot = isObject(section.bot) ? section.bot : {};
    const aliases = Object.keys(cowKeyAliases).filter((alias) => alias !== 'wechatcomapp_port');
    return (
      CREDENTIALS.some((key) => given(section[key]) || given(env[`WEWORKTOP_${key.toUpperCase()}`])) ||
      BOT_CREDENTIALS.some((key) => given(bot[key]) || given(env[`WEWORKTOP_BOT_${key.toUpperCase()}`])) ||
      aliases.some((alias) => given(root[alias]) || given(env[alias.toUpperCase()]))
    );
  },

  refuse(channelType, raw, env) {
    if (channelType !== 'wecom_bot') return undefined;
    const { root, section } = sections(raw);
    const keys = isObject(section.bot) ? section.bot : {};
    const has = (key: string, alias?: string) =>
      given(keys[key]) ||
      given(env[`WEWORKTOP_BOT_${key.toUpperCase()}`]) ||
      (alias !== undefined && (given(root[alias]) || given(env[alias.toUpperCase()])));
    if (has('bot_id', 'wecom_bot_id') && has('secret', 'wecom_bot_secret')) return undefined;
    if (has('token') && has('aes_key')) return undefined;
    return {
      expected:
        "the AI bot's BotID and Secret (wecom_bot_id and wecom_bot_secret, or weworktop.bot.bot_id and weworktop.bot.secret: its long connection; README: No public server)",
      found: 'string "wecom_bot" without them',
    };
  },

  // CoW served its app on wechatcomapp_port (default 9898) at /wxcomapp: the URL saved in the console keeps working.
  appDefaults: { port: 9898, cow_callback_path: true },
};
