import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import convict from 'convict';
import { ConfigError, describeFound } from './config-error.js';
import { envOverlay } from './env-overlay.js';
import { registerFormats } from './formats.js';
import { coreSchema, type CoreConfig } from './schema.js';
import type { ChannelModule } from '../channel.js';

registerFormats();

/** The validated config: core keys plus the selected channel's section (e.g. `weworktop`). */
export type AppConfig = CoreConfig & Record<string, unknown>;

export interface LoadedConfig {
  config: AppConfig;
  /** The file read, or "embedded default" when there was none. */
  source: string;
  warnings: string[];
}

export interface LoadConfigOptions {
  argv?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Channel names the registry knows, and how to load one's module. */
  channels: { names: readonly string[]; load(name: string): Promise<ChannelModule> };
}

/** `--config PATH`, then CONFIG_PATH, then ./config.json; undefined when the default is absent. */
export function resolveConfigPath(argv: string[], env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const flag = argv.indexOf('--config');
  const explicit = flag >= 0 ? argv[flag + 1] : argv.find((arg) => arg.startsWith('--config='))?.slice('--config='.length);
  const chosen = explicit ?? env.CONFIG_PATH;
  if (chosen !== undefined) {
    const resolved = path.resolve(cwd, chosen);
    if (!existsSync(resolved)) throw new ConfigError(explicit !== undefined ? '--config' : 'CONFIG_PATH', 'an existing config file', `no file at ${resolved}`);
    return resolved;
  }
  const fallback = path.resolve(cwd, 'config.json');
  return existsSync(fallback) ? fallback : undefined;
}

function readJson(file: string): Record<string, unknown> {
  const text = readFileSync(file, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(path.basename(file), 'valid JSON', `a syntax error (${(error as Error).message})`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(path.basename(file), 'a JSON object', describeFound(parsed));
  }
  return parsed as Record<string, unknown>;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Accepts both shapes: CoW's flat `{channel_type, ..., weworktop: {...}}` and the original
 * weworktop README's `{services: {channel_type, weworktop: {...}}}`. Core keys found in the channel
 * section override the global ones; other tools' root keys are mapped through the channel's aliases.
 */
export function normalizeShape(raw: Record<string, unknown>, channel: string, aliases: Record<string, string> = {}): Record<string, unknown> {
  const { services, ...rest } = raw;
  const base: Record<string, unknown> = isObject(services) ? { ...rest, ...services } : { ...rest };
  const section: Record<string, unknown> = isObject(base[channel]) ? { ...(base[channel] as Record<string, unknown>) } : {};
  for (const [alias, key] of Object.entries(aliases)) {
    if (alias in base) {
      if (!(key in section)) section[key] = base[alias];
      delete base[alias];
    }
  }
  for (const key of Object.keys(section)) {
    if (key in coreSchema) {
      base[key] = section[key];
      delete section[key];
    }
  }
  if (Object.keys(section).length > 0 || channel in base) base[channel] = section;
  return base;
}

/** Turns convict's first error line ("key: expected X, found Y: value was ...") into a ConfigError. */
function toConfigError(error: Error): ConfigError {
  const first = error.message.split('\n')[0] ?? error.message;
  const match = /^([^:]+): (?:expected )?(.*?)(?:, found (.*?))?(?:: value was .*)?$/.exec(first);
  if (!match) return new ConfigError('config', 'a valid configuration', first);
  const [, key = 'config', expected = '', found] = match;
  return new ConfigError(key, expected.replace(/^must be /, ''), found ?? 'an invalid value');
}

export async function loadConfig(options: LoadConfigOptions): Promise<LoadedConfig> {
  const argv = options.argv ?? process.argv.slice(2);
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = resolveConfigPath(argv, env, cwd);
  const raw = file ? readJson(file) : {};

  const rawChannel = env.CHANNEL_TYPE ?? (isObject(raw.services) ? raw.services.channel_type : raw.channel_type) ?? 'terminal';
  if (typeof rawChannel !== 'string' || !options.channels.names.includes(rawChannel)) {
    throw new ConfigError('channel_type', `one of ${options.channels.names.map((n) => `"${n}"`).join(', ')}`, describeFound(rawChannel));
  }
  const channelModule = await options.channels.load(rawChannel);
  const schema: Record<string, unknown> = { ...coreSchema };
  if (channelModule.configSchema) schema[rawChannel] = channelModule.configSchema;

  const warnings: string[] = [];
  let config: convict.Config<AppConfig>;
  try {
    // env: {} so convict does not read env vars itself; envOverlay parses them by format.
    config = convict(schema as convict.Schema<AppConfig>, { env: {}, args: [] });
    config.load(normalizeShape(raw, rawChannel, channelModule.keyAliases));
    config.load(envOverlay(schema, env));
    config.validate({ allowed: 'warn', output: (message: string) => warnings.push(message.replace(/^\S*Warning:\S*\s*/, 'unknown config key: ')) });
  } catch (error) {
    throw toConfigError(error as Error);
  }
  const values = config.getProperties();
  if (values.single_chat_prefix.length === 0) {
    warnings.push('single_chat_prefix is [] so no private message will ever trigger the bot; use [""] to answer every message');
  }
  if (values.max_single_msg_tokens >= values.conversation_max_tokens) {
    warnings.push('max_single_msg_tokens is not below conversation_max_tokens, so a long message can leave no room for history');
  }
  return { config: values, source: file ?? 'embedded default', warnings };
}
