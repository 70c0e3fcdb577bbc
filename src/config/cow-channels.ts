import type { ChannelModule } from '../channel.js';
import { ConfigError, describeFound } from './config-error.js';

/** CoW's channels that no channel here serves (channel/channel_factory.py), for the error line. */
const COW_ONLY_CHANNELS: Record<string, string> = {
  weixin: 'personal WeChat',
  wx: 'personal WeChat',
  wxy: 'personal WeChat (wechaty)',
  wcf: 'personal WeChat (WeChatFerry)',
  web: 'web console',
  wechatmp: 'WeChat official account',
  wechatmp_service: 'WeChat official account',
  feishu: 'Feishu',
  dingtalk: 'DingTalk',
  qq: 'QQ',
};

export interface ChannelChoice {
  channel: string;
  /** The one line logged at start when the channel was not named as such. */
  notice?: string;
  /** The config came from CoW's WeCom app: the channel's CoW defaults apply. */
  cowApp: boolean;
}

export interface Channels {
  names: readonly string[];
  load(name: string): Promise<ChannelModule>;
}

/**
 * Which channel runs, from channel_type as written (CoW also takes a list, or "a, b"). CoW's names
 * for a channel here run it, with a notice; with no channel_type, or one of CoW's channels that
 * has no counterpart here, a channel whose credentials the config carries runs, with a notice
 * (the terminal channel would exit at once under systemd). Otherwise the terminal.
 */
export async function chooseChannel(
  written: unknown,
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  channels: Channels,
): Promise<ChannelChoice> {
  const modules = new Map(await Promise.all(channels.names.map(async (name) => [name, await channels.load(name)] as const)));
  const names = listed(written);
  if (names === undefined) throw unknown(written, channels.names);
  const cowName = (name: string) => [...modules].find(([, module]) => module.cow && name in module.cow.channelTypes);
  const served = names.filter((name) => modules.has(name) || cowName(name));
  const withCredentials = credentialed(modules, raw, env);

  if (names.length === 0) {
    if (withCredentials)
      return {
        channel: withCredentials,
        notice: `no channel_type set, but ${withCredentials} credentials are: starting the ${withCredentials} channel`,
        cowApp: false,
      };
    return { channel: 'terminal', cowApp: false };
  }
  const targets = new Set(served.map((name) => (modules.has(name) ? name : cowName(name)![0])));
  if (targets.size > 1) throw new ConfigError('channel_type', 'one channel (weworktop runs one per process)', describeFound(written));
  const ignored = names.filter((name) => !served.includes(name));
  const ignoredNote = ignored.length > 0 && served.length > 0 ? ` (${ignored.join(', ')} ignored: not a channel here)` : '';
  const name = served[0] ?? names[0]!;
  if (modules.has(name))
    return { channel: name, ...(ignoredNote ? { notice: `channel_type: running ${name}${ignoredNote}` } : {}), cowApp: false };

  const cow = cowName(name);
  if (cow) {
    const [channel, module] = cow;
    const refusal = module.cow!.refuse?.(name, raw, env);
    if (refusal) throw new ConfigError('channel_type', refusal.expected, refusal.found);
    const mapping = module.cow!.channelTypes[name]!;
    return { channel, notice: mapping.notice + ignoredNote, cowApp: mapping.cowApp === true };
  }
  const cowOnly = COW_ONLY_CHANNELS[name];
  if (cowOnly && withCredentials) {
    return {
      channel: withCredentials,
      notice: `channel_type "${name}" is CoW's ${cowOnly} channel, which weworktop does not have; ${withCredentials} credentials are set, so the ${withCredentials} channel starts`,
      cowApp: false,
    };
  }
  throw unknown(
    written,
    channels.names,
    cowOnly,
    [...modules.values()].flatMap((module) => Object.keys(module.cow?.channelTypes ?? {})),
  );
}

/** The channel whose credentials a config or the environment carries, if any. */
export async function channelWithCredentials(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  channels: Channels,
): Promise<string | undefined> {
  return credentialed(new Map(await Promise.all(channels.names.map(async (name) => [name, await channels.load(name)] as const))), raw, env);
}

function credentialed(modules: Map<string, ChannelModule>, raw: Record<string, unknown>, env: NodeJS.ProcessEnv): string | undefined {
  return [...modules].find(([, module]) => module.cow?.hasCredentials(raw, env))?.[0];
}

/** The names in a channel_type value: undefined when it is not a string or a list of strings. */
function listed(written: unknown): string[] | undefined {
  if (written === undefined || written === null) return [];
  const items =
    typeof written === 'string'
      ? written.split(',')
      : Array.isArray(written) && written.every((item) => typeof item === 'string')
        ? (written as string[])
        : undefined;
  return items?.map((item) => item.trim()).filter(Boolean);
}

function unknown(written: unknown, names: readonly string[], cowOnly?: string, cowNames: string[] = []): ConfigError {
  const expected = `one of ${names.map((name) => `"${name}"`).join(', ')}${cowOnly ? ` (or CoW's ${cowNames.map((name) => `"${name}"`).join(', ')})` : ''}`;
  return new ConfigError(
    'channel_type',
    expected,
    `${describeFound(written)}${cowOnly ? ` (CoW's ${cowOnly} channel, which weworktop does not have)` : ''}`,
  );
}
