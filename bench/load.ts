import autocannon from 'autocannon';
import type { PooledRequest } from './callback-requests.js';
import { type Percentiles, percentiles } from './stats.js';

export interface LoadOptions {
  /** Base URL; each request brings its own path and signed query. */
  url: string;
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  next: () => PooledRequest;
}

export interface LoadResult {
  connections: number;
  requestsPerSec: number;
  /** Milliseconds, from every response's own timing. */
  latency: Percentiles;
  /** Connection errors, timeouts included. */
  errors: number;
  timeouts: number;
  non2xx: number;
}

/** One autocannon run at a fixed connection count; `onResponse` gets every response's latency. */
function fire(options: LoadOptions, seconds: number, onResponse: (latencyMs: number) => void): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: seconds,
        requests: [
          {
            setupRequest: (request) => {
              const next = options.next();
              return {
                ...request,
                method: next.method,
                path: next.path,
                body: next.body ?? '',
                headers: next.headers ?? (next.body === undefined ? {} : { 'content-type': 'text/xml' }),
              };
            },
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => onResponse(responseTime));
  });
}

/**
 * One run: a warm-up (JIT, connection set-up; not reported), then the measured seconds on the same
 * connections. autocannon writes each connection's first request before it is connected and times
 * it from then: the first requests of 100 new connections took 100 to 450 ms, bare fastify's too,
 * which a warm-up on connections of its own left in the measured run.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const samples: number[] = [];
  let measuredFrom: number | undefined;
  const warmup = setTimeout(() => (measuredFrom = performance.now()), options.warmupSeconds * 1000);
  const result = await fire(options, options.warmupSeconds + options.durationSeconds, (latencyMs) => {
    if (measuredFrom !== undefined) samples.push(latencyMs);
  });
  clearTimeout(warmup);
  const measuredSeconds = measuredFrom === undefined ? 0 : (performance.now() - measuredFrom) / 1000;
  return {
    connections: options.connections,
    requestsPerSec: measuredSeconds > 0 ? samples.length / measuredSeconds : 0,
    latency: percentiles(samples),
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
}
