import assert from 'node:assert/strict';
import { randomFillSync } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { startFakeOpenAI } from '../../fakes/fake-openai.js';
import { startFakeWeCom } from '../../fakes/fake-wecom.js';
import { AGENT_ID, CORP_ID, eventually, SECRET, startWeworktop } from '../support/weworktop-harness.js';

const fakes: Array<{ close(): Promise<void> }> = [];
after(async () => {
  for (const fake of fakes) await fake.close();
});

/** Overwrites one of the inbox table's pages in the middle with noise: the damage a bad disk leaves. */
function damageInboxPage(file: string): void {
  const db = new Database(file, { readonly: true });
  const pages = (
    db.prepare("SELECT pageno FROM dbstat WHERE name = 'inbox' AND pagetype = 'leaf' ORDER BY pageno").all() as Array<{ pageno: number }>
  ).map((row) => row.pageno);
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  assert.ok(pages.length >= 4, `the inbox spans ${pages.length} leaf pages`);
  const fd = openSync(file, 'r+');
  writeSync(fd, randomFillSync(Buffer.alloc(pageSize)), 0, pageSize, (pages[Math.floor(pages.length / 2)]! - 1) * pageSize);
  closeSync(fd);
}

test('a damaged inbox stops start-up with one line: which file, what to do, how many pending messages could still be read', async () => {
  const wecom = await startFakeWeCom({ corpId: CORP_ID, apps: [{ agentId: AGENT_ID, secret: SECRET }] });
  const openai = await startFakeOpenAI();
  fakes.push(wecom, openai);
  const first = await startWeworktop({ wecom, openai, config: { shutdown_timeout: 0, concurrency: 1 } });
  openai.setLatency(10_000);
  const count = 40;
  for (let i = 0; i < count; i++) assert.equal((await first.client.sendText(`user${i}`, `第${i}个问题 ${'x'.repeat(600)}`)).status, 200);
  await eventually(() => assert.equal(openai.chatRequests().length, 1));
  await first.stop();

  const file = path.join(first.dataDir, 'weworktop.db');
  damageInboxPage(file);
  openai.setLatency(0);
  const error = await startWeworktop({ wecom, openai, dataDir: first.dataDir }).then(
    () => assert.fail('started on a damaged inbox'),
    (caught: Error) => caught,
  );
  const found = new RegExp(
    `^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is damaged \\(.*\\): move it aside \\(mv \\S+ \\S+\\.broken\\) and start again, a new one is created; the pending messages in it are lost, (\\d+) could be read \\(sqlite3's \\.recover may save them\\)$`,
  ).exec(error.message);
  assert.ok(found, error.message);
  const readable = Number(found[1]);
  assert.ok(readable > 0 && readable < count, `${readable} of ${count}`);
});
