import { createHmac, timingSafeEqual } from 'node:crypto';

/** X-Weworktop-Signature: "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body), as GitHub and Stripe sign their webhooks. */
export function forwardSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The receiver's check (tests, docs): the signature matches, compared in constant time. */
export function verifyForwardSignature(secret: string, timestamp: string, body: string, signature: string): boolean {
  const expected = Buffer.from(forwardSignature(secret, timestamp, body));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
