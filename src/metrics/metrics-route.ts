import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../logger.js';
import type { MetricsRegistry } from './metrics-registry.js';

export const METRICS_PATH = '/metrics';
/** The core's own routes: counted, but not callbacks, so not in the ack histogram. */
const CORE_ROUTES = new Set(['/healthz', '/readyz', METRICS_PATH]);
/** The label of a request no route matched (its path is the client's to choose: never a label). */
const UNMATCHED = 'unmatched';

export interface MetricsRouteOptions {
  registry: MetricsRegistry;
  /** metrics_token: when set, /metrics wants `Authorization: Bearer <token>`. */
  token: string;
  logger: Logger;
}

/**
 * GET /metrics, and the hook that counts every request by route pattern and status and times
 * the callbacks' acks. The hook looks each series up once and keeps it: a request costs a map
 * lookup and two additions.
 */
export function serveMetrics(server: FastifyInstance, options: MetricsRouteOptions): void {
  const { registry, logger } = options;
  const requests = new Map<string, { inc(): void }>();
  const acks = new Map<string, { observe(seconds: number): void }>();
  server.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? UNMATCHED;
    const key = `${request.method} ${route} ${reply.statusCode}`;
    let counter = requests.get(key);
    if (!counter) {
      counter = registry.counterSeries('weworktop_http_requests_total', {
        route,
        method: request.method,
        status: String(reply.statusCode),
      });
      requests.set(key, counter);
    }
    counter.inc();
    if (route !== UNMATCHED && !CORE_ROUTES.has(route)) {
      let ack = acks.get(route);
      if (!ack) {
        ack = registry.histogramSeries('weworktop_callback_ack_seconds', { route });
        acks.set(route, ack);
      }
      ack.observe(reply.elapsedTime / 1000);
    }
    done();
  });
  const allowed = options.token ? bearerCheck(options.token) : () => true;
  server.get(METRICS_PATH, async (request, reply) => {
    if (!allowed(request.headers.authorization)) {
      logger.warn({ client: request.ip }, 'metrics: request refused with 401 (no Authorization: Bearer header with metrics_token)');
      return reply.status(401).header('www-authenticate', 'Bearer realm="weworktop metrics"').type('text/plain').send('unauthorized');
    }
    return reply.type(registry.contentType).send(await registry.render());
  });
}

/** Compares digests in constant time: neither the token's characters nor its length leak through timing. */
function bearerCheck(token: string): (header: string | undefined) => boolean {
  const expected = createHash('sha256').update(token).digest();
  return (header) => {
    const given = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? '';
    return timingSafeEqual(createHash('sha256').update(given).digest(), expected);
  };
}
