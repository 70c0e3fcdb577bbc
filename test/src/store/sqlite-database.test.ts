import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { INBOX_DB, openInboxDatabase, openSessionsDatabase } from '../../../src/store/sqlite-database.js';

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

  test('the inbox keeps one index besides its rowid: each one is pages written on every commit', () => {
    const db = openInboxDatabase(mkdtempSync(path.join(tmpdir(), 'db-')));
    const indexes = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'inbox'").all() as Array<{ name: string }>
    ).map((row) => row.name);
    assert.deepEqual(indexes, ['sqlite_autoindex_inbox_1'], 'the UNIQUE id index, for dedupe');
  });
});
