import type { Socket } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from '../../../src/logger.js';

/** WeCom callbacks are small; anything over 1 MiB is refused with 413 before it is read whole. */
export const MAX_CALLBACK_BYTES = 1024 * 1024;

/**
 * How long a client may take to send a request: its headers, and the whole of it (seconds).
 * WeCom gives up on a callback after 5 seconds, so a request still arriving long after is not
 * WeCom's; Node's own bounds (60 s, 300 s) let slow clients hold connections for minutes.
 */
export interface CallbackTimeouts {
  headersSeconds: number;
  requestSeconds: number;
}

/**
 * The channel's HTTP server: XML and unknown content types arrive as strings (each route parses
 * its own envelope), JSON as objects. Every rejection gets a status code and one log line.
 */
export function createCallbackServer(logger: Logger, isClosing: () => boolean, timeouts: CallbackTimeouts): FastifyInstance {
  const requestTimeout = timeouts.requestSeconds * 1000;
  const server = Fastify({
    bodyLimit: MAX_CALLBACK_BYTES,
    logger: false,
    return503OnClosing: true,
    forceCloseConnections: true,
    requestTimeout,
    // Node looks for expired requests every 30 s by default: far past the bounds above.
    http: { headersTimeout: timeouts.headersSeconds * 1000, requestTimeout, connectionsCheckingInterval: 1000 },
    clientErrorHandler: (error, socket) => refuseClient(error, socket, logger, timeouts),
  });
  // While shutting down, callbacks are refused so WeCom keeps them and retries (it stops once we ack).
  // A callback-style hook: no promise per request on the hot path.
  server.addHook('onRequest', (request, reply, done) => {
    if (!isClosing() || request.url.startsWith('/healthz')) return done();
    logger.warn({ method: request.method, path: request.url.split('?')[0] }, 'shutting down: callback refused with 503 (WeCom retries it)');
    void reply.status(503).header('retry-after', '5').type('text/plain').send('shutting down');
  });
  server.addContentTypeParser(['text/xml', 'application/xml', 'text/plain', '*'], { parseAs: 'string' }, (_request, body, done) => done(null, body));
  server.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    const reason = status === 413 ? `body over ${MAX_CALLBACK_BYTES} bytes` : error.message;
    if (status >= 500) logger.error({ path: request.url.split('?')[0], err: error }, 'callback failed');
    else logger.warn({ path: request.url.split('?')[0], status, reason }, 'callback rejected');
    void reply.status(status).type('text/plain').send(status === 413 ? 'payload too large' : 'bad request');
  });
  server.setNotFoundHandler((request, reply) => {
    logger.warn({ method: request.method, path: request.url.split('?')[0] }, 'request to an unknown path (check the callback URL in the WeCom console)');
    void reply.status(404).type('text/plain').send('not found');
  });
  return server;
}

/** A connection Node gave up on (too slow, not HTTP): one log line, then the status Node would send. */
function refuseClient(error: Error & { code?: string }, socket: Socket, logger: Logger, timeouts: CallbackTimeouts): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const status = timedOut ? '408 Request Timeout' : error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
  if (timedOut) logger.warn({ client: socket.remoteAddress, headers_timeout_s: timeouts.headersSeconds, request_timeout_s: timeouts.requestSeconds }, 'connection closed: the request did not arrive in time (a slow or stalled client)');
  else logger.warn({ client: socket.remoteAddress, reason: error.code ?? error.message }, 'connection closed: not a valid HTTP request');
  if (socket.writable) socket.write(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  socket.destroy();
}

/** A callback refused on purpose: its status and the reason for the log. */
export class CallbackRejection extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 409,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/**
 * A signed callback is only fresh for max_clock_skew seconds: an old one replayed by someone who
 * captured it is refused (0 turns the check off). Checked after the signature, so the time is WeCom's.
 */
export function requireFresh(timestamp: string, maxSkewSeconds: number, nowMs = Date.now()): void {
  if (maxSkewSeconds <= 0) return;
  const skew = Math.abs(nowMs / 1000 - Number(timestamp));
  if (!Number.isFinite(skew) || skew > maxSkewSeconds) {
    throw new CallbackRejection(401, `stale or replayed callback: timestamp ${timestamp} is ${Number.isFinite(skew) ? Math.round(skew) : '?'} s from now (max_clock_skew ${maxSkewSeconds})`);
  }
}

/** Query parameters WeCom always sends; a missing one is a 400, not a crash (CoW answered 500). */
export function requireQuery<Name extends string>(query: unknown, names: readonly Name[]): Record<Name, string> {
  const values = (query ?? {}) as Record<string, unknown>;
  const given = (name: string) => typeof values[name] === 'string' && values[name] !== '';
  if (!names.every(given)) throw new CallbackRejection(400, `missing query parameter(s) ${names.filter((name) => !given(name)).join(', ')}`);
  return values as Record<Name, string>;
}
