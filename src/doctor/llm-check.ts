import OpenAI from 'openai';
import { backendNamed } from '../backends/choose-backend.js';
import { createOpenAIClient } from '../backends/openai/client.js';
import { isUnknownModel, notFoundAt } from '../backends/openai/endpoint-not-found.js';
import { backendRegistry } from '../backends/registry.js';
import { COMPATIBLE, type LlmChoice, safeUrl } from '../config/cow-providers.js';
import type { CoreConfig } from '../config/schema.js';
import type { Logger } from '../logger.js';
import { type CheckResult, type DoctorCheck, fail, pass, skip } from './doctor-check.js';

export interface LlmCheckOptions {
  config: CoreConfig & Record<string, unknown>;
  /** The OpenAI-compatible server loadConfig chose; absent when bot_type names another backend. */
  llm: LlmChoice | undefined;
  logger: Logger;
  timeoutMs: number;
  /** The line's name: "LLM", or "LLM of app 1000003" for an app's or bot's own assistant. */
  name?: string;
}

/** A one-token completion with the configured key, model and base URL: what every answer needs. */
export function llmCheck(options: LlmCheckOptions): DoctorCheck {
  return {
    name: options.name ?? 'LLM',
    async run() {
      const { config, llm } = options;
      if (!llm) {
        const backend = await backendRegistry.load(backendNamed(config.bot_type, backendRegistry.names));
        if (!backend.check) return skip(`bot_type "${String(config.bot_type)}" names a backend the doctor does not call`);
        const result = await backend.check(config, options.timeoutMs);
        return result.ok ? pass(result.detail) : fail(result.detail, result.fix ?? 'check the backend keys');
      }
      if (llm.missing)
        return fail(`no LLM is configured (${llm.missing.why}): users get the offline responder's answers`, `set ${llm.missing.key}`);
      const at = `${safeUrl(llm.apiBase)}, model ${llm.model}`;
      const client = createOpenAIClient(
        {
          ...config,
          open_ai_api_key: llm.apiKey,
          open_ai_api_base: llm.apiBase,
          max_retries: 0,
          request_timeout: Math.ceil(options.timeoutMs / 1000),
        },
        options.logger,
      );
      const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Say OK.' }];
      try {
        try {
          await client.chat.completions.create({ model: llm.model, messages, max_tokens: 1 });
        } catch (error) {
          // Reasoning models take max_completion_tokens only.
          if (!(error instanceof OpenAI.APIError && error.status === 400 && /max_tokens/.test(error.message))) throw error;
          await client.chat.completions.create({ model: llm.model, messages, max_completion_tokens: 1 });
        }
      } catch (error) {
        return explain(error, llm, keyName(config, llm), options.timeoutMs);
      }
      return pass(`${llm.label} at ${at} answered a one-token completion`);
    },
  };
}

function explain(error: unknown, llm: LlmChoice, key: string, timeoutMs: number): CheckResult {
  const base = safeUrl(llm.apiBase);
  if (error instanceof OpenAI.APIConnectionTimeoutError)
    return fail(`no answer from ${base} within ${timeoutMs / 1000} s`, 'check open_ai_api_base, and proxy if the calls go through one');
  if (error instanceof OpenAI.APIConnectionError) {
    const cause = (error.cause as { code?: string; message?: string } | undefined) ?? {};
    return fail(
      `cannot reach ${base}: ${cause.code ?? cause.message ?? error.message}`,
      'check open_ai_api_base (host, port, https), the network, or set proxy',
    );
  }
  if (!(error instanceof OpenAI.APIError))
    return fail(`the call failed: ${(error as Error).message}`, 'check open_ai_api_base: it should be an OpenAI-compatible API');
  // The SDK's message starts with the status already.
  const said = `answered ${error.status}: ${error.message.replace(/^\d{3}\s*/, '')}`;
  if (error.status === 401 || error.status === 403)
    return fail(
      `${base} ${said}`,
      `${key} is wrong or has no access to model ${llm.model}: copy the key again from the provider's console`,
    );
  if (error.status === 404) {
    const where = notFoundAt(llm.apiBase, '/chat/completions');
    if (where.versionMissing) return fail(where.text, `add the version to open_ai_api_base (${base}/v1)`);
    if (isUnknownModel(error))
      return fail(`${where.text}: the server does not know model "${llm.model}"`, 'set model to one this server serves');
    return fail(where.text, 'check open_ai_api_base (the path up to /v1) and model');
  }
  if (error.status === 429) return fail(`${base} ${said}`, "the key's quota or rate limit is used up: check the provider's billing page");
  return fail(`${base} ${said}`, 'check model and open_ai_api_base; the server explains above');
}

/** The key the user wrote for this server: a CoW provider's, or open_ai_api_key. */
function keyName(config: Record<string, unknown>, llm: LlmChoice): string {
  return COMPATIBLE[llm.provider]?.keys.find((name) => Boolean(config[name])) ?? 'open_ai_api_key';
}
