import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from '../../../src/logger.js';
import { StoreUnavailableError } from '../../../src/store/store-unavailable.js';
import { type WeComCrypto, WeComCryptoError } from './crypto.js';
import { WeComXmlError } from './xml.js';

/** A callback refused on purpose: its status and the reason for the log. */
export class CallbackRejection extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 409,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/**
 * A signed callback is only fresh for max_clock_skew seconds: an old one replayed by someone who
 * captured it is refused (0 turns the check off). Checked after the signature, so the time is WeCom's.
 */
export function requireFresh(timestamp: string, maxSkewSeconds: number, nowMs = Date.now()): void {
  if (maxSkewSeconds <= 0) return;
  const skew = Math.abs(nowMs / 1000 - Number(timestamp));
  if (!Number.isFinite(skew) || skew > maxSkewSeconds) {
    throw new CallbackRejection(
      401,
      `stale or replayed callback: timestamp ${timestamp} is ${Number.isFinite(skew) ? Math.round(skew) : '?'} s from now (max_clock_skew ${maxSkewSeconds})`,
    );
  }
}

/** Query parameters WeCom always sends; a missing one is a 400, not a crash (CoW answered 500). */
export function requireQuery<Name extends string>(query: unknown, names: readonly Name[]): Record<Name, string> {
  const values = (query ?? {}) as Record<string, unknown>;
  const given = (name: string) => typeof values[name] === 'string' && values[name] !== '';
  if (!names.every(given))
    throw new CallbackRejection(400, `missing query parameter(s) ${names.filter((name) => !given(name)).join(', ')}`);
  return values as Record<Name, string>;
}

/**
 * The GET that WeCom's console sends when a callback URL is saved (both routes): the answer is
 * exactly the decrypted echostr, within WeCom's 1 second.
 * https://developer.work.weixin.qq.com/document/path/90238
 */
export function registerUrlVerification(
  server: FastifyInstance,
  route: { path: string; crypto: WeComCrypto; log: Logger; what: string },
): void {
  server.get(route.path, async (request, reply) => {
    try {
      const query = requireQuery(request.query, ['msg_signature', 'timestamp', 'nonce', 'echostr']);
      const plain = route.crypto.verifyUrl(query);
      route.log.info(`${route.what} verified`);
      return reply.type('text/plain').send(plain);
    } catch (error) {
      return reject(reply, route.log, error, `${route.what} verification`);
    }
  });
}

/** Maps every way a callback can be bad to a status and one log line; unknown errors are 500s. */
export function reject(reply: FastifyReply, log: Logger, error: unknown, what: string): FastifyReply {
  const { status, reason } = classify(error);
  if (status === 500) log.error({ err: error }, `${what} failed`);
  // The store's connection says once that it is down (and once that it is back), not per callback.
  else if (status === 503) log.debug({ reason }, `${what} deferred`);
  else log.warn({ status, reason }, `${what} rejected`);
  return reply
    .status(status)
    .type('text/plain')
    .send(
      status === 401 ? 'unauthorized' : status === 500 ? 'internal error' : status === 503 ? 'unavailable, retry later' : 'bad request',
    );
}

function classify(error: unknown): { status: number; reason: string } {
  if (error instanceof CallbackRejection) return { status: error.status, reason: error.reason };
  if (error instanceof StoreUnavailableError) return { status: 503, reason: error.message };
  if (error instanceof WeComCryptoError) {
    const unauthorized = error.code === 'bad_signature' || error.code === 'receive_id_mismatch';
    return { status: unauthorized ? 401 : 400, reason: `${error.code}: ${error.message}` };
  }
  if (error instanceof WeComXmlError) return { status: 400, reason: `malformed XML: ${error.message}` };
  return { status: 500, reason: (error as Error)?.message ?? String(error) };
}
