import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RecentKeys } from '../../src/recent-keys.js';

describe('RecentKeys', () => {
  test('reports a key seen within the ttl, forgets it after', () => {
    let now = 0;
    const keys = new RecentKeys({ ttlMs: 600_000, maxEntries: 10, now: () => now });
    assert.equal(keys.checkAndAdd('m1'), false);
    now = 15_000;
    assert.equal(keys.checkAndAdd('m1'), true);
    now = 600_001;
    assert.equal(keys.checkAndAdd('m1'), false);
  });
  test('is bounded in memory', () => {
    const keys = new RecentKeys({ ttlMs: 600_000, maxEntries: 100 });
    for (let i = 0; i < 10_000; i++) keys.checkAndAdd(`m${i}`);
    assert.equal(keys.size, 100);
  });
});
