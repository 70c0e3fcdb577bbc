import type convict from 'convict';
import type { CoreConfig } from '../config/schema.js';
import type { Logger } from '../logger.js';
import type { ModuleRegistry } from '../registries.js';
import type { ChatBot } from './chat-bot.js';

/**
 * The keys of one assistant: today the config's top level; with an app's or bot's overrides
 * merged over it later (issue 21), so two assistants are two calls with two configs.
 */
export type BackendConfig = CoreConfig & Record<string, unknown>;

export interface BackendDeps {
  logger: Logger;
  /** Tokens as the pipeline counts them for this model. */
  countTokens(text: string): number;
}

/**
 * An LLM backend, one folder under src/backends/ and one line in registry.ts. Its failures reach
 * the pipeline as UserFacingError, `transient` when a later try may succeed (the answer runner
 * then retries the message with backoff).
 */
export interface BackendModule {
  /** Keys of its own at the config's top level (e.g. dify_api_key), added to the schema when bot_type names it. */
  configSchema?: convict.Schema<Record<string, unknown>>;
  /** Async: a backend may load its SDK or ask its server about the app before the first message. */
  createBot(config: BackendConfig, deps: BackendDeps): Promise<ChatBot>;
  /** `weworktop doctor`: one call that shows the key and the address work (the OpenAI-compatible backend's is the doctor's own). */
  check?(config: BackendConfig, timeoutMs: number): Promise<{ ok: boolean; detail: string; fix?: string }>;
  /** What the start-up log says of an assistant on this backend (never a key); default: its model and base URL. */
  describe?(config: BackendConfig): string;
}

export type BackendRegistry = ModuleRegistry<BackendModule>;
