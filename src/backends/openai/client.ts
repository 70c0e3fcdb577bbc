import OpenAI from 'openai';
import type { CoreConfig } from '../../config/schema.js';
import { createDispatcher } from '../../http-dispatcher.js';
import type { Logger } from '../../logger.js';
import { withQuickRetry } from './quick-retry.js';
import { createUndiciFetch } from './undici-fetch.js';

/** The keys of one connection to an OpenAI-compatible server. */
export type OpenAIConnection = Pick<CoreConfig, 'open_ai_api_key' | 'open_ai_api_base' | 'proxy' | 'request_timeout' | 'max_retries'>;

/** One configured OpenAI SDK client (chat, transcription, speech or images). */
export function createOpenAIClient(config: OpenAIConnection, logger: Logger): OpenAI {
  const log = logger.child({ module: 'llm-http' });
  return new OpenAI({
    // Local servers (Ollama, vLLM) accept any key; the SDK insists on a non-empty one.
    apiKey: config.open_ai_api_key || 'not-needed',
    baseURL: config.open_ai_api_base,
    timeout: config.request_timeout * 1000,
    // Outages are retried per message by the answer runner; the SDK's own retries would multiply them.
    maxRetries: 0,
    // A lean fetch on undici's connection pool, through `proxy` when one is set; a dropped connection is retried at once.
    fetch: withQuickRetry(createUndiciFetch(createDispatcher(config.proxy)), {
      retries: config.max_retries,
      onRetry: (error, retry) => log.warn({ err: (error as Error).message, retry }, 'connection to the LLM server dropped; sending again'),
    }),
    // Every failure reaches our log once, as one line (chat-bot.ts); the SDK's own console lines would add more.
    logLevel: 'off',
  });
}
