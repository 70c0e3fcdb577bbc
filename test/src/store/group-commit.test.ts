import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { GroupCommit } from '../../../src/store/group-commit.js';
import { openInboxDatabase } from '../../../src/store/sqlite-database.js';

function setUp() {
  const db = openInboxDatabase(mkdtempSync(path.join(tmpdir(), 'group-commit-')));
  db.exec('CREATE TABLE t (v TEXT UNIQUE)');
  const errors: unknown[] = [];
  const writes = new GroupCommit(db, (error) => errors.push(error));
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const rows = () => (db.prepare('SELECT v FROM t ORDER BY rowid').all() as Array<{ v: string }>).map((row) => row.v);
  return { db, writes, insert, rows, errors };
}

describe('GroupCommit', () => {
  test('the writes of one turn commit together, after the turn, in order, each resolving with its result', async () => {
    const { writes, insert, rows } = setUp();
    const results = ['a', 'b', 'c'].map((v) => writes.write(() => insert.run(v).changes));
    writes.defer(() => insert.run('d'));
    assert.deepEqual(rows(), [], 'nothing is written inside the turn');
    assert.deepEqual(await Promise.all(results), [1, 1, 1]);
    assert.deepEqual(rows(), ['a', 'b', 'c', 'd']);
  });

  test('one commit a turn: housekeeping runs once with the number of rows written', async () => {
    const { writes, insert } = setUp();
    const commits: number[] = [];
    writes.afterEachCommit((count) => commits.push(count));
    await Promise.all(Array.from({ length: 50 }, (_, i) => writes.write(() => insert.run(`r${i}`))));
    await writes.write(() => insert.run('next turn'));
    assert.deepEqual(commits, [50, 1]);
  });

  test('a failed commit rejects every write in it and writes none of them; deferred ones are reported', async () => {
    const { writes, insert, rows, errors } = setUp();
    await writes.write(() => insert.run('taken'));
    const first = writes.write(() => insert.run('fine'));
    const clash = writes.write(() => insert.run('taken'));
    writes.defer(() => insert.run('deferred'));
    await assert.rejects(first, /UNIQUE/);
    await assert.rejects(clash, /UNIQUE/);
    assert.deepEqual(rows(), ['taken'], 'the whole commit was rolled back: nothing of it can be acked');
    assert.equal(errors.length, 1);
  });

  test('flush commits at once, so a read right after sees the writes', () => {
    const { writes, insert, rows } = setUp();
    writes.defer(() => insert.run('now'));
    writes.flush();
    assert.deepEqual(rows(), ['now']);
  });
});
