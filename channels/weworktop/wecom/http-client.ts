import type { Readable } from 'node:stream';
import axios, {
  type AxiosAdapter,
  AxiosError,
  AxiosHeaders,
  type AxiosInstance,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';
import { type Dispatcher, request } from 'undici';
import { bodyExcerpt } from '../../../src/body-excerpt.js';
import { encodedBody } from '../../../src/encoded-body.js';
import { createDispatcher } from '../../../src/http-dispatcher.js';
import { WeComApiError } from './api-error.js';

const dispatchers = new WeakMap<AxiosInstance, Dispatcher>();

/**
 * The one HTTP client shape for every call to WeCom (API calls, AI bot response_url, media):
 * answers of any status come back as values, and a configured proxy carries everything.
 */
export function createWeComHttp(options: { baseURL?: string; timeoutMs: number; proxy: string }): AxiosInstance {
  const dispatcher = createDispatcher(options.proxy);
  const http = axios.create({
    ...(options.baseURL ? { baseURL: options.baseURL } : {}),
    timeout: options.timeoutMs,
    adapter: undiciAdapter(dispatcher),
    validateStatus: () => true,
  });
  dispatchers.set(http, dispatcher);
  return http;
}

/** Closes the kept-alive connections of a client made by createWeComHttp (on stop). */
export function closeWeComHttp(http: AxiosInstance): void {
  void dispatchers.get(http)?.destroy();
}

/**
 * axios's transport on undici's `request` instead of Node's http client: less CPU and GC time per
 * call (docs/performance.md, undici adapters). axios keeps its part (config, params, JSON both
 * ways, validateStatus); this adapter sends what WeCom's calls send (JSON, form data for
 * media/upload) and reads what they answer (JSON, or bytes with `responseType: 'arraybuffer'` up
 * to `maxContentLength`). `timeout` bounds the wait for the headers and each pause in the body.
 */
export function undiciAdapter(dispatcher: Dispatcher): AxiosAdapter {
  return async (config) => {
    if (config.responseType && !['json', 'text', 'arraybuffer'].includes(config.responseType)) {
      throw new AxiosError(`undiciAdapter: responseType ${config.responseType} is not supported`, AxiosError.ERR_BAD_OPTION, config);
    }
    // axios builds these headers for this request; a form's content type joins them.
    const { headers } = config;
    let answer: Dispatcher.ResponseData;
    try {
      answer = await request(axios.getUri(config), {
        method: (config.method ?? 'get').toUpperCase() as Dispatcher.HttpMethod,
        body: await bodyOf(config.data, headers),
        headers: headers.toJSON() as Record<string, string>,
        headersTimeout: config.timeout ?? 0,
        bodyTimeout: config.timeout ?? 0,
        ...(config.signal ? { signal: config.signal as AbortSignal } : {}),
        dispatcher,
      });
    } catch (error) {
      throw asAxiosError(error, config);
    }
    const data = await readBody(answer.body, config).catch((error: unknown) => Promise.reject(asAxiosError(error, config)));
    const response: AxiosResponse = {
      data: config.responseType === 'arraybuffer' ? data : data.toString('utf8'),
      status: answer.statusCode,
      statusText: answer.statusText,
      headers: AxiosHeaders.from(answer.headers as Record<string, string | string[]>),
      config,
      request: undefined,
    };
    if (config.validateStatus && !config.validateStatus(response.status)) {
      const code = response.status >= 500 ? AxiosError.ERR_BAD_RESPONSE : AxiosError.ERR_BAD_REQUEST;
      throw new AxiosError(`Request failed with status code ${response.status}`, code, config, undefined, response);
    }
    return response;
  };
}

/** A string or bytes as they are; form data as bytes, with its content type (and boundary). */
async function bodyOf(data: unknown, headers: AxiosHeaders): Promise<string | Buffer | null> {
  if (data == null) return null;
  if (typeof data === 'string' || Buffer.isBuffer(data)) return data;
  if (data instanceof FormData) {
    const { bytes, contentType } = await encodedBody(data);
    headers.setContentType(contentType);
    return bytes;
  }
  throw new TypeError(`undiciAdapter: cannot send a body of type ${Object.prototype.toString.call(data)}`);
}

/** The whole body, refusing one over `maxContentLength` (as axios words it) before reading it all. */
async function readBody(body: Readable, config: InternalAxiosRequestConfig): Promise<Buffer> {
  const max = config.maxContentLength ?? -1;
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (max > -1 && total > max) {
      body.destroy();
      throw new AxiosError(`maxContentLength size of ${max} exceeded`, AxiosError.ERR_BAD_RESPONSE, config);
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

/** undici's failures in axios's shape, so callers see the axios errors they would from Node's http client. */
function asAxiosError(error: unknown, config: InternalAxiosRequestConfig): AxiosError {
  if (error instanceof AxiosError) return error;
  const code = (error as { code?: string }).code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new AxiosError(`timeout of ${config.timeout}ms exceeded`, AxiosError.ETIMEDOUT, config);
  }
  return AxiosError.from(error, code, config);
}

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
