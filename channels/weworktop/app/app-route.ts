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
  /** Takes a 微信客服 event (kf_msg_or_event, kf_account_auth_change) when weworktop.kf is on; it stores what it needs before returning. */
  acceptKf?(fields: Record<string, string>): void | Promise<void>;
}

/** 微信客服's events come to the app's callback URL; kf_msg_or_event names no sender. */
const KF_EVENTS = new Set(['kf_msg_or_event', 'kf_account_auth_change']);

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
      if (fields.MsgType?.toLowerCase() === 'event' && KF_EVENTS.has(fields.Event ?? '')) {
        if (route.acceptKf) await route.acceptKf(fields);
        else log.info({ event: fields.Event }, '微信客服 event while weworktop.kf.enabled is false: acknowledged, not handled');
        return reply.status(200).send('');
      }
      if (!hasSender(fields)) {
        log.info({ event: fields.Event ?? '' }, 'event without a sender: acknowledged, not handled');
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
 * An event without one is acknowledged and left (false).
 */
function hasSender(fields: Record<string, string>): boolean {
  if ((fields.FromUserName ?? '').trim() !== '') return true;
  if (fields.MsgType?.toLowerCase() === 'event') return false;
  throw new CallbackRejection(400, `signed ${fields.MsgType} message without a sender (empty FromUserName)`);
}
