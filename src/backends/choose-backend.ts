import { ConfigError } from '../config/config-error.js';
import { BOT_TYPES } from '../config/cow-providers.js';
import type { BackendConfig, BackendDeps, BackendRegistry } from './backend-module.js';
import type { ChatBot } from './chat-bot.js';
import { backendRegistry } from './registry.js';

/** What "" and every CoW bot_type mean: the OpenAI-compatible backend, at the provider's base URL. */
export const DEFAULT_BACKEND = 'openai';

/**
 * bot_type → backend name. The registry's own names (openai; dify next) mean themselves. "" and
 * CoW's values (deepseek, qwen, claudeAPI...: BOT_TYPES) mean the OpenAI-compatible backend, and
 * cow-providers.ts picks the provider's key, base URL and model for it.
 */
export function backendNamed(botType: string, names: readonly string[]): string {
  if (names.includes(botType)) return botType;
  if (botType === '' || Object.hasOwn(BOT_TYPES, botType)) return DEFAULT_BACKEND;
  const known = [...new Set([...names, ...Object.keys(BOT_TYPES)])].map((name) => `"${name}"`).join(', ');
  throw new ConfigError('bot_type', `one of ${known} (or "" to choose by model)`, `string ${JSON.stringify(botType)}`);
}

/** The bot of the backend `config.bot_type` names; only that backend's module is loaded. */
export async function createBackendBot(
  config: BackendConfig,
  deps: BackendDeps,
  registry: BackendRegistry = backendRegistry,
): Promise<ChatBot> {
  const backend = await registry.load(backendNamed(config.bot_type, registry.names));
  return backend.createBot(config, deps);
}
