import { existsSync } from 'node:fs';
import path from 'node:path';
import convict from 'convict';
import type { Assistant } from '../assistants/assistant.js';
import { resolveAssistants } from '../assistants/resolve-assistants.js';
import type { BackendRegistry } from '../backends/backend-module.js';
import { backendNamed, DEFAULT_BACKEND } from '../backends/choose-backend.js';
import { backendRegistry } from '../backends/registry.js';
import { ConfigError, fromConvictError, type KeyNames, withWrittenKey } from './config-error.js';
import { type Channels, chooseChannel } from './cow-channels.js';
import { chooseLlm, describeLlm, type LlmChoice } from './cow-providers.js';
import { aliasEnvOverlay, envOverlay, sectionEnvOverlay } from './env-overlay.js';
import { CORE_EXAMPLE_VALUES, stillExampleValues } from './example-values.js';
import { registerFormats } from './formats.js';
import { readConfigFile } from './read-config-file.js';
import { type AppConfig, coreSchema } from './schema.js';
import { summarizeUnknownKeys, undeclaredKeys } from './unknown-keys.js';

registerFormats();

/** LoadedConfig.source when no file was read. */
export const EMBEDDED_DEFAULT = 'embedded default';

export type { AppConfig } from './schema.js';

export interface LoadedConfig {
  config: AppConfig;
  /** The file read, or "embedded default" when there was none. */
  source: string;
  warnings: string[];
  /** Info lines for the start: how the channel and the LLM were chosen. */
  notices: string[];
  /** The provider, key and model of the OpenAI-compatible backend; absent when bot_type names another. */
  llm?: LlmChoice;
  /** Keys the user wrote under another name, for errors raised after loading. */
  keyNames: KeyNames;
  /**
   * Who answers: the default assistant (the top level) first, then each app or bot the channel
   * declares with keys of its own (ChannelModule.assistants); messages go by their scope.
   */
  assistants: Assistant[];
}

export interface LoadConfigOptions {
  argv?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Channel names the registry knows, and how to load one's module. */
  channels: Channels;
  /** The LLM backends bot_type may name (default: src/backends/registry.ts). */
  backends?: BackendRegistry;
}

/** `--config PATH`, then CONFIG_PATH, then ./config.json; undefined when the default is absent. */
export function resolveConfigPath(argv: string[], env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const flag = argv.indexOf('--config');
  const explicit = flag >= 0 ? argv[flag + 1] : argv.find((arg) => arg.startsWith('--config='))?.slice('--config='.length);
  const chosen = explicit ?? env.CONFIG_PATH;
  if (chosen !== undefined) {
    const resolved = path.resolve(cwd, chosen);
    if (!existsSync(resolved))
      throw new ConfigError(explicit !== undefined ? '--config' : 'CONFIG_PATH', 'an existing config file', `no file at ${resolved}`);
    return resolved;
  }
  const fallback = path.resolve(cwd, 'config.json');
  return existsSync(fallback) ? fallback : undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Accepts both shapes: CoW's flat `{channel_type, ..., weworktop: {...}}` and the original
 * weworktop README's `{services: {channel_type, weworktop: {...}}}`. Core keys found in the channel
 * section override the global ones; other tools' root keys are mapped through the channel's aliases.
 * `names` learns the name each moved key was written under.
 */
export function normalizeShape(
  raw: Record<string, unknown>,
  channel: string,
  aliases: Record<string, string> = {},
  names?: Map<string, string>,
  sectionKeys: ReadonlySet<string> = new Set(),
): Record<string, unknown> {
  const { services, ...rest } = raw;
  const base: Record<string, unknown> = isObject(services) ? { ...rest, ...services } : { ...rest };
  const section: Record<string, unknown> = isObject(base[channel]) ? { ...(base[channel] as Record<string, unknown>) } : {};
  for (const [alias, key] of Object.entries(aliases)) {
    if (alias in base) {
      // A dotted key (bot.secret) lands in the section's sub-section.
      if (valueAt(section, key) === undefined) {
        setAt(section, key, base[alias]);
        names?.set(`${channel}.${key}`, alias);
      }
      delete base[alias];
    }
  }
  for (const key of Object.keys(section)) {
    // A key the section declares itself (weworktop.proxy: WeCom's, beside the LLM's proxy) stays there.
    if (key in coreSchema && !sectionKeys.has(key)) {
      base[key] = section[key];
      names?.set(key, names.get(`${channel}.${key}`) ?? `${channel}.${key}`);
      delete section[key];
    }
  }
  if (Object.keys(section).length > 0 || channel in base) base[channel] = section;
  return base;
}

function valueAt(tree: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((node, part) => (isObject(node) ? node[part] : undefined), tree);
}

/** Sets `path` in `tree`, copying the objects on the way so the caller's input is not changed. */
function setAt(tree: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  const last = parts.pop()!;
  let node = tree;
  for (const part of parts) {
    node[part] = isObject(node[part]) ? { ...node[part] } : {};
    node = node[part] as Record<string, unknown>;
  }
  node[last] = value;
}

/** `over` on top of `under`, sub-sections merged too (WEWORKTOP_BOT_TOKEN beside CoW's WECOM_BOT_ID). */
function underlay(under: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const merged = { ...under };
  for (const [key, value] of Object.entries(over))
    merged[key] = isObject(value) && isObject(merged[key]) ? underlay(merged[key], value) : value;
  return merged;
}

/** Every dotted path with a value in `tree` (an object value is a path of its own too). */
function paths(tree: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([key, value]) => [`${prefix}${key}`, ...(isObject(value) ? paths(value, `${prefix}${key}.`) : [])]);
}

export async function loadConfig(options: LoadConfigOptions): Promise<LoadedConfig> {
  const argv = options.argv ?? process.argv.slice(2);
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = resolveConfigPath(argv, env, cwd);
  const raw = file ? readConfigFile(file) : {};

  const written =
    env.CHANNEL_TYPE ?? (isObject(raw.services) && 'channel_type' in raw.services ? raw.services.channel_type : raw.channel_type);
  const choice = await chooseChannel(written, raw, env, options.channels);
  const channel = choice.channel;
  const channelModule = await options.channels.load(channel);
  const schema: Record<string, unknown> = { ...coreSchema };
  if (channelModule.configSchema) schema[channel] = channelModule.configSchema;

  const names = new Map<string, string>();
  const aliases = channelModule.keyAliases ?? {};
  const sectionKeys = new Set(Object.keys(channelModule.configSchema ?? {}));
  const shaped: Record<string, unknown> = { ...normalizeShape(raw, channel, aliases, names, sectionKeys), channel_type: channel };
  const backend = await addBackendSchema(schema, env.BOT_TYPE ?? shaped.bot_type, options.backends ?? backendRegistry).catch(
    (error: unknown) => {
      throw error instanceof ConfigError ? withWrittenKey(error, names) : error;
    },
  );
  const overlay = {
    ...aliasEnvOverlay(coreSchema, aliases, env, names, ''),
    ...envOverlay(schema, env, names),
    ...sectionEnvOverlay(coreSchema, channel, env, names, sectionKeys),
  };
  delete overlay.channel_type;
  if (isObject(channelModule.configSchema)) {
    const fromAliases = aliasEnvOverlay(channelModule.configSchema, aliases, env, names, `${channel}.`);
    if (Object.keys(fromAliases).length > 0) overlay[channel] = underlay(fromAliases, isObject(overlay[channel]) ? overlay[channel] : {});
  }
  const userSet = new Set([...paths(shaped), ...paths(overlay)]);
  const notices = choice.notice ? [choice.notice] : [];

  // Aliases into a sub-section (CoW's wecom_bot_* → bot.*) are CoW's AI bot, not its WeCom app: the app's defaults stay off.
  const appAlias = (name: string) => !(aliases[name] ?? aliases[name.toLowerCase()] ?? '.').includes('.');
  const fromCow = choice.cowApp || [...names.values()].some(appAlias);
  if (fromCow) {
    // Keys a CoW user will look for under CoW's name.
    for (const [alias, key] of Object.entries(aliases)) if (!userSet.has(`${channel}.${key}`)) names.set(`${channel}.${key}`, alias);
    // Core keys among them (port) go to the root, the rest to the section.
    const pathOf = (key: string) => (key in coreSchema ? key : `${channel}.${key}`);
    const applied = Object.entries(channelModule.cow?.appDefaults ?? {}).filter(([key]) => !userSet.has(pathOf(key)));
    if (applied.length > 0) {
      const [core, own] = [applied.filter(([key]) => key in coreSchema), applied.filter(([key]) => !(key in coreSchema))];
      Object.assign(shaped, Object.fromEntries(core));
      shaped[channel] = { ...Object.fromEntries(own), ...(isObject(shaped[channel]) ? shaped[channel] : {}) };
      notices.push(
        `config from CoW's WeCom app: ${applied.map(([key, value]) => `${pathOf(key)} ${JSON.stringify(value)}`).join(', ')} (CoW's defaults, so the URL saved in the WeCom console keeps working)`,
      );
    }
  }

  try {
    const warnings: string[] = [];
    const undeclared: string[] = [];
    let config: convict.Config<AppConfig>;
    try {
      // env: {} so convict does not read env vars itself; envOverlay parses them by format.
      config = convict(schema as convict.Schema<AppConfig>, { env: {}, args: [] });
      config.load(shaped);
      config.load(overlay);
      const examples = {
        ...CORE_EXAMPLE_VALUES,
        ...Object.fromEntries(Object.entries(channelModule.exampleValues ?? {}).map(([key, value]) => [`${channel}.${key}`, value])),
      };
      const unfilled = stillExampleValues(config.getProperties(), examples);
      if (unfilled.length > 0) {
        const others = unfilled.length > 1 ? ` (so ${unfilled.length === 2 ? 'is' : 'are'} ${unfilled.slice(1).join(', ')})` : '';
        throw new ConfigError(unfilled[0]!, 'your own value', `the example value of config.json.example${others}`);
      }
      config.validate({
        allowed: 'warn',
        output: (message: string) => void undeclared.push(...undeclaredKeys(message)),
      });
    } catch (error) {
      throw error instanceof ConfigError ? error : fromConvictError(error as Error);
    }
    const values = config.getProperties();
    channelModule.checkConfig?.(values);
    const declarations = channelModule.assistants?.(values) ?? [];
    // An app's or bot's own keys (weworktop.bot.model) are checked by resolveAssistants, not reported as unknown.
    const overridden = new Set(
      declarations.flatMap((d) => d.layers.flatMap((l) => Object.keys(l.overrides).map((key) => `${l.keyPath}.${key}`))),
    );
    warnings.push(summarizeUnknownKeys(undeclared.filter((key) => !overridden.has(key))) ?? '');
    const topLevel = { ...values };
    if (values.callback_headers_timeout > values.callback_request_timeout) {
      throw new ConfigError(
        'callback_headers_timeout',
        `at most callback_request_timeout (${values.callback_request_timeout})`,
        String(values.callback_headers_timeout),
      );
    }
    const llm = backend === DEFAULT_BACKEND ? chooseLlm(values, userSet.has('model')) : undefined;
    if (backend === 'none') notices.push('LLM: none (bot_type "none"): messages are recorded and forwarded (forward.url), not answered');
    else if (!llm) notices.push(`LLM: the ${backend} backend (by bot_type)`);
    else if (llm.missing) warnings.push(offlineWarning(llm.missing, channel));
    else notices.push(describeLlm(llm));
    if (llm) Object.assign(values, { open_ai_api_key: llm.apiKey, open_ai_api_base: llm.apiBase, model: llm.model });
    const backends = options.backends ?? backendRegistry;
    const summary = llm ? describeLlm(llm).replace(/^LLM: /, '') : `the ${backend} backend`;
    const primary = declarations.find((declaration) => declaration.scope === '');
    const top = { backend, summary, config: values, ...(llm ? { llm } : {}) };
    const assistants: Assistant[] = [{ scope: '', label: primary?.label ?? 'default', ...top }];
    for (const declaration of declarations.filter((each) => each.scope !== '')) {
      const own = declaration.layers.some((layer) => Object.keys(layer.overrides).length > 0);
      // Without keys of its own it is the top level's assistant: the same config object, so the worker builds one pipeline for both.
      if (!own) assistants.push({ scope: declaration.scope, label: declaration.label, ...top });
      else assistants.push(...(await resolveAssistants([declaration], { topLevel, modelWritten: userSet.has('model'), backends, names })));
    }
    if (values.single_chat_prefix.length === 0) {
      warnings.push('single_chat_prefix is [] so no private message will ever trigger the bot; use [""] to answer every message');
    }
    // Only a choice the user made is worth a warning: our defaults are consistent.
    if (
      userSet.has('max_single_msg_tokens') &&
      userSet.has('conversation_max_tokens') &&
      values.max_single_msg_tokens >= values.conversation_max_tokens
    ) {
      warnings.push('max_single_msg_tokens is not below conversation_max_tokens, so a long message can leave no room for history');
    }
    return {
      config: values,
      source: file ?? EMBEDDED_DEFAULT,
      warnings: warnings.filter(Boolean),
      notices,
      ...(llm ? { llm } : {}),
      keyNames: names,
      assistants,
    };
  } catch (error) {
    throw error instanceof ConfigError ? withWrittenKey(error, names) : error;
  }
}

/** The backend bot_type names; its own keys, if it has any, join the schema's top level. */
async function addBackendSchema(schema: Record<string, unknown>, botType: unknown, backends: BackendRegistry): Promise<string> {
  // A bot_type that is not text is left to the schema's check.
  const backend = backendNamed(typeof botType === 'string' ? botType : '', backends.names);
  Object.assign(schema, (await backends.load(backend)).configSchema);
  return backend;
}

function offlineWarning(missing: { key: string; why: string }, channel: string): string {
  const who = channel === 'weworktop' ? "WeCom users get the offline responder's answers" : 'the offline responder answers';
  const alternatives =
    missing.key === 'open_ai_api_key' ? " (or your CoW provider's key, e.g. deepseek_api_key; README: Coming from CoW)" : '';
  return `${missing.why}, so ${who} ("[离线模式] …", not a model's); set ${missing.key}${alternatives}`;
}
