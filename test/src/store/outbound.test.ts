import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { GroupCommit } from '../../../src/store/group-commit.js';
import { MemoryOutbound } from '../../../src/store/memory-outbound.js';
import { IDEMPOTENCY_WINDOW_MS, type OutboundQueue } from '../../../src/store/outbound-queue.js';
import { openInboxDatabase } from '../../../src/store/sqlite-database.js';
import { SqliteOutbound } from '../../../src/store/sqlite-outbound.js';

const stores: Array<[string, (now: () => number) => OutboundQueue & { close?(): void }]> = [
  [
    'sqlite',
    (now) => {
      const db = openInboxDatabase(mkdtempSync(path.join(tmpdir(), 'outbound-')));
      return new SqliteOutbound(db, new GroupCommit(db, () => {}), now);
    },
  ],
  ['memory', (now) => new MemoryOutbound(now)],
];

for (const [name, open] of stores) {
  it(`${name}: an idempotency key gives the first id back for 24 hours, then a new message`, async () => {
    let clock = 1_000_000;
    const queue = open(() => clock);
    const entry = (id: string) => ({
      kind: 'push' as const,
      id,
      orderKey: 'user:a',
      bodyJson: '{}',
      createdAt: clock,
      idempotencyKey: 'k',
    });
    assert.deepEqual(await queue.add(entry('first')), { id: 'first', created: true });
    clock += IDEMPOTENCY_WINDOW_MS - 1;
    assert.deepEqual(await queue.add(entry('second')), { id: 'first', created: false });
    clock += 2;
    assert.deepEqual(await queue.add(entry('third')), { id: 'third', created: true });
    assert.deepEqual(
      (await queue.queued('push')).map((queued) => queued.id),
      ['first', 'third'],
    );
    queue.close?.();
  });

  it(`${name}: a forward of an id already stored adds nothing; settled entries keep their status and error`, async () => {
    const queue = open(Date.now);
    const entry = { kind: 'forward' as const, id: 'm1', orderKey: 'alice', bodyJson: '{}', createdAt: Date.now() };
    assert.equal((await queue.add(entry)).created, true);
    assert.equal((await queue.add(entry)).created, false);
    queue.recordProgress('forward', 'm1', 2);
    queue.settle('forward', 'm1', 'failed', '{"errcode":81013}');
    await queue.add({ ...entry, id: 'm2' });
    const settled = (await queue.get('forward', 'm1'))!;
    assert.equal(settled.status, 'failed');
    assert.equal(settled.errorJson, '{"errcode":81013}');
    assert.equal(settled.partsSent, 2);
    assert.deepEqual(
      (await queue.queued('forward')).map((queued) => queued.id),
      ['m2'],
    );
    queue.close?.();
  });
}
