import type { LlmChoice } from '../config/cow-providers.js';
import type { AppConfig } from '../config/schema.js';

/**
 * One set of overrides a channel declares for an entry point of its own (an app, a bot), from the
 * most general layer to the most specific (weworktop.bot, then weworktop.bots[0]). Unset keys fall
 * back layer by layer, then to the config's top level.
 */
export interface AssistantDeclaration {
  /** The scope of the messages it answers (NormalizedMessage.scope): equal, or a prefix before ":" (kf → kf:wk...). */
  scope: string;
  /** How the start-up log names it: "app 1000003", "bot b1". */
  label: string;
  layers: Array<{ keyPath: string; overrides: Record<string, unknown> }>;
}

/** An assistant resolved: its whole config (the overrides merged over the top level) and the backend it uses. */
export interface Assistant {
  /** "" for the default assistant: the top level, for messages no declared assistant takes. */
  scope: string;
  label: string;
  backend: string;
  /** Its backend and model for the start-up log, never a key: "deepseek, model deepseek-chat at https://...". */
  summary: string;
  config: AppConfig;
  /** The OpenAI-compatible server chosen for it; absent on another backend. */
  llm?: LlmChoice;
}
