import type { AxiosResponse } from 'axios';
import { bodyExcerpt } from '../../../src/body-excerpt.js';
import { WeComApiError } from './api-error.js';

/** What every WeCom answer is: JSON with a numeric errcode (0 on success). */
export interface WeComAnswer {
  errcode: number;
  errmsg?: string;
}

/**
 * The answer as WeCom's JSON, or a transient WeComApiError (-1): an HTTP 200 carrying a proxy's
 * HTML error page, broken JSON or JSON without a numeric errcode is not a delivery, it is a failure
 * worth retrying. The error quotes the body's first bytes.
 */
export function wecomJson<T extends object>(api: string, response: Pick<AxiosResponse, 'data' | 'headers' | 'status'>): WeComAnswer & T {
  if (isWeComAnswer(response.data)) return response.data as WeComAnswer & T;
  throw notWeComJson(api, response);
}

export function isWeComAnswer(data: unknown): data is WeComAnswer {
  return typeof data === 'object' && data !== null && !Array.isArray(data) && typeof (data as { errcode?: unknown }).errcode === 'number';
}

/** The transient error for a body that is not WeCom's answer, quoting its first bytes. */
export function notWeComJson(api: string, response: Pick<AxiosResponse, 'data' | 'headers' | 'status'>): WeComApiError {
  const type = String(response.headers?.['content-type'] ?? 'no content type');
  return new WeComApiError(api, -1, `HTTP ${response.status} answer is not WeCom's JSON (${type}): ${bodyExcerpt(response.data)}`);
}

/** Text with the given secrets replaced: an upstream may echo a token back in its errmsg or error page. */
export function withoutSecrets(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const secret of secrets) if (secret && secret.length >= 4) out = out.split(secret).join('***');
  return out;
}
