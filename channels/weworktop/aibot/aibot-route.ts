import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../../src/logger.js';
import { CallbackRejection, registerUrlVerification, reject, requireFresh, requireQuery } from '../wecom/callback-route.js';
import type { WeComCrypto } from '../wecom/crypto.js';
import { type AiBotCallback, isAiBotCallback, MAX_CALLBACK_CHARS } from './aibot-message.js';

export interface AiBotRoute {
  path: string;
  /** Built with receiveId "": the AI bot's plaintext carries no corp id. */
  crypto: WeComCrypto;
  /** Seconds a callback's timestamp may be off (max_clock_skew); 0: no check. */
  maxClockSkew: number;
  logger: Logger;
  /** Takes a decrypted callback; resolves with the passive answer (a plain object to encrypt) or nothing, once the message is stored. */
  answer(callback: AiBotCallback): Promise<object | undefined>;
}

/**
 * The AI bot's (智能机器人, API mode) callback URL: same signature scheme as the app, but JSON
 * envelopes `{"encrypt": ...}`, and the passive answer (stream state) is itself encrypted JSON.
 */
export function registerAiBotCallback(server: FastifyInstance, route: AiBotRoute): void {
  const log = route.logger.child({ module: 'aibot-callback' });

  registerUrlVerification(server, { path: route.path, crypto: route.crypto, log, what: 'AI bot callback URL' });

  server.post(route.path, async (request, reply) => {
    try {
      const query = requireQuery(request.query, ['msg_signature', 'timestamp', 'nonce']);
      const encrypt = envelopeOf(request.body);
      const plaintext = route.crypto.openCallback(query, encrypt);
      requireFresh(query.timestamp, route.maxClockSkew);
      const callback = parseCallback(plaintext);
      const answer = await route.answer(callback);
      if (!answer) return reply.status(200).send('');
      const timestamp = String(Math.floor(Date.now() / 1000));
      const encrypted = route.crypto.encrypt(JSON.stringify(answer));
      // The doc requires the callback's own nonce in the answer.
      const body = {
        encrypt: encrypted,
        msgsignature: route.crypto.signature(timestamp, query.nonce, encrypted),
        timestamp: Number(timestamp),
        nonce: query.nonce,
      };
      return reply.status(200).type('application/json').send(JSON.stringify(body));
    } catch (error) {
      return reject(reply, log, error, 'AI bot callback');
    }
  });
}

function envelopeOf(body: unknown): string {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new CallbackRejection(400, 'body is not JSON');
    }
  }
  const encrypt = (parsed as { encrypt?: unknown } | null)?.encrypt;
  if (typeof encrypt !== 'string' || encrypt === '') throw new CallbackRejection(400, 'no "encrypt" field in the JSON body');
  return encrypt;
}

function parseCallback(plaintext: string): AiBotCallback {
  if (plaintext.length > MAX_CALLBACK_CHARS)
    throw new CallbackRejection(400, `decrypted payload is ${plaintext.length} characters, over the ${MAX_CALLBACK_CHARS} limit`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(plaintext);
  } catch {
    throw new CallbackRejection(400, 'decrypted payload is not JSON');
  }
  if (!isAiBotCallback(parsed)) throw new CallbackRejection(400, 'decrypted payload is not an AI bot callback (no msgtype/msgid)');
  // A user's message names its sender; a stream poll or an event is not answered to anyone.
  const userMessage = parsed.msgtype !== 'stream' && parsed.msgtype !== 'event';
  if (userMessage && (parsed.from?.userid ?? '').trim() === '')
    throw new CallbackRejection(400, `signed ${parsed.msgtype} message without a sender (empty from.userid)`);
  return parsed;
}
