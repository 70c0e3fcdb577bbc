import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MAX_BODY_BYTES } from '../app/http-server.js';
import type { Logger } from '../logger.js';
import { PushRequestError, parsePushRequest } from './push-request.js';
import type { PushService } from './push-service.js';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * POST /api/messages and GET /api/messages/<id> on the app's server, for `Authorization: Bearer
 * <api_token>` only (compared in constant time: hashes of equal length). Every refusal is JSON
 * naming the field, and one log line.
 */
export function addPushRoutes(server: FastifyInstance, options: { token: string; service: PushService; logger: Logger }): void {
  const log = options.logger.child({ module: 'push' });
  const expected = digest(`Bearer ${options.token}`);
  const refuse = (request: FastifyRequest, reply: FastifyReply, status: number, field: string, reason: string) => {
    log.warn({ path: request.url.split('?')[0], status, field }, `push API request refused: ${reason}`);
    return reply
      .status(status)
      .type('application/json')
      .send({ error: `${field}: ${reason}` });
  };
  void server.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      const given = request.headers.authorization;
      if (typeof given !== 'string' || !timingSafeEqual(digest(given), expected))
        return refuse(request, reply, 401, 'authorization', 'expected "Bearer <api_token>"');
    });
    scope.setErrorHandler((error: FastifyError, request, reply) => {
      if (error.statusCode === 413) return refuse(request, reply, 413, 'body', `over ${MAX_BODY_BYTES} bytes`);
      if (error.statusCode === 400) return refuse(request, reply, 400, 'body', 'not valid JSON');
      log.error({ path: request.url.split('?')[0], err: error.message }, 'push API request failed');
      return reply
        .status(503)
        .type('application/json')
        .send({ error: `store: ${error.message}` });
    });
    scope.post('/api/messages', async (request, reply) => {
      let parsed: ReturnType<typeof parsePushRequest>;
      let stored: { id: string; created: boolean };
      try {
        parsed = parsePushRequest(request.body);
        stored = await options.service.submit(parsed);
      } catch (error) {
        if (error instanceof PushRequestError) return refuse(request, reply, 400, error.field, error.reason);
        throw error;
      }
      if (stored.created) return reply.status(202).send({ id: stored.id, status: 'queued' });
      // A repeat of an idempotency key: the first message, as it stands.
      return reply.status(200).send((await options.service.status(stored.id)) ?? { id: stored.id, status: 'queued' });
    });
    scope.get<{ Params: { id: string } }>('/api/messages/:id', async (request, reply) => {
      const status = await options.service.status(request.params.id);
      if (!status) return refuse(request, reply, 404, 'id', 'no such message (ids are kept 24 hours)');
      return reply.send(status);
    });
  });
}
