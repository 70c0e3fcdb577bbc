import { bodyExcerpt } from '../../body-excerpt.js';
import { isDroppedConnection } from '../../dropped-connection.js';
import type { Logger } from '../../logger.js';
import { UserFacingError } from '../../user-facing-error.js';
import { NotADifyStream } from './sse-events.js';

/** An error Dify wrote (`{code, message, status}`, as an HTTP answer or a stream's `error` event). */
export class DifyApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  /** The conversation id is unknown to Dify (deleted, another app or user): start a new one. */
  get conversationGone(): boolean {
    return (
      (this.status === 404 && this.code === 'not_found' && /conversation/i.test(this.message)) || this.code === 'conversation_completed'
    );
  }

  /** From an HTTP answer that is not 2xx; a body that is not Dify's JSON (a proxy's page) keeps its excerpt. */
  static fromBody(status: number, text: string): DifyApiError {
    try {
      const body = JSON.parse(text) as { code?: unknown; message?: unknown };
      if (typeof body.code === 'string') return new DifyApiError(status, body.code, String(body.message ?? ''));
    } catch {
      // Not JSON: a gateway's page.
    }
    return new DifyApiError(status, '', bodyExcerpt(text));
  }
}

/** The stream closed before Dify said it was done (message_end, workflow_finished). */
export class DifyStreamCut extends Error {}

// Dify's codes for a model or app an admin must fix (dify-api.md §6).
const MODEL_SETUP = new Set(['provider_not_initialize', 'provider_quota_exceeded', 'model_currently_not_support', 'quota_exceeded']);
const APP_SETUP = new Set(['app_unavailable', 'not_chat_app', 'not_workflow_app']);

/** Dify's failures as one sentence for the user (`transient` when a later try may succeed) and one log line with Dify's code. */
export function toUserFacingError(error: unknown, logger: Logger): UserFacingError {
  if (error instanceof UserFacingError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  const fail = (message: string, kind: string, transient: boolean) => new UserFacingError(message, { cause: error, transient, kind });
  if (error instanceof DifyApiError) {
    const { status, code } = error;
    logger.warn({ status, code: code || undefined, err: detail }, 'Dify call failed');
    if (status === 429) return fail('提问太快啦，AI 服务正忙，请稍后再问我。', 'rate_limited', true);
    if (status >= 500 || code === 'completion_request_error' || code === 'internal_server_error')
      return fail('AI 服务暂时不可用，请稍后再试。', 'server_error', true);
    if (MODEL_SETUP.has(code)) return fail('AI 应用的模型尚未配置好或额度已用完，请联系管理员查看日志。', 'model_setup', false);
    if (APP_SETUP.has(code)) return fail('AI 应用暂不可用（配置有误），请联系管理员查看日志。', 'app_setup', false);
    if (status === 401 || status === 403) return fail('AI 服务的密钥无效或应用已停用，请联系管理员检查 dify_api_key。', 'auth', false);
    if (status === 404) return fail('AI 服务的地址配置有误（HTTP 404），请联系管理员检查 dify_api_base。', 'not_found', false);
    return fail('AI 服务拒绝了这次请求，请联系管理员查看日志。', 'bad_request', false);
  }
  if (error instanceof NotADifyStream) {
    logger.warn({ err: detail }, 'the Dify server answered something that is not the Dify API (a gateway error page?)');
    return fail('AI 服务返回了无法识别的内容，请稍后再试。', 'not_dify', true);
  }
  const code = (error as { code?: unknown })?.code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    logger.warn({ err: detail }, 'Dify call timed out (request_timeout)');
    return fail('AI 服务响应超时，请稍后再问我一次。', 'timeout', true);
  }
  if (error instanceof DifyStreamCut || isDroppedConnection(error)) {
    logger.warn({ err: detail }, 'connection to Dify dropped in the middle of the answer');
    return fail('暂时连接不上 AI 服务，请稍后再试。', 'dropped', true);
  }
  if (typeof code === 'string' && /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|UND_ERR_CONNECT_TIMEOUT)$/.test(code)) {
    logger.warn({ err: detail, code }, 'cannot reach Dify (check dify_api_base and proxy)');
    return fail('暂时连接不上 AI 服务，请稍后再试。', 'unreachable', true);
  }
  logger.error({ err: detail }, 'unexpected Dify failure');
  return new UserFacingError('抱歉，处理你的消息时出错了，请稍后再试。', { cause: error });
}
