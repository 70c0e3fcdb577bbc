import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, onResponseHookHandler } from 'fastify';
import type { Logger } from '../logger.js';
import type { MetricsRegistry } from './metrics-registry.js';

export const METRICS_PATH = '/metrics';
/** The core's own routes: counted, but not callbacks, so not in the ack histogram. */
const CORE_ROUTES = new Set(['/healthz', '/readyz', METRICS_PATH]);

export interface MetricsRouteOptions {
  registry: MetricsRegistry;
  /** metrics_token: when set, /metrics wants `Authorization: Bearer <token>`. */
  token: string;
  logger: Logger;
}

type Counted = { inc(): void };

/**
 * GET /metrics, and a hook on every route registered after this call that counts its requests by
 * status and times its acks. Each route's hook holds its own series (found by method and status,
 * no key built per request): the ack path pays two map lookups, an addition and a histogram's.
 * Requests no route matched are counted by the not-found handler, through `unmatched`.
 */
export function serveMetrics(server: FastifyInstance, options: MetricsRouteOptions): { unmatched(method: string): void } {
  const { registry, logger } = options;
  const counterFor = (route: string) => {
    const byMethod = new Map<string, Map<number, Counted>>();
    return (method: string, status: number): Counted => {
      let byStatus = byMethod.get(method);
      if (!byStatus) {
        byStatus = new Map();
        byMethod.set(method, byStatus);
      }
      let counter = byStatus.get(status);
      if (!counter) {
        counter = registry.counterSeries('weworktop_http_requests_total', { route, method, status: String(status) });
        byStatus.set(status, counter);
      }
      return counter;
    };
  };
  server.addHook('onRoute', (route) => {
    const counter = counterFor(route.url);
    const ack = CORE_ROUTES.has(route.url) ? undefined : registry.histogramSeries('weworktop_callback_ack_seconds', { route: route.url });
    const counted: onResponseHookHandler = (request, reply, done) => {
      counter(request.method, reply.statusCode).inc();
      ack?.observe(reply.elapsedTime / 1000);
      done();
    };
    route.onResponse = [...(route.onResponse ? [route.onResponse].flat() : []), counted];
  });
  const allowed = options.token ? bearerCheck(options.token) : () => true;
  server.get(METRICS_PATH, async (request, reply) => {
    if (!allowed(request.headers.authorization)) {
      logger.warn({ client: request.ip }, 'metrics: request refused with 401 (no Authorization: Bearer header with metrics_token)');
      return reply.status(401).header('www-authenticate', 'Bearer realm="weworktop metrics"').type('text/plain').send('unauthorized');
    }
    return reply.type(registry.contentType).send(await registry.render());
  });
  // The path a client chose is never a label: every unknown one is "unmatched".
  const unmatched = counterFor('unmatched');
  return { unmatched: (method) => unmatched(method, 404).inc() };
}

/** Compares digests in constant time: neither the token's characters nor its length leak through timing. */
function bearerCheck(token: string): (header: string | undefined) => boolean {
  const expected = createHash('sha256').update(token).digest();
  return (header) => {
    const given = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? '';
    return timingSafeEqual(createHash('sha256').update(given).digest(), expected);
  };
}
