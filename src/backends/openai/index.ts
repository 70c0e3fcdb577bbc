import { chooseLlm, type LlmConfig, OPENAI_API_BASE } from '../../config/cow-providers.js';
import type { CoreConfig } from '../../config/schema.js';
import type { BackendDeps } from '../backend-module.js';
import type { ChatBot } from '../chat-bot.js';
import { OfflineBot } from '../offline.js';
import type { OpenAIConnection } from './client.js';

/** What this backend reads: the connection, the model and its temperature, and CoW's provider keys (for the offline hint). */
export type OpenAIBackendConfig = OpenAIConnection & LlmConfig & Pick<CoreConfig, 'temperature'>;

/**
 * The OpenAI-compatible backend: OpenAI, every CoW provider with such an endpoint, gateways and
 * local servers. Its keys are core keys (open_ai_*, model...), shared with the media engines.
 * Without a key for OpenAI's own URL the offline responder answers, so a fresh install still does.
 */
export async function createBot(config: OpenAIBackendConfig, deps: BackendDeps): Promise<ChatBot> {
  // loadConfig resolved the provider's key and base URL, and warned at start when there is none.
  if (!config.open_ai_api_key && config.open_ai_api_base === OPENAI_API_BASE)
    return new OfflineBot(deps.countTokens, { missing: chooseLlm(config, true).missing });
  // Imported here, not above: the main thread reads this module for its schema and never needs the SDK.
  const { createOpenAIClient, OpenAIChatBot } = await import('./client.js');
  return new OpenAIChatBot({
    client: createOpenAIClient(config, deps.logger),
    model: config.model,
    temperature: config.temperature,
    logger: deps.logger,
  });
}
