import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface FakeResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Streamed body chunks (server-sent events), written with `chunkDelayMs` between them. */
  chunks?: string[];
  chunkDelayMs?: number;
  /** No answer: the connection is closed under the request, as a reset or a stale keep-alive socket does. */
  drop?: boolean;
  /** The body (or the chunks) is written, then the connection is closed before the answer ends. */
  cut?: boolean;
  /** Called as each chunk is written (the benchmark times an LLM's first token with it). */
  onChunk?: (index: number) => void;
}

export interface FakeServerOptions {
  /**
   * Idle keep-alive of client connections (default 1 s). undici closes a connection after each
   * response when the server's hint is under its 2 s safety margin, so benchmarks raise it to
   * keep connections open as real API servers do.
   */
  keepAliveMs?: number;
  /** Keep every request for tests to inspect (default); benchmarks turn it off, so the fakes' memory and GC stay flat. */
  record?: boolean;
}

export interface FakeServer {
  url: string;
  close(): Promise<void>;
}

/** A plain node:http server on 127.0.0.1:0 that hands whole requests to one handler; the base of every fake. */
export async function startFakeServer(
  handle: (request: FakeRequest) => Promise<FakeResponse> | FakeResponse,
  options: FakeServerOptions = {},
): Promise<FakeServer> {
  const server = http.createServer(async (req, res) => {
    try {
      const parts: Buffer[] = [];
      for await (const part of req) parts.push(part as Buffer);
      const url = new URL(req.url ?? '/', 'http://fake');
      const answer = await handle({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(parts),
      });
      if (answer.drop) return void req.socket.destroy();
      res.writeHead(answer.status ?? 200, answer.headers ?? {});
      if (answer.chunks) {
        for (const [index, chunk] of answer.chunks.entries()) {
          if (res.destroyed) break;
          res.write(chunk);
          answer.onChunk?.(index);
          if (answer.chunkDelayMs) await new Promise((resolve) => setTimeout(resolve, answer.chunkDelayMs));
        }
        if (!answer.cut) res.end();
        // Written out first: a socket destroyed with data still queued would lose the headers too.
        else res.write('', () => res.destroy());
      } else if (answer.cut) {
        res.write(answer.body ?? '', () => res.destroy());
      } else {
        res.end(answer.body ?? '');
      }
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`fake server error: ${(error as Error).stack}`);
    }
  });
  server.keepAliveTimeout = options.keepAliveMs ?? 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export const json = (value: unknown, status = 200): FakeResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(value),
});

/** Parses a multipart/form-data body with the platform's own parser. */
export async function readForm(request: FakeRequest): Promise<FormData> {
  return new Response(request.body, { headers: { 'content-type': String(request.headers['content-type'] ?? '') } }).formData();
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
