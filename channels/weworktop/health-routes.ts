import type { FastifyInstance } from 'fastify';

/**
 * For process managers and load balancers: /healthz says the process answers (liveness),
 * /readyz says it can do its job (ready to receive callbacks).
 */
export function registerHealthRoutes(server: FastifyInstance, checks: { ready: () => Promise<{ ok: boolean; reason?: string }> }): void {
  server.get('/healthz', async (_request, reply) => reply.type('application/json').send({ status: 'ok' }));
  server.get('/readyz', async (_request, reply) => {
    const { ok, reason } = await checks.ready();
    return reply
      .status(ok ? 200 : 503)
      .type('application/json')
      .send(ok ? { status: 'ready' } : { status: 'not ready', reason });
  });
}
