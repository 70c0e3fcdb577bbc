import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../../src/logger.js';
import { CallbackRejection, registerUrlVerification, reject, requireFresh, requireQuery } from '../wecom/callback-route.js';
import type { WeComCrypto } from '../wecom/crypto.js';
import { parseEnvelope, parseMessageXml } from '../wecom/xml.js';

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

  registerUrlVerification(server, { path: route.path, crypto: route.crypto, log, what: 'callback URL' });

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
