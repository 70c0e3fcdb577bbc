import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AccessTokenCache } from '../../../../channels/weworktop/wecom/api-client.js';

function counting(expiresInSeconds = 7200, delayMs = 20) {
  let fetches = 0;
  const cache = new AccessTokenCache({
    fetch: async () => {
      fetches += 1;
      await sleep(delayMs);
      return { token: `t${fetches}`, expiresInSeconds };
    },
  });
  return { cache, fetches: () => fetches };
}

test('concurrent callers share one in-flight fetch', async () => {
  const { cache, fetches } = counting();
  const tokens = await Promise.all(Array.from({ length: 50 }, () => cache.get()));
  assert.deepEqual(new Set(tokens), new Set(['t1']));
  assert.equal(fetches(), 1);
  cache.close();
});

test('invalidate drops only the rejected token, so many failures cause one refetch', async () => {
  const { cache, fetches } = counting();
  const first = await cache.get();
  cache.invalidate(first);
  cache.invalidate(first);
  const [a, b] = await Promise.all([cache.get(), cache.get()]);
  assert.equal(a, 't2');
  assert.equal(b, 't2');
  cache.invalidate('t1');
  assert.equal(await cache.get(), 't2', 'a stale invalidation leaves the new token alone');
  assert.equal(fetches(), 2);
  cache.close();
});

test('refreshes shortly before expiry while still serving the old token', async () => {
  let now = 0;
  let fetches = 0;
  const cache = new AccessTokenCache({ now: () => now, fetch: async () => ({ token: `t${++fetches}`, expiresInSeconds: 7200 }) });
  assert.equal(await cache.get(), 't1');
  now = 7200_000 - 299_000;
  assert.equal(await cache.get(), 't1', 'inside the 5-minute margin the old token still serves');
  await sleep(1);
  assert.equal(await cache.get(), 't2', 'and a refresh has replaced it');
  now = 7200_000 * 3;
  assert.equal(await cache.get(), 't3', 'an expired token is never served');
  cache.close();
});

test('a failed fetch is reported to the caller and the next call tries again', async () => {
  let fail = true;
  const cache = new AccessTokenCache({
    fetch: async () => {
      if (fail) throw new Error('40001 bad secret');
      return { token: 'ok', expiresInSeconds: 7200 };
    },
  });
  await assert.rejects(cache.get(), /40001/);
  fail = false;
  assert.equal(await cache.get(), 'ok');
  cache.close();
});
