import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { GroupCommit } from '../../../src/store/group-commit.js';
import { INBOX_DB, openInboxDatabase, openSessionsDatabase, SESSIONS_DB } from '../../../src/store/sqlite-database.js';
import { SqliteSessions } from '../../../src/store/sqlite-sessions.js';

describe('the embedded databases', () => {
  test('conversations saved in weworktop.db by an earlier version move to sessions.db once, and nothing is lost', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'db-'));
    const old = new Database(path.join(dir, INBOX_DB));
    old.exec('CREATE TABLE sessions (id TEXT PRIMARY KEY, turns TEXT NOT NULL, last_active INTEGER NOT NULL)');
    old.prepare('INSERT INTO sessions VALUES (?, ?, ?)').run('zhangsan', '[{"message":{"role":"user","content":"你好"},"tokens":5}]', 42);
    old.close();

    const inbox = openInboxDatabase(dir);
    assert.deepEqual(
      inbox.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sessions'").all(),
      [],
      'the old table is gone',
    );
    inbox.close();
    const sessions = openSessionsDatabase(dir);
    assert.deepEqual(sessions.prepare('SELECT id, last_active FROM sessions').all(), [{ id: 'zhangsan', last_active: 42 }]);
    sessions.close();
    // Opening again is a no-op.
    openInboxDatabase(dir).close();
  });

  test("each connection's page cache is 256 KiB, not SQLite's 2 MB that a burst leaves resident", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'db-'));
    for (const db of [openInboxDatabase(dir), openSessionsDatabase(dir)]) {
      assert.equal(db.pragma('cache_size', { simple: true }), -256);
      db.close();
    }
  });

  test('the inbox keeps one index besides its rowid: each one is pages written on every commit', () => {
    const db = openInboxDatabase(mkdtempSync(path.join(tmpdir(), 'db-')));
    const indexes = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'inbox'").all() as Array<{ name: string }>
    ).map((row) => row.name);
    assert.deepEqual(indexes, ['sqlite_autoindex_inbox_1'], 'the UNIQUE id index, for dedupe');
  });

  test("a sessions.db from before backends kept state gains the column; a conversation keeps Dify's id", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'db-'));
    const old = new Database(path.join(dir, SESSIONS_DB));
    old.exec('CREATE TABLE sessions (id TEXT PRIMARY KEY, turns TEXT NOT NULL, last_active INTEGER NOT NULL)');
    old.prepare('INSERT INTO sessions VALUES (?, ?, ?)').run('zhangsan', '[]', 42);
    old.close();
    const db = openSessionsDatabase(dir);
    const writes = new GroupCommit(db, (error) => assert.fail(String(error)));
    const sessions = new SqliteSessions(db, writes);
    assert.deepEqual(sessions.load('zhangsan'), { turns: [], lastActive: 42 }, 'an old row reads as before');
    sessions.save('lisi', { turns: [], lastActive: 43, backendState: { dify_conversation_id: 'c-1' } });
    assert.deepEqual(sessions.load('lisi'), { turns: [], lastActive: 43, backendState: { dify_conversation_id: 'c-1' } });
    writes.flush();
    db.close();
  });
});
