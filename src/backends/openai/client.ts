import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import { type Dispatcher, request } from 'undici';
import { bodyExcerpt } from '../../body-excerpt.js';
import type { CoreConfig } from '../../config/schema.js';
import { isDroppedConnection } from '../../dropped-connection.js';
import { encodedBody } from '../../encoded-body.js';
import { createDispatcher } from '../../http-dispatcher.js';
import type { Logger } from '../../logger.js';
import { UserFacingError } from '../../user-facing-error.js';
import type { ChatBot, ChatMessage, CompleteOptions, Completion } from '../chat-bot.js';
import { isNotFound, isUnknownModel, notFoundAt } from './endpoint-not-found.js';

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
    // Every failure reaches our log once, as one line (OpenAIChatBot); the SDK's own console lines would add more.
    logLevel: 'off',
  });
}

type Fetch = typeof globalThis.fetch;

/** Long enough for a fresh connection, short enough that the user does not notice. */
export const QUICK_RETRY_DELAY_MS = 200;

/**
 * The one in-call retry of LLM calls: a request whose connection dropped before the answer began
 * is sent again, at most `retries` times. Outages (5xx, 429, timeouts, refused connections) are
 * not retried here: they reach the answer runner, whose backoff owns them (docs/reliability.md).
 */
export function withQuickRetry(
  fetch: Fetch,
  options: { retries: number; delayMs?: number; onRetry: (error: unknown, retry: number) => void },
): Fetch {
  if (options.retries <= 0) return fetch;
  return (async (input: Parameters<Fetch>[0], init?: Parameters<Fetch>[1]) => {
    for (let retry = 0; ; retry++) {
      try {
        return await fetch(input, init);
      } catch (error) {
        if (retry >= options.retries || !isDroppedConnection(error) || init?.signal?.aborted) throw error;
        options.onRetry(error, retry + 1);
        await sleep(options.delayMs ?? QUICK_RETRY_DELAY_MS);
      }
    }
  }) as Fetch;
}

/**
 * The OpenAI SDK's fetch, on undici's `request`. A WHATWG fetch wraps each call in web streams,
 * an abort-signal chain and a Response: 270 µs of CPU per chat completion against 80 through
 * `request`, and an eighth of the GC time (20,000 calls to a local server). The SDK calls it with
 * a URL string and a JSON string or form data, and reads the status, the headers and the body
 * (json, text, arrayBuffer, or while streaming an async iterable of bytes): what `UndiciResponse`
 * offers.
 */
export function createUndiciFetch(dispatcher: Dispatcher): Fetch {
  return (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (!(typeof input === 'string' || input instanceof URL)) throw new TypeError('createUndiciFetch: call it with a URL, not a Request');
    const url = String(input);
    const { body, headers } =
      typeof init?.body === 'string' || init?.body == null
        ? { body: init?.body ?? null, headers: init?.headers }
        : await encoded(init.body, init.headers);
    const answer = await request(url, {
      method: (init?.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: headers as Dispatcher.RequestOptions['headers'],
      body,
      signal: init?.signal ?? null,
      dispatcher,
    });
    // The SDK takes it as a Response; it uses only what UndiciResponse has.
    return new UndiciResponse(url, answer) as unknown as Response;
  }) as Fetch;
}

/** A body that is not a string as bytes, with its content type unless the SDK set one. */
async function encoded(
  body: NonNullable<RequestInit['body']>,
  headersInit: RequestInit['headers'],
): Promise<{ body: Buffer; headers: Headers }> {
  const { bytes, contentType } = await encodedBody(body);
  const headers = new Headers(headersInit);
  if (contentType && !headers.has('content-type')) headers.set('content-type', contentType);
  return { body: bytes, headers };
}

/** The part of a fetch Response the OpenAI SDK reads, over undici's answer to `request`. */
class UndiciResponse {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly headers = new Headers();
  readonly body: Dispatcher.ResponseData['body'];

  constructor(
    readonly url: string,
    answer: Dispatcher.ResponseData,
  ) {
    this.status = answer.statusCode;
    this.statusText = answer.statusText;
    this.ok = answer.statusCode >= 200 && answer.statusCode < 300;
    this.body = answer.body;
    for (const [name, value] of Object.entries(answer.headers)) {
      if (Array.isArray(value)) for (const each of value) this.headers.append(name, each);
      else if (value !== undefined) this.headers.set(name, value);
    }
  }

  get bodyUsed(): boolean {
    return this.body.bodyUsed;
  }

  json(): Promise<unknown> {
    return this.body.json();
  }

  text(): Promise<string> {
    return this.body.text();
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.body.arrayBuffer();
  }

  blob(): Promise<Blob> {
    return this.body.blob() as Promise<Blob>;
  }
}

export interface OpenAIChatBotOptions {
  client: OpenAI;
  model: string;
  temperature: number;
  logger: Logger;
}

/** Chat completions through the openai SDK against any OpenAI-compatible base URL. */
export class OpenAIChatBot implements ChatBot {
  constructor(private readonly options: OpenAIChatBotOptions) {}

  async complete(messages: ChatMessage[], options: CompleteOptions = {}): Promise<Completion> {
    const { client, model, temperature } = this.options;
    const request = { model, temperature, messages: messages as OpenAI.Chat.ChatCompletionMessageParam[] };
    try {
      if (options.onPartial) {
        const { data: stream, response } = await client.chat.completions.create({ ...request, stream: true }).withResponse();
        // Without server-sent events the SDK would read nothing and call it an empty answer.
        const type = response.headers.get('content-type') ?? '';
        if (!type.includes('event-stream')) throw new NotAnOpenAIAnswer(type, await response.text().catch(() => ''));
        let text = '';
        for await (const chunk of stream) {
          if (!Array.isArray(chunk?.choices)) throw new NotAnOpenAIAnswer(type, chunk);
          const delta = chunk.choices[0]?.delta?.content;
          if (delta) {
            text += delta;
            options.onPartial(text);
          }
        }
        return { text };
      }
      const { data: completion, response } = await client.chat.completions.create(request).withResponse();
      // The SDK hands back the text of a body that is not JSON (a gateway's HTML page) as the completion.
      if (!Array.isArray((completion as Partial<OpenAI.Chat.ChatCompletion> | null)?.choices))
        throw new NotAnOpenAIAnswer(response.headers.get('content-type') ?? '', completion);
      return { text: completion.choices[0]?.message?.content ?? '', totalTokens: completion.usage?.total_tokens };
    } catch (error) {
      throw toUserFacingError(error, this.options.logger, { baseURL: client.baseURL, model });
    }
  }
}

/** An HTTP 200 whose body is not the OpenAI API's JSON: a gateway or proxy answered in the LLM's place. */
class NotAnOpenAIAnswer extends Error {
  constructor(contentType: string, body: unknown) {
    super(`HTTP 200 answer is not the OpenAI API's JSON (${contentType || 'no content type'}): ${bodyExcerpt(body)}`);
  }
}

/** Maps SDK failures to one honest sentence (`transient` when a later try may succeed); details go to the log. */
export function toUserFacingError(error: unknown, logger: Logger, call?: { baseURL: string; model: string }): UserFacingError {
  if (error instanceof UserFacingError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  // Broken JSON (the SDK's parse fails) or no JSON at all: a garbled answer may be right the next time.
  if (error instanceof NotAnOpenAIAnswer || error instanceof SyntaxError) {
    logger.warn({ err: detail }, 'the LLM server answered something that is not the OpenAI API (a gateway error page?)');
    return new UserFacingError('AI 服务返回了无法识别的内容，请稍后再试。', { cause: error, transient: true, kind: 'not_openai' });
  }
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    logger.warn({ err: detail }, 'LLM call timed out');
    return new UserFacingError('AI 服务响应超时，请稍后再问我一次。', { cause: error, transient: true, kind: 'timeout' });
  }
  if (error instanceof OpenAI.APIConnectionError) {
    logger.warn({ err: detail }, 'cannot reach the LLM server (check open_ai_api_base and proxy)');
    return new UserFacingError('暂时连接不上 AI 服务，请稍后再试。', { cause: error, transient: true, kind: 'unreachable' });
  }
  if (isNotFound(error) && call) {
    const at = notFoundAt(call.baseURL, '/chat/completions');
    const model = !at.versionMissing && isUnknownModel(error) ? `: the server does not know model "${call.model}" (check model)` : '';
    logger.warn({ status: 404, err: detail }, `LLM call failed: ${at.text}${model}`);
    return new UserFacingError('AI 服务的地址或模型配置有误（HTTP 404），请联系管理员查看日志。', { cause: error, kind: 'not_found' });
  }
  if (error instanceof OpenAI.APIError) {
    logger.warn({ status: error.status, err: detail }, 'LLM call failed');
    if (error.status === 401 || error.status === 403)
      return new UserFacingError('AI 服务的密钥无效或无权限，请联系管理员检查 open_ai_api_key。', { cause: error, kind: 'auth' });
    if (error.status === 429)
      return new UserFacingError('提问太快啦，AI 服务正忙，请稍后再问我。', { cause: error, transient: true, kind: 'rate_limited' });
    if (error.status === 404)
      return new UserFacingError('AI 服务的地址或模型配置有误（HTTP 404），请联系管理员查看日志。', { cause: error, kind: 'not_found' });
    if (error.status === 400)
      return new UserFacingError('AI 服务拒绝了这次请求（可能内容过长或不被允许）。', { cause: error, kind: 'bad_request' });
    return new UserFacingError('AI 服务暂时不可用，请稍后再试。', { cause: error, transient: true, kind: 'server_error' });
  }
  // Past the quick retry (client.ts): the answer had begun, so the message is tried again later, whole.
  if (isDroppedConnection(error)) {
    logger.warn({ err: detail }, 'connection to the LLM server dropped in the middle of the answer');
    return new UserFacingError('暂时连接不上 AI 服务，请稍后再试。', { cause: error, transient: true, kind: 'dropped' });
  }
  logger.error({ err: detail }, 'unexpected LLM failure');
  return new UserFacingError('抱歉，处理你的消息时出错了，请稍后再试。', { cause: error });
}
