import OpenAI from 'openai';
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
 * npm undici (different versions). undici is loaded on the first call (only proxied set-ups need
 * it); the casts bridge the two packages' identical Request and Response types.
 */
function proxied(proxy: string): Pick<OpenAI['_options'], 'fetch'> {
  let loaded: Promise<{ fetch: (input: unknown, init?: unknown) => Promise<unknown>; dispatcher: unknown }> | undefined;
  const load = () => (loaded ??= import('undici').then((undici) => ({ fetch: undici.fetch as (input: unknown, init?: unknown) => Promise<unknown>, dispatcher: new undici.ProxyAgent(proxy) })));
  const viaProxy = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const undici = await load();
    return (await undici.fetch(input, { ...init, dispatcher: undici.dispatcher })) as Response;
  };
  return { fetch: viaProxy as typeof fetch };
}
