import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createHttpServer } from '../../../src/app/http-server.js';
import { createLogger } from '../../../src/logger.js';

describe('the HTTP server', () => {
  const { server } = createHttpServer({ logger: createLogger({ level: 'silent' }), headersTimeout: 5, requestTimeout: 10 }, async () => ({
    ok: true,
  }));
  after(() => server.close());

  // fastify's schema compilers load on first use: a route that declares a schema still gets them.
  test('a route with a JSON schema validates its body and serializes its answer', async () => {
    server.post(
      '/schema',
      {
        schema: {
          body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } },
          response: { 200: { type: 'object', properties: { n: { type: 'integer' } } } },
        },
      },
      async (request) => ({ n: (request.body as { n: number }).n + 1, hidden: true }),
    );
    const ok = await server.inject({ method: 'POST', url: '/schema', payload: { n: 1 } });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(ok.json(), { n: 2 });
    const bad = await server.inject({ method: 'POST', url: '/schema', payload: { n: 'one' } });
    assert.equal(bad.statusCode, 400);
  });
});
