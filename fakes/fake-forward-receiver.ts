// A site that takes weworktop's forwarded messages (forward.url), checking each signature as the docs tell users to.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { json, startFakeServer } from './http-fake.js';

export interface ForwardDelivery {
  id: string;
  body: Record<string, unknown>;
  /** The signature matched (timestamp + "." + body, HMAC-SHA256 with the shared secret). */
  verified: boolean;
  status: number;
  at: number;
}

export interface FakeForwardReceiver {
  url: string;
  /** Every POST, failed ones included, in arrival order. */
  deliveries: ForwardDelivery[];
  /** Bodies taken (answered 200 with a good signature), first delivery of each id only. */
  received(): Array<Record<string, unknown>>;
  /** The next `times` POSTs are answered with `status`. */
  failNext(times: number, status?: number): void;
  waitForReceived(count: number, timeoutMs?: number): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

export async function startFakeForwardReceiver(secret: string): Promise<FakeForwardReceiver> {
  const deliveries: ForwardDelivery[] = [];
  let failures: { times: number; status: number } = { times: 0, status: 500 };
  const server = await startFakeServer((request) => {
    const timestamp = String(request.headers['x-weworktop-timestamp'] ?? '');
    const signature = Buffer.from(String(request.headers['x-weworktop-signature'] ?? ''));
    const expected = Buffer.from(
      `sha256=${createHmac('sha256', secret)
        .update(`${timestamp}.${request.body.toString('utf8')}`)
        .digest('hex')}`,
    );
    const verified = signature.length === expected.length && timingSafeEqual(signature, expected);
    const body = JSON.parse(request.body.toString('utf8')) as Record<string, unknown>;
    const status = !verified ? 401 : failures.times > 0 ? failures.status : 200;
    if (verified && failures.times > 0) failures.times -= 1;
    deliveries.push({ id: String(body.id), body, verified, status, at: Date.now() });
    return json({ ok: status === 200 }, status);
  });
  const received = () => {
    const seen = new Set<string>();
    return deliveries
      .filter((delivery) => delivery.status === 200 && !seen.has(delivery.id) && seen.add(delivery.id))
      .map((delivery) => delivery.body);
  };
  return {
    url: `${server.url}/weworktop-hook`,
    deliveries,
    received,
    failNext: (times, status = 500) => {
      failures = { times, status };
    },
    async waitForReceived(count, timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      while (received().length < count) {
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${count} forwarded messages; got ${JSON.stringify(deliveries).slice(0, 1500)}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return received();
    },
    close: () => server.close(),
  };
}
