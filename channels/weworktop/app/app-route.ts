import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from '../../../src/logger.js';
import { CallbackRejection, requireFresh, requireQuery } from '../wecom/callback-route.js';
import { WeComCrypto, WeComCryptoError } from '../wecom/crypto.js';
import { parseEnvelope, parseMessageXml, WeComXmlError } from '../wecom/xml.js';

export interface AppCallbackRoute {
  path: string;
  agentId: string;
  crypto: WeComCrypto;
  /** Seconds a callback's timestamp may be off (max_clock_skew); 0: no check. */
  maxClockSkew: number;
  logger: Logger;
  /** Takes a verified, decrypted message; resolves once it is stored (the work goes to the queue). */
  accept(fields: Record<string, string>): Promise<void>;
}

/**
 * The self-built app's "receive messages" URL: GET verifies the URL, POST delivers encrypted XML.
 * The ack (HTTP 200, empty body) is sent as soon as the message is verified, stored and queued.
 */
export function registerAppCallback(server: FastifyInstance, route: AppCallbackRoute): void {
  const log = route.logger.child({ module: 'callback', agent: route.agentId });

  server.get(route.path, async (request, reply) => {
    try {
      const query = requireQuery(request.query, ['msg_signature', 'timestamp', 'nonce', 'echostr']);
      const plain = route.crypto.verifyUrl(query);
      log.info('callback URL verified');
      return reply.type('text/plain').send(plain);
    } catch (error) {
      return reject(reply, log, error, 'URL verification');
    }
  });

  server.post(route.path, async (request, reply) => {
    try {
      const query = requireQuery(request.query, ['msg_signature', 'timestamp', 'nonce']);
      if (typeof request.body !== 'string' || request.body === '') throw new CallbackRejection(400, 'empty body');
      const envelope = parseEnvelope(request.body);
      const plaintext = route.crypto.openCallback(query, envelope.encrypt);
      requireFresh(query.timestamp, route.maxClockSkew);
      const fields = parseMessageXml(plaintext);
      if (!hasSender(fields)) {
        log.info({ event: fields.Event ?? '' }, 'event without a sender (e.g. 微信客服 kf_msg_or_event): acknowledged, not handled');
        return reply.status(200).send('');
      }
      await route.accept(fields);
      return reply.status(200).send('');
    } catch (error) {
      return reject(reply, log, error, 'message callback');
    }
  });
}

/**
 * A user's message names its sender (FromUserName): one without is refused, never answered to "".
 * Some events carry none by design (微信客服's kf_msg_or_event): false, to be acknowledged and left.
 */
function hasSender(fields: Record<string, string>): boolean {
  if ((fields.FromUserName ?? '').trim() !== '') return true;
  if (fields.MsgType?.toLowerCase() === 'event') return false;
  throw new CallbackRejection(400, `signed ${fields.MsgType} message without a sender (empty FromUserName)`);
}

/** Maps every way a callback can be bad to a status and one log line; unknown errors are 500s. */
export function reject(reply: FastifyReply, log: Logger, error: unknown, what: string): FastifyReply {
  const { status, reason } = classify(error);
  if (status === 500) log.error({ err: error }, `${what} failed`);
  else log.warn({ status, reason }, `${what} rejected`);
  return reply.status(status).type('text/plain').send(status === 401 ? 'unauthorized' : status === 500 ? 'internal error' : 'bad request');
}

function classify(error: unknown): { status: number; reason: string } {
  if (error instanceof CallbackRejection) return { status: error.status, reason: error.reason };
  if (error instanceof WeComCryptoError) {
    const unauthorized = error.code === 'bad_signature' || error.code === 'receive_id_mismatch';
    return { status: unauthorized ? 401 : 400, reason: `${error.code}: ${error.message}` };
  }
  if (error instanceof WeComXmlError) return { status: 400, reason: `malformed XML: ${error.message}` };
  return { status: 500, reason: (error as Error)?.message ?? String(error) };
}
