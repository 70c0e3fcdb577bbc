import OpenAI from 'openai';
import type { CoreConfig } from '../config/schema.js';
import { createDispatcher } from '../http-dispatcher.js';
import { createUndiciFetch } from './undici-fetch.js';

type OpenAIConnection = Pick<CoreConfig, 'open_ai_api_key' | 'open_ai_api_base' | 'proxy' | 'request_timeout' | 'max_retries'>;

/** One configured OpenAI SDK client for chat, transcription, speech and images. */
export function createOpenAIClient(config: OpenAIConnection): OpenAI {
  return new OpenAI({
    // Local servers (Ollama, vLLM) accept any key; the SDK insists on a non-empty one.
    apiKey: config.open_ai_api_key || 'not-needed',
    baseURL: config.open_ai_api_base,
    timeout: config.request_timeout * 1000,
    // The SDK retries 408/409/429/5xx and connection errors with exponential backoff.
    maxRetries: config.max_retries,
    // A lean fetch on undici's connection pool, through `proxy` when one is set.
    fetch: createUndiciFetch(createDispatcher(config.proxy)),
    // Every failure reaches our log once, as one line (openai-chat-bot.ts); the SDK's own console lines would add more.
    logLevel: 'off',
  });
}
