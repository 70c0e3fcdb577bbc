import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, mock, test } from 'node:test';
import Database from 'better-sqlite3';
import { createLogger } from '../../../src/logger.js';
import { conversationTtlSeconds, scheduleRetention } from '../../../src/session/retention.js';
import { openSessionsDatabase } from '../../../src/store/sqlite-database.js';
import { eventually, startWeworktop } from '../../support/weworktop-harness.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('retention_days', () => {
  test('bounds how long an idle conversation is kept, with expires_in_seconds (the shorter wins; 0 is no bound)', () => {
    const table: Array<[number, number, number]> = [
      [0, 0, 0],
      [3600, 0, 3600],
      [0, 30, 30 * 86400],
      [3600, 30, 3600],
      [90 * 86400, 30, 30 * 86400],
    ];
    for (const [expires, days, expected] of table)
      assert.equal(conversationTtlSeconds({ expires_in_seconds: expires, retention_days: days }), expected, `${expires} s, ${days} days`);
  });

  test('runs at start and then once a day; 0 never runs', () => {
    mock.timers.enable({ apis: ['setInterval'] });
    try {
      let runs = 0;
      const logger = createLogger({ level: 'silent' });
      const off = scheduleRetention(0, () => runs++, logger);
      assert.equal(runs, 0);
      off.stop();
      const daily = scheduleRetention(7, () => runs++, logger);
      assert.equal(runs, 1, 'at start');
      mock.timers.tick(DAY_MS - 1);
      assert.equal(runs, 1);
      mock.timers.tick(1);
      assert.equal(runs, 2, 'a day later');
      daily.stop();
      mock.timers.tick(DAY_MS);
      assert.equal(runs, 2, 'stopped');
    } finally {
      mock.timers.reset();
    }
  });

  test('the app deletes conversations idle longer than retention_days from sessions.db, and keeps the others', async () => {
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'weworktop-retention-')), 'data');
    const db = openSessionsDatabase(dataDir);
    const save = db.prepare('INSERT INTO sessions (id, turns, last_active) VALUES (?, ?, ?)');
    const turns = JSON.stringify([{ message: { role: 'user', content: 'old words' }, tokens: 3 }]);
    save.run('1000002:zhangsan', turns, Date.now() - 40 * DAY_MS);
    save.run('1000002:lisi', turns, Date.now() - 2 * DAY_MS);
    db.close();
    const ids = () => {
      const reader = new Database(path.join(dataDir, 'sessions.db'), { readonly: true });
      try {
        return (reader.prepare('SELECT id FROM sessions ORDER BY id').all() as Array<{ id: string }>).map((row) => row.id);
      } finally {
        reader.close();
      }
    };

    const keeping = await startWeworktop({ dataDir, config: { log_level: 'info' } });
    await keeping.stop();
    assert.deepEqual(ids(), ['1000002:lisi', '1000002:zhangsan'], 'retention_days 0 (the default): kept');

    const harness = await startWeworktop({ dataDir, config: { log_level: 'info', retention_days: 30 } });
    try {
      await eventually(() => assert.deepEqual(ids(), ['1000002:lisi'], 'the 40-day-old conversation is deleted at start'), 5000);
      assert.ok(
        harness.logs.some((line) => /INFO .*retention: conversations idle longer were deleted retention_days=30/.test(line)),
        harness.logs.join(''),
      );
    } finally {
      await harness.stop();
    }
  });
});
