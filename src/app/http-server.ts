import { createRequire } from 'node:module';
import type { AddressInfo, Socket } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { ConfigError } from '../config/config-error.js';
import type { Logger } from '../logger.js';
import { type MetricsRouteOptions, serveMetrics } from '../metrics/metrics-route.js';

/** Platform callbacks are small; anything over 1 MiB is refused with 413 before it is read whole. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** fastify's own dependencies, resolved from where fastify is. */
const requireFromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
type CompilerFactory = (...args: unknown[]) => unknown;
/**
 * No route declares a JSON schema: fastify's schema compilers (ajv, fast-json-stringify) load only
 * when one is compiled, not with every server (docs/performance.md, modules the config does not use).
 */
const LAZY_COMPILERS = {
  buildValidator: (...args: unknown[]) => (requireFromFastify('@fastify/ajv-compiler')() as CompilerFactory)(...args),
  buildSerializer: (...args: unknown[]) => (requireFromFastify('@fastify/fast-json-stringify-compiler')() as CompilerFactory)(...args),
};

export interface HttpServerOptions {
  logger: Logger;
  /**
   * Seconds a client may take to send its headers, and its whole request. WeCom gives up on a
   * callback after 5 seconds, so a request still arriving long after is not a platform's; Node's
   * own bounds (60 s, 300 s) let slow clients hold connections for minutes.
   */
  headersTimeout: number;
  requestTimeout: number;
  /** `metrics: true`: GET /metrics, and every request counted. */
  metrics?: Omit<MetricsRouteOptions, 'logger'>;
}

/** The server, and the switch the app turns when it starts stopping: requests then get 503 (a platform retries them later). */
export interface HttpServer {
  server: FastifyInstance;
  refuseRequests(): void;
}

export interface Readiness {
  ok: boolean;
  reason?: string;
}

/**
 * The app's one HTTP server: channels add their routes to it. XML and unknown content types
 * arrive as strings (each route parses its own envelope), JSON as objects. Every rejection gets a
 * status code and one log line; /healthz and /readyz are here for process managers, /metrics for
 * Prometheus.
 */
export function createHttpServer(options: HttpServerOptions, ready: () => Promise<Readiness>): HttpServer {
  const { logger } = options;
  let closing = false;
  const requestTimeout = options.requestTimeout * 1000;
  const server = Fastify({
    bodyLimit: MAX_BODY_BYTES,
    logger: false,
    return503OnClosing: true,
    forceCloseConnections: true,
    requestTimeout,
    // Node looks for expired requests every 30 s by default: far past the bounds above.
    http: { headersTimeout: options.headersTimeout * 1000, requestTimeout, connectionsCheckingInterval: 1000 },
    clientErrorHandler: (error, socket) => refuseClient(error, socket, options),
    schemaController: { compilersFactory: LAZY_COMPILERS as never },
  });
  // First: its hook counts the routes registered after it.
  const metrics = options.metrics ? serveMetrics(server, { ...options.metrics, logger }) : undefined;
  // While shutting down, callbacks are refused so the platform keeps them and retries (it stops once we ack).
  // A callback-style hook: no promise per request on the hot path.
  server.addHook('onRequest', (request, reply, done) => {
    if (!closing || request.url.startsWith('/healthz')) return done();
    logger.warn(
      { method: request.method, path: request.url.split('?')[0] },
      'shutting down: request refused with 503 (the platform retries it)',
    );
    void reply.status(503).header('retry-after', '5').type('text/plain').send('shutting down');
  });
  server.addContentTypeParser(['text/xml', 'application/xml', 'text/plain', '*'], { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );
  server.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    const reason = status === 413 ? `body over ${MAX_BODY_BYTES} bytes` : error.message;
    if (status >= 500) logger.error({ path: request.url.split('?')[0], err: error }, 'request failed');
    else logger.warn({ path: request.url.split('?')[0], status, reason }, 'request rejected');
    void reply
      .status(status)
      .type('text/plain')
      .send(status === 413 ? 'payload too large' : 'bad request');
  });
  server.setNotFoundHandler((request, reply) => {
    logger.warn(
      { method: request.method, path: request.url.split('?')[0] },
      'request to an unknown path (check the URL saved on the platform, e.g. the callback URL in the WeCom console)',
    );
    metrics?.unmatched(request.method);
    void reply.status(404).type('text/plain').send('not found');
  });
  server.get('/healthz', async (_request, reply) => reply.type('application/json').send({ status: 'ok' }));
  server.get('/readyz', async (_request, reply) => {
    const { ok, reason } = await ready();
    return reply
      .status(ok ? 200 : 503)
      .type('application/json')
      .send(ok ? { status: 'ready' } : { status: 'not ready', reason });
  });
  return {
    server,
    refuseRequests: () => {
      closing = true;
    },
  };
}

/** Listens on host:port; a port that is taken or needs root is a config problem, and the error names the key. */
export async function listen(server: FastifyInstance, host: string, port: number): Promise<number> {
  try {
    await server.listen({ host, port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new ConfigError(
        'port',
        'a free port',
        `${port}, which another process listens on (EADDRINUSE: another weworktop still running?)`,
      );
    if (code === 'EACCES')
      throw new ConfigError(
        'port',
        'a port this user may open',
        `${port}, which needs root (EACCES): use a port above 1023 behind a reverse proxy`,
      );
    if (code === 'EADDRNOTAVAIL') throw new ConfigError('host', 'an address of this machine (or "0.0.0.0")', `"${host}" (EADDRNOTAVAIL)`);
    throw error;
  }
  return (server.server.address() as AddressInfo).port;
}

/** A connection Node gave up on (too slow, not HTTP): one log line, then the status Node would send. */
function refuseClient(error: Error & { code?: string }, socket: Socket, options: HttpServerOptions): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const status = timedOut
    ? '408 Request Timeout'
    : error.code === 'HPE_HEADER_OVERFLOW'
      ? '431 Request Header Fields Too Large'
      : '400 Bad Request';
  if (timedOut) {
    options.logger.warn(
      { client: socket.remoteAddress, headers_timeout_s: options.headersTimeout, request_timeout_s: options.requestTimeout },
      'connection closed: the request did not arrive in time (a slow or stalled client)',
    );
  } else {
    options.logger.warn(
      { client: socket.remoteAddress, reason: error.code ?? error.message },
      'connection closed: not a valid HTTP request',
    );
  }
  if (socket.writable) socket.write(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  socket.destroy();
}
