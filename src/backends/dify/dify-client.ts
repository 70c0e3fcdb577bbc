import { type Dispatcher, request } from 'undici';
import { isDroppedConnection } from '../../dropped-connection.js';
import { encodedBody } from '../../encoded-body.js';
import { createDispatcher } from '../../http-dispatcher.js';
import type { Logger } from '../../logger.js';
import { downloadBytes } from '../../media/download-bytes.js';
import type { DifyBackendConfig } from './dify-config.js';
import { DifyApiError } from './dify-errors.js';

/**
 * One Dify app's Service API: JSON and multipart POSTs with its key. A connection dropped before
 * any answer is sent again at once (max_retries); every other failure is thrown, and the answer
 * runner retries the message (docs/reliability.md).
 */
export class DifyClient {
  private readonly dispatcher: Dispatcher;
  private readonly base: string;

  constructor(
    private readonly config: DifyBackendConfig,
    private readonly logger: Logger,
  ) {
    this.dispatcher = createDispatcher(config.proxy);
    this.base = config.dify_api_base.replace(/\/+$/, '');
  }

  /** The 2xx answer's body (read it), or a DifyApiError. */
  async postJson(path: string, body: unknown): Promise<Dispatcher.ResponseData> {
    return this.post(path, JSON.stringify(body), 'application/json');
  }

  /** DELETE with a JSON body (a conversation, for its user); a DifyApiError unless 2xx. */
  async deleteJson(path: string, body: unknown): Promise<void> {
    const answer = await this.send('DELETE', path, JSON.stringify(body), 'application/json');
    await answer.body.dump();
  }

  /** A GET's JSON (the app's /parameters), or a DifyApiError. */
  async getJson(path: string): Promise<unknown> {
    const answer = await this.send('GET', path);
    return answer.body.json();
  }

  /**
   * A file Dify made (a tool's image): its URL is signed, often relative to the API's host (dify-api.md
   * §1), and expires in minutes. No API key goes with it: an absolute URL may name another host.
   */
  download(url: string, maxBytes: number): Promise<Buffer> {
    const absolute = /^https?:\/\//.test(url) ? url : `${this.base.replace(/\/v1$/, '')}${url.startsWith('/') ? '' : '/'}${url}`;
    return downloadBytes(absolute, { timeoutMs: this.config.request_timeout * 1000, maxBytes, proxy: this.config.proxy });
  }

  /** Uploads one file for `user` (only that end user may then use it); resolves its upload_file_id. */
  async upload(file: Blob, fileName: string, user: string): Promise<string> {
    const form = new FormData();
    form.append('file', file, fileName);
    form.append('user', user);
    const { bytes, contentType } = await encodedBody(form);
    const answer = await this.post('/files/upload', bytes, contentType ?? 'multipart/form-data');
    const uploaded = (await answer.body.json()) as { id?: unknown };
    if (typeof uploaded.id !== 'string') throw new DifyApiError(answer.statusCode, '', 'file upload answered without an id');
    return uploaded.id;
  }

  private post(path: string, body: string | Buffer, contentType: string): Promise<Dispatcher.ResponseData> {
    return this.send('POST', path, body, contentType);
  }

  private async send(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: string | Buffer,
    contentType?: string,
  ): Promise<Dispatcher.ResponseData> {
    const timeoutMs = this.config.request_timeout * 1000;
    for (let retry = 0; ; retry++) {
      try {
        const answer = await request(`${this.base}${path}`, {
          method,
          headers: { authorization: `Bearer ${this.config.dify_api_key}`, ...(contentType ? { 'content-type': contentType } : {}) },
          body: body ?? null,
          dispatcher: this.dispatcher,
          // Both bound a silence: before the headers, and between two events (Dify pings every 10 s).
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        if (answer.statusCode >= 200 && answer.statusCode < 300) return answer;
        throw DifyApiError.fromBody(answer.statusCode, await answer.body.text().catch(() => ''));
      } catch (error) {
        if (!isDroppedConnection(error) || retry >= this.config.max_retries) throw error;
        this.logger.warn({ err: (error as Error).message, retry: retry + 1 }, 'connection to Dify dropped; sending again');
      }
    }
  }
}
