import OpenAI from 'openai';
import { fetch as undiciFetch, ProxyAgent } from 'undici';
import type { CoreConfig } from '../config/schema.js';

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
    ...(config.proxy ? proxied(config.proxy) : {}),
  });
}

/**
 * A proxy needs undici's own fetch: Node's bundled fetch may not accept a dispatcher from the
 * npm undici (different versions). The cast bridges the two packages' identical RequestInit types.
 */
function proxied(proxy: string): Pick<OpenAI['_options'], 'fetch' | 'fetchOptions'> {
  return {
    fetch: undiciFetch as unknown as typeof fetch,
    fetchOptions: { dispatcher: new ProxyAgent(proxy) } as unknown as OpenAI['_options']['fetchOptions'],
  };
}
