import autocannon from 'autocannon';
import type { PooledRequest } from './callback-requests.js';
import { percentiles, type Percentiles } from './stats.js';

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

/** One autocannon run at a fixed connection count; `samples` collects every response's latency. */
function fire(options: LoadOptions, seconds: number, samples?: number[]): Promise<autocannon.Result> {
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
              return { ...request, method: next.method, path: next.path, body: next.body ?? '', headers: next.body === undefined ? {} : { 'content-type': 'text/xml' } };
            },
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    if (samples) instance.on('response', (_client, _status, _bytes, responseTime) => samples.push(responseTime));
  });
}

/** A warm-up run (JIT, connection set-up; not reported) and then the measured run. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  await fire(options, options.warmupSeconds);
  const samples: number[] = [];
  const result = await fire(options, options.durationSeconds, samples);
  return {
    connections: options.connections,
    requestsPerSec: samples.length / result.duration,
    latency: percentiles(samples),
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
}
