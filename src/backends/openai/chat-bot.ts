import OpenAI from 'openai';
import { bodyExcerpt } from '../../body-excerpt.js';
import { isDroppedConnection } from '../../dropped-connection.js';
import type { Logger } from '../../logger.js';
import { UserFacingError } from '../../user-facing-error.js';
import type { ChatBot, ChatMessage, CompleteOptions, Completion } from '../chat-bot.js';
import { isNotFound, isUnknownModel, notFoundAt } from './endpoint-not-found.js';

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
