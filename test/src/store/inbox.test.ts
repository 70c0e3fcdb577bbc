import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SETTLED_RETENTION_MS, type Inbox } from '../../../src/store/inbox.js';
import { MemoryInbox } from '../../../src/store/memory-inbox.js';
import { openDatabase } from '../../../src/store/sqlite-database.js';
import { SqliteInbox } from '../../../src/store/sqlite-inbox.js';

const entry = (id: string, sessionKey = 'u1') => ({ id, channel: 'weworktop', sessionKey, raw: { route: 'app', n: id }, receivedAt: 1 });

/** Both stores keep one contract; the clock is ours so retention can be tested. */
const stores: Array<[string, (now: () => number) => Inbox]> = [
  ['memory', (now) => new MemoryInbox(now)],
  ['sqlite', (now) => new SqliteInbox(openDatabase(mkdtempSync(path.join(tmpdir(), 'inbox-'))), now)],
];

for (const [name, make] of stores) {
  describe(`${name} inbox`, () => {
    test('a known id is a duplicate whether pending, done or failed', () => {
      const inbox = make(() => 1000);
      assert.equal(inbox.add(entry('a')), true);
      assert.equal(inbox.add(entry('a')), false);
      inbox.markDone('a');
      assert.equal(inbox.add(entry('a')), false);
      assert.equal(inbox.addSettled('b', 'weworktop', 1000), true);
      assert.equal(inbox.add(entry('b')), false);
    });

    test('pending lists unsettled messages oldest first with their attempts; settled ones leave it', () => {
      const inbox = make(() => 1000);
      for (const id of ['m1', 'm2', 'm3']) inbox.add(entry(id));
      assert.equal(inbox.recordAttempt('m2'), 1);
      assert.equal(inbox.recordAttempt('m2'), 2);
      inbox.markFailed('m3', 'gave up');
      assert.deepEqual(
        inbox.pending('weworktop').map((e) => [e.id, e.attempts, (e.raw as { n: string }).n]),
        [['m1', 0, 'm1'], ['m2', 2, 'm2']],
      );
      assert.deepEqual(inbox.pending('terminal'), []);
      assert.equal(inbox.healthy(), true);
    });

    test('settled ids are forgotten after the retention window, pending ones never', () => {
      let now = 1_000_000;
      const inbox = make(() => now);
      inbox.add(entry('old'));
      inbox.markDone('old');
      inbox.add(entry('waiting'));
      now += SETTLED_RETENTION_MS + 120_000;
      inbox.add(entry('trigger-prune'));
      assert.equal(inbox.add(entry('old')), true, 'an id settled long ago is new again');
      assert.equal(inbox.add(entry('waiting')), false);
    });
  });
}
