import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { startFakeOpenAI } from '../../../../fakes/fake-openai.js';
import { BOT_ID, BOT_SECRET, contentOf, GROUP, startFakeBots } from '../../../support/aibot-ws-harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const APP = path.join(ROOT, 'app.ts');

/** The real entry point in a child process; resolves once its log says the bot is connected. */
function startApp(configPath: string): Promise<{ child: ChildProcess; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), APP, '--config', configPath], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('aibot ws: connected')) resolve({ child, output: () => output });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`app exited (${code}) before connecting:\n${output}`)));
  });
}

describe('AI bot long connection: kill -9', () => {
  const cleanup: Array<() => unknown> = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  test('messages taken in before a kill -9 are answered after the restart, proactively (the req_ids died with the process), once each', async () => {
    const ws = await startFakeBots();
    const openai = await startFakeOpenAI();
    cleanup.push(
      () => ws.close(),
      () => openai.close(),
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'weworktop-ws-kill-'));
    const configPath = path.join(dir, 'config.json');
    const config = {
      channel_type: 'weworktop',
      open_ai_api_key: 'sk-test-openai-key-0001',
      open_ai_api_base: openai.url,
      max_retries: 0,
      data_dir: path.join(dir, 'data'),
      log_level: 'info',
      group_name_white_list: ['ALL_GROUP'],
      weworktop: { host: '127.0.0.1', port: 0, bot: { bot_id: BOT_ID, secret: BOT_SECRET, ws_url: ws.url } },
    };
    writeFileSync(configPath, JSON.stringify(config));
    openai.setLatency(5000);
    const first = await startApp(configPath);
    cleanup.push(() => first.child.kill('SIGKILL'));
    await ws.waitFor(() => ws.subscribed(BOT_ID), 'the first subscription');
    const pushed = [
      ws.pushMessage(BOT_ID, { chattype: 'single', from: { userid: 'u1' }, msgtype: 'text', text: { content: 'one' } }),
      ws.pushMessage(BOT_ID, { chattype: 'single', from: { userid: 'u2' }, msgtype: 'text', text: { content: 'two' } }),
      ws.pushMessage(BOT_ID, {
        chattype: 'group',
        chatid: GROUP,
        from: { userid: 'u3' },
        msgtype: 'text',
        text: { content: '@bot three' },
      }),
    ];
    await ws.waitFor(() => (first.output().match(/AI bot message received/g) ?? []).length === 3, 'the three messages stored', 10_000);
    first.child.kill('SIGKILL');
    await ws.waitFor(() => !ws.subscribed(BOT_ID), 'the dead connection closed');
    openai.setLatency(0);

    const second = await startApp(configPath);
    cleanup.push(() => second.child.kill('SIGKILL'));
    const sent = await ws.waitFor(() => ws.proactive().length >= 3 && ws.proactive(), 'three proactive answers', 15_000);
    await sleep(500);
    const delivered = ws.proactive().map((frame) => [frame.body?.chatid, frame.body?.chat_type, contentOf(frame)]);
    assert.equal(sent.length, 3);
    assert.deepEqual(
      delivered.sort(),
      [
        ['u1', 1, 'echo: one'],
        ['u2', 1, 'echo: two'],
        [GROUP, 2, 'echo: three'],
      ].sort(),
    );
    for (const reqId of pushed) assert.deepEqual(ws.replies(reqId), [], 'nothing on the dead req_ids');
    assert.match(second.output(), /replaying messages left pending by the last run count=3/);
  });
});
