import { setTimeout as sleep } from 'node:timers/promises';
import axios, { type AxiosInstance, type AxiosRequestConfig, type AxiosResponse } from 'axios';
import { bodyExcerpt } from '../../../src/body-excerpt.js';
import { isDroppedConnection } from '../../../src/dropped-connection.js';
import { learnSecret } from '../../../src/learned-secrets.js';
import type { Logger } from '../../../src/logger.js';
import { type Metrics, NO_METRICS } from '../../../src/metrics/metrics.js';
import {
  gettokenHint,
  ipFromErrmsg,
  MEDIA_TOO_LARGE,
  TOKEN_ERRCODES,
  UNTRUSTED_IP_ERRCODE,
  untrustedIpHint,
  WeComApiError,
} from './api-error.js';
import { closeWeComHttp, createWeComHttp, notWeComJson, type WeComAnswer, wecomJson, withoutSecrets } from './http-client.js';

export interface WeComApiOptions {
  apiBase: string;
  corpId: string;
  agentId: string;
  secret: string;
  /** HTTP proxy for every call (a fixed egress IP for the trusted-IP list). */
  proxy: string;
  timeoutMs: number;
  logger: Logger;
  /** A call whose connection dropped is sent again this many times, after retryBaseDelayMs, 2x...; outages are not retried here. */
  retries?: number;
  retryBaseDelayMs?: number;
  /** Every call counted by API and errcode. */
  metrics?: Metrics;
}

export interface SendResult extends WeComAnswer {
  msgid?: string;
  invaliduser?: string;
}

/** agent/get: the app's name and its visible range (可见范围), the people who can message it. */
export interface AgentInfo extends WeComAnswer {
  agentid?: number;
  name?: string;
  allow_userinfos?: { user?: Array<{ userid: string }> };
  allow_partys?: { partyid?: number[] };
  allow_tags?: { tagid?: number[] };
}

export interface DownloadedMedia {
  data: Buffer;
  contentType: string;
  fileName?: string;
}

type Decoded<T> = { answer: WeComAnswer; value: T };
type Decode<T> = (api: string, response: AxiosResponse) => Decoded<T>;

/**
 * One app's WeCom API. Every call runs through `call`, where the cross-cutting concerns live once:
 * the access_token (fetched, cached, replaced and retried once when WeCom rejects it), a quick
 * retry when the connection dropped, the 60020 trusted-IP diagnosis, and errcode → WeComApiError.
 * Outages (-1, 45009, 45033, 5xx, timeouts) are thrown at once as transient errors: the answer
 * runner retries the message with backoff (docs/reliability.md).
 */
export class WeComApiClient {
  readonly tokens: AccessTokenCache;
  private readonly http: AxiosInstance;
  private readonly log: Logger;
  private readonly retries: number;
  private readonly retryBaseDelayMs: number;
  private readonly metrics: Metrics;

  constructor(private readonly options: WeComApiOptions) {
    this.metrics = options.metrics ?? NO_METRICS;
    this.log = options.logger.child({ module: 'wecom-api', agent: options.agentId });
    this.retries = options.retries ?? 1;
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 200;
    this.http = createWeComHttp({ baseURL: options.apiBase, timeoutMs: options.timeoutMs, proxy: options.proxy });
    this.tokens = new AccessTokenCache({
      fetch: () => this.fetchToken(),
      onBackgroundError: (error) => this.log.warn({ err: (error as Error).message }, 'background access_token refresh failed'),
    });
  }

  async sendMessage(body: Record<string, unknown>): Promise<SendResult> {
    const result = await this.call(
      'message/send',
      { method: 'POST', url: '/cgi-bin/message/send', data: { agentid: Number(this.options.agentId), ...body } },
      jsonAnswer<SendResult>,
    );
    if (result.invaliduser)
      this.log.warn({ invaliduser: result.invaliduser }, "message/send: some recipients are invalid or outside the app's visible range");
    return result;
  }

  /**
   * Any JSON API of the app (kf/sync_msg, kf/send_msg...): POST `body` to /cgi-bin/`api`, the
   * answer when errcode is 0. `resend: false` for a call that must not go twice (a send with our
   * own msgid): a dropped connection is then an error of its own (-1), not a quick retry.
   */
  async postJson<T extends object>(
    api: string,
    body: Record<string, unknown>,
    options: { resend?: boolean } = {},
  ): Promise<WeComAnswer & T> {
    return this.call(
      api,
      { method: 'POST', url: `/cgi-bin/${api}`, data: body },
      jsonAnswer<WeComAnswer & T>,
      options.resend === false ? 0 : this.retries,
    );
  }

  async uploadMedia(type: 'image' | 'voice' | 'video' | 'file', data: Buffer, fileName: string, contentType: string): Promise<string> {
    const result = await this.call(
      'media/upload',
      () => {
        // A fresh form each attempt: a sent body cannot be sent again.
        const form = new FormData();
        form.append('media', new Blob([data], { type: contentType }), fileName);
        return { method: 'POST', url: '/cgi-bin/media/upload', params: { type }, data: form };
      },
      jsonAnswer<WeComAnswer & { media_id?: string }>,
    );
    if (!result.media_id) throw new WeComApiError('media/upload', -1, 'no media_id in the answer');
    return result.media_id;
  }

  /** The app of this client's AgentId, asked with this client's token (https://developer.work.weixin.qq.com/document/path/90227). */
  getAgent(): Promise<AgentInfo> {
    return this.call(
      'agent/get',
      { method: 'GET', url: '/cgi-bin/agent/get', params: { agentid: this.options.agentId } },
      jsonAnswer<AgentInfo>,
    );
  }

  /**
   * media/get answers the bytes, or JSON on error (so the content type decides). WeCom names the
   * file it sends; an HTML page without a file name is a proxy's error page, not media.
   */
  async downloadMedia(mediaId: string, maxBytes: number): Promise<DownloadedMedia> {
    return this.call(
      'media/get',
      { method: 'GET', url: '/cgi-bin/media/get', params: { media_id: mediaId }, responseType: 'arraybuffer', maxContentLength: maxBytes },
      (api, response) => {
        const data = Buffer.from(response.data as ArrayBuffer);
        const contentType = String(response.headers['content-type'] ?? 'application/octet-stream');
        const disposition = String(response.headers['content-disposition'] ?? '');
        if (/json|text\/plain/.test(contentType)) return jsonAnswer<DownloadedMedia>(api, { ...response, data: parsedOrText(data) });
        if (/text\/html/.test(contentType) && !disposition) throw notWeComJson(api, { ...response, data });
        const fileName = /filename="?([^";]+)"?/.exec(disposition)?.[1];
        return { answer: { errcode: 0 }, value: { data, contentType, ...(fileName ? { fileName } : {}) } };
      },
    );
  }

  close(): void {
    this.tokens.close();
    closeWeComHttp(this.http);
  }

  private async call<T>(api: string, request: AxiosRequest | (() => AxiosRequest), decode: Decode<T>, retries = this.retries): Promise<T> {
    let tokenRetried = false;
    for (let dropped = 0; ; ) {
      const token = await this.tokens.get();
      const config = typeof request === 'function' ? request() : request;
      let decoded: Decoded<T>;
      try {
        const response = await this.http.request({ ...config, params: { ...config.params, access_token: token } });
        if (response.status >= 500) throw new WeComApiError(api, -1, `HTTP ${response.status}: ${bodyExcerpt(response.data)}`);
        if (response.status >= 400) throw new WeComApiError(api, response.status, `HTTP ${response.status}: ${bodyExcerpt(response.data)}`);
        decoded = decode(api, response);
      } catch (error) {
        if (axios.isAxiosError(error) && /maxContentLength/.test(error.message)) {
          this.counted(api, MEDIA_TOO_LARGE);
          throw new WeComApiError(api, MEDIA_TOO_LARGE, `larger than the ${config.maxContentLength}-byte limit`);
        }
        const failure = this.withoutSecrets(
          error instanceof WeComApiError ? error : new WeComApiError(api, -1, `network: ${(error as Error).message}`),
          token,
        );
        this.counted(api, failure.errcode);
        if (isDroppedConnection(error) && dropped < retries) {
          await this.quickRetryWait(api, dropped++, failure);
          continue;
        }
        throw failure;
      }
      const errcode = this.counted(api, decoded.answer.errcode);
      const errmsg = withoutSecrets(decoded.answer.errmsg ?? '', [token, this.options.secret]);
      if (errcode === 0) return decoded.value;
      if (TOKEN_ERRCODES.has(errcode) && !tokenRetried) {
        tokenRetried = true;
        this.log.info({ api, errcode }, 'access_token rejected; fetching a new one and retrying once');
        this.tokens.invalidate(token);
        continue;
      }
      if (errcode === UNTRUSTED_IP_ERRCODE) this.explainUntrustedIp(api, errmsg);
      throw new WeComApiError(api, errcode, errmsg);
    }
  }

  private async fetchToken(): Promise<{ token: string; expiresInSeconds: number }> {
    for (let dropped = 0; ; dropped++) {
      let answer: WeComAnswer & { access_token?: string; expires_in?: number };
      try {
        const response = await this.http.get('/cgi-bin/gettoken', {
          params: { corpid: this.options.corpId, corpsecret: this.options.secret },
        });
        if (response.status >= 400) throw new WeComApiError('gettoken', -1, `HTTP ${response.status}: ${bodyExcerpt(response.data)}`);
        answer = wecomJson<{ access_token?: string; expires_in?: number }>('gettoken', response);
      } catch (error) {
        const failure = this.withoutSecrets(
          error instanceof WeComApiError ? error : new WeComApiError('gettoken', -1, `network: ${(error as Error).message}`),
        );
        this.counted('gettoken', failure.errcode);
        if (isDroppedConnection(error) && dropped < this.retries) {
          await this.quickRetryWait('gettoken', dropped, failure);
          continue;
        }
        throw failure;
      }
      const errcode = this.counted('gettoken', answer.errcode);
      if (errcode === 0 && answer.access_token) {
        // Not in the config, so the loggers learn it here: an upstream may echo it in an error.
        learnSecret(`wecom-access-token:${this.options.corpId}:${this.options.agentId}`, answer.access_token);
        this.log.debug({ expires_in: answer.expires_in }, 'access_token fetched');
        return { token: answer.access_token, expiresInSeconds: answer.expires_in ?? 7200 };
      }
      const errmsg = withoutSecrets(answer.errmsg ?? 'no access_token in the answer', [this.options.secret]);
      // The meaning travels with the error, into the one line that reports it (start-up check, failed send, /readyz).
      throw new WeComApiError('gettoken', errcode, errmsg, gettokenHint(errcode, errmsg, this.options.agentId));
    }
  }

  /** Counts one call's answer; returns its errcode. */
  private counted(api: string, errcode: number): number {
    this.metrics.count('weworktop_wecom_api_calls_total', { api, errcode: String(errcode) });
    return errcode;
  }

  private explainUntrustedIp(api: string, errmsg: string): void {
    this.log.error({ api, ip: ipFromErrmsg(errmsg) ?? 'unknown' }, `${untrustedIpHint(errmsg)} (errcode 60020)`);
  }

  /** The error with the call's token and the app secret taken out of its text. */
  private withoutSecrets(error: WeComApiError, token?: string): WeComApiError {
    const errmsg = withoutSecrets(error.errmsg, [token, this.options.secret]);
    return errmsg === error.errmsg ? error : new WeComApiError(error.api, error.errcode, errmsg);
  }

  private async quickRetryWait(api: string, dropped: number, failure: WeComApiError): Promise<void> {
    const delayMs = this.retryBaseDelayMs * 2 ** dropped;
    this.log.warn({ api, errmsg: failure.errmsg, retry: dropped + 1, in_ms: delayMs }, 'connection to WeCom dropped; sending again');
    await sleep(delayMs);
  }
}

type AxiosRequest = AxiosRequestConfig & { params?: Record<string, unknown> };

function jsonAnswer<T extends object>(api: string, response: AxiosResponse): Decoded<T> {
  const data = wecomJson<T>(api, response);
  return { answer: data, value: data };
}

/** A JSON body parsed, or its text when it is not JSON (wecomJson then refuses it). */
function parsedOrText(data: Buffer): unknown {
  const text = data.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export interface FetchedToken {
  token: string;
  expiresInSeconds: number;
}

export interface AccessTokenCacheOptions {
  fetch: () => Promise<FetchedToken>;
  now?: () => number;
  onBackgroundError?: (error: unknown) => void;
}

/**
 * One app's access_token: cached, refreshed shortly before it expires (also by a timer, so the
 * first message after hours of quiet does not wait for gettoken), and fetched by at most one call
 * at a time: concurrent callers share the in-flight refresh, so a burst never storms gettoken.
 */
export class AccessTokenCache {
  private current?: { token: string; refreshAt: number; expiresAt: number };
  private inflight?: Promise<string>;
  private timer?: NodeJS.Timeout;
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly options: AccessTokenCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  async get(): Promise<string> {
    const current = this.current;
    if (current && this.now() < current.refreshAt) return current.token;
    // Past refreshAt but before expiry: serve the old token while one refresh runs.
    if (current && this.now() < current.expiresAt) {
      void this.refresh().catch((error) => this.options.onBackgroundError?.(error));
      return current.token;
    }
    return this.refresh();
  }

  /** Drops the token a call was refused with; a token already replaced is left alone. */
  invalidate(token: string): void {
    if (this.current?.token === token) this.current = undefined;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private refresh(): Promise<string> {
    this.inflight ??= this.options
      .fetch()
      .then(({ token, expiresInSeconds }) => {
        const now = this.now();
        const ttlMs = Math.max(1, expiresInSeconds) * 1000;
        // Refresh 5 minutes early (a tenth of the lifetime for short-lived tokens).
        const marginMs = Math.min(300_000, ttlMs / 10);
        this.current = { token, refreshAt: now + ttlMs - marginMs, expiresAt: now + ttlMs };
        this.scheduleRefresh(ttlMs - marginMs);
        return token;
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  private scheduleRefresh(delayMs: number): void {
    clearTimeout(this.timer);
    if (this.closed) return;
    this.timer = setTimeout(() => void this.refresh().catch((error) => this.options.onBackgroundError?.(error)), delayMs);
    this.timer.unref();
  }
}
