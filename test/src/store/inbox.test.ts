import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { GroupCommit } from '../../../src/store/group-commit.js';
import { SETTLED_RETENTION_MS } from '../../../src/store/inbox.js';
import { MemoryInbox } from '../../../src/store/memory-inbox.js';
import { openInboxDatabase } from '../../../src/store/sqlite-database.js';
import { SqliteInbox } from '../../../src/store/sqlite-inbox.js';

const entry = (id: string, sessionKey = 'u1') => ({
  id,
  channel: 'weworktop',
  sessionKey,
  rawJson: JSON.stringify({ route: 'app', n: id }),
  receivedAt: 1,
});

function sqliteInbox(now: () => number): SqliteInbox {
  const db = openInboxDatabase(mkdtempSync(path.join(tmpdir(), 'inbox-')));
  return new SqliteInbox(db, new GroupCommit(db, (error) => assert.fail(String(error))), now);
}

/** Both embedded stores keep one contract, and answer reads at once; the clock is ours so retention can be tested. */
const stores: Array<[string, (now: () => number) => MemoryInbox | SqliteInbox]> = [
  ['memory', (now) => new MemoryInbox(now)],
  ['sqlite', sqliteInbox],
];

for (const [name, make] of stores) {
  describe(`${name} inbox`, () => {
    test('a known id is a duplicate whether pending, done or failed', async () => {
      const inbox = make(() => 1000);
      assert.equal(await inbox.add(entry('a')), true);
      assert.equal(await inbox.add(entry('a')), false);
      inbox.markDone('a');
      assert.equal(await inbox.add(entry('a')), false);
      assert.equal(await inbox.addSettled('b', 'weworktop', 1000), true);
      assert.equal(await inbox.add(entry('b')), false);
    });

    test('the same id twice in one turn: the first is new, the second a duplicate', async () => {
      const inbox = make(() => 1000);
      assert.deepEqual(await Promise.all([inbox.add(entry('twin')), inbox.add(entry('twin'))]), [true, false]);
    });

    test('pending lists unsettled messages oldest first with their attempts; settled ones leave it', async () => {
      const inbox = make(() => 1000);
      for (const id of ['m1', 'm2', 'm3']) await inbox.add(entry(id));
      inbox.recordAttempt('m2');
      inbox.recordAttempt('m2');
      inbox.markFailed('m3', 'gave up');
      assert.deepEqual(
        inbox.pending('weworktop').map((e) => [e.id, e.attempts, (JSON.parse(e.rawJson) as { n: string }).n]),
        [
          ['m1', 0, 'm1'],
          ['m2', 2, 'm2'],
        ],
      );
      assert.deepEqual(inbox.pending('terminal'), []);
      assert.equal(inbox.healthy(), true);
    });

    test("forget (#清除记忆) leaves a conversation's pending messages and its settled ids, for dedupe", async () => {
      const inbox = make(() => 1000);
      for (const id of ['u1-old', 'u1-new']) await inbox.add(entry(id));
      await inbox.add(entry('u2-old', 'u2'));
      inbox.markDone('u1-old');
      inbox.markDone('u2-old');
      await inbox.forget('u1');
      assert.deepEqual(
        inbox.pending('weworktop').map((e) => [e.id, (JSON.parse(e.rawJson) as { n: string }).n]),
        [['u1-new', 'u1-new']],
        'a pending message is still answered',
      );
      assert.equal(await inbox.add(entry('u1-old')), false, 'a retry of the erased message is still a duplicate');
    });

    test('entry reads back one pending message, and nothing once it is settled', async () => {
      const inbox = make(() => 1000);
      await inbox.add(entry('m1', 'u7'));
      await inbox.add(entry('m2'));
      assert.deepEqual(inbox.entry('m1'), { ...entry('m1', 'u7'), attempts: 0, partsSent: 0 });
      inbox.markDone('m1');
      inbox.pending('weworktop');
      assert.equal(inbox.entry('m1'), undefined);
      assert.equal(inbox.entry('never'), undefined);
      assert.equal((JSON.parse(inbox.entry('m2')!.rawJson) as { n: string }).n, 'm2');
    });

    test('a stored answer and the parts sent come back with the pending message', async () => {
      const inbox = make(() => 1000);
      await inbox.add(entry('m1'));
      await inbox.saveOutcome('m1', '{"sessionId":"u1","replies":[]}');
      inbox.recordProgress('m1', 3);
      const [pending] = inbox.pending('weworktop');
      assert.equal(pending?.outcomeJson, '{"sessionId":"u1","replies":[]}');
      assert.equal(pending?.partsSent, 3);
      assert.equal(inbox.entry('m1')?.partsSent, 3);
    });

    test('settled ids are forgotten after the retention window, pending ones never', async () => {
      let now = 1_000_000;
      const inbox = make(() => now);
      await inbox.add(entry('old'));
      inbox.markDone('old');
      await inbox.add(entry('waiting'));
      now += SETTLED_RETENTION_MS + 120_000;
      await inbox.add(entry('trigger-prune'));
      assert.equal(await inbox.add(entry('old')), true, 'an id settled long ago is new again');
      assert.equal(await inbox.add(entry('waiting')), false);
    });
  });
}

describe('sqlite inbox pruning', () => {
  test('expired settled rows go a bounded number per commit, and all of them as writes go on', async () => {
    let now = 1_000_000;
    const db = openInboxDatabase(mkdtempSync(path.join(tmpdir(), 'inbox-')));
    const inbox = new SqliteInbox(db, new GroupCommit(db, (error) => assert.fail(String(error))), () => now);
    const count = () => (db.prepare('SELECT count(*) AS n FROM inbox').get() as { n: number }).n;
    await Promise.all(Array.from({ length: 500 }, (_, i) => inbox.addSettled(`old-${i}`, 'weworktop', now)));
    await inbox.add(entry('pending-old'));
    // A second later a commit notes how far the rows go (ages are known per second).
    now += 1000;
    await inbox.add(entry('one'));
    now += SETTLED_RETENTION_MS + 1;
    await inbox.add(entry('two'));
    // One row written: this commit deleted 16 (the minimum), not all 500 in one long stall.
    assert.equal(count(), 500 - 16 + 3);
    await Promise.all(Array.from({ length: 100 }, (_, i) => inbox.add(entry(`new-${i}`))));
    assert.equal(count(), 500 - 16 - 200 + 3 + 100, '2 expired rows pruned per row written');
    for (let i = 0; i < 20; i++) await inbox.add(entry(`more-${i}`));
    await Promise.all(Array.from({ length: 200 }, (_, i) => inbox.add(entry(`last-${i}`))));
    assert.equal(count(), 3 + 100 + 20 + 200, 'every expired settled row is gone; pending ones stay');
    assert.equal(await inbox.add(entry('old-7')), true, 'an id settled long ago is new again');
  });

  test('rows left by the last run go at the next start once expired, and the rest 15 minutes later', async () => {
    let now = 1_000_000;
    const dir = mkdtempSync(path.join(tmpdir(), 'inbox-'));
    const first = openInboxDatabase(dir);
    const before = new SqliteInbox(first, new GroupCommit(first, (error) => assert.fail(String(error))), () => now);
    await before.addSettled('from-last-run', 'weworktop', now);
    first.close();
    now += SETTLED_RETENTION_MS + 1;
    const db = openInboxDatabase(dir);
    const after = new SqliteInbox(db, new GroupCommit(db, (error) => assert.fail(String(error))), () => now);
    assert.equal(await after.add(entry('from-last-run')), true);
  });

  test('an inbox written before answers were stored gets the columns, its pending messages kept', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'inbox-'));
    const old = new Database(path.join(dir, 'weworktop.db'));
    old.exec(`CREATE TABLE inbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, channel TEXT NOT NULL, session_key TEXT NOT NULL, raw TEXT NOT NULL,
      received_at INTEGER NOT NULL, status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')), attempts INTEGER NOT NULL DEFAULT 0, reason TEXT, settled_at INTEGER)`);
    old
      .prepare(
        "INSERT INTO inbox (id, channel, session_key, raw, received_at, status) VALUES ('m1', 'weworktop', 'u1', '{}', 5, 'pending')",
      )
      .run();
    old.close();
    const db = openInboxDatabase(dir);
    const inbox = new SqliteInbox(db, new GroupCommit(db, (error) => assert.fail(String(error))));
    assert.deepEqual(inbox.pending('weworktop'), [
      { id: 'm1', channel: 'weworktop', sessionKey: 'u1', rawJson: '{}', receivedAt: 5, attempts: 0, partsSent: 0 },
    ]);
    await inbox.saveOutcome('m1', '{}');
    assert.equal(inbox.entry('m1')?.outcomeJson, '{}');
  });
});

test("sqlite inbox: forget erases the texts of the conversation's settled messages, only", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'inbox-'));
  const db = openInboxDatabase(dir);
  const inbox = new SqliteInbox(db, new GroupCommit(db, (error) => assert.fail(String(error))));
  for (const [id, key] of [
    ['a1', 'u1'],
    ['a2', 'u1'],
    ['b1', 'u2'],
  ] as const)
    await inbox.add(entry(id, key));
  await inbox.saveOutcome('a1', '{"sessionId":"u1","replies":[{"type":"text","text":"the answer"}]}');
  inbox.markDone('a1');
  inbox.markDone('b1');
  await inbox.forget('u1');
  const rows = db.prepare('SELECT id, raw, outcome FROM inbox ORDER BY id').all();
  assert.deepEqual(rows, [
    { id: 'a1', raw: 'null', outcome: null },
    { id: 'a2', raw: JSON.stringify({ route: 'app', n: 'a2' }), outcome: null },
    { id: 'b1', raw: JSON.stringify({ route: 'app', n: 'b1' }), outcome: null },
  ]);
});
