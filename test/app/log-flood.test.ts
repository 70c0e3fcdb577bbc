import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startFakeOpenAI } from '../../fakes/fake-openai.js';
import { startFakeWeCom } from '../../fakes/fake-wecom.js';
import { WeComAppClient } from '../../fakes/wecom-client.js';
import { AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN } from '../support/weworktop-harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FLOOD = 1500;

/** prlimit (util-linux) sets a running process's file-size limit: how a full disk is made here. */
function hasPrlimit(): boolean {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore' });
    return process.platform === 'linux';
  } catch {
    return false;
  }
}

const fakes: Array<{ close(): Promise<void> }> = [];
after(async () => {
  for (const fake of fakes) await fake.close();
});

test('a disk that refuses every write: thousands of failed callbacks make a few log lines, one line each, with the count', {
  skip: !hasPrlimit() && 'needs prlimit on Linux',
}, async () => {
  const wecom = await startFakeWeCom({ corpId: CORP_ID, apps: [{ agentId: AGENT_ID, secret: SECRET }] });
  const openai = await startFakeOpenAI();
  fakes.push(wecom, openai);
  const dir = mkdtempSync(path.join(tmpdir(), 'weworktop-flood-'));
  const config = {
    channel_type: 'weworktop',
    open_ai_api_key: 'sk-test-openai-key-0001',
    open_ai_api_base: openai.url,
    log_level: 'info',
    data_dir: './data',
    weworktop: {
      corp_id: CORP_ID,
      corp_secret: SECRET,
      agent_id: AGENT_ID,
      token: TOKEN,
      aes_key: AES_KEY,
      port: 0,
      host: '127.0.0.1',
      api_base: wecom.url,
    },
  };
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(ROOT, 'app.ts')], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const killer = setTimeout(() => child.kill('SIGKILL'), 100_000);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const check = () => {
        const found = /listening on 127\.0\.0\.1:(\d+)/.exec(stdout);
        if (found) resolve(Number(found[1]));
      };
      child.stdout.on('data', check);
      void exited.then((code) => reject(new Error(`exited with ${code}: ${stdout}${stderr}`)));
    });
    const client = new WeComAppClient({
      url: `http://127.0.0.1:${port}/wework_callback`,
      token: TOKEN,
      encodingAesKey: AES_KEY,
      corpId: CORP_ID,
      agentId: AGENT_ID,
    });
    assert.equal((await client.sendText('zhangsan', '磁盘满之前')).status, 200);
    await wecom.waitForSent(1, 10_000);

    // From here every write to a file fails (EFBIG), as on a full disk.
    execFileSync('prlimit', ['--pid', String(child.pid), '--fsize=0:unlimited']);
    const linesBefore = stdout.split('\n').length;
    let refused = 0;
    for (let sent = 0; sent < FLOOD; sent += 25) {
      const answers = await Promise.all(Array.from({ length: 25 }, (_, i) => client.sendText(`user${(sent + i) % 50}`, `第${sent + i}条`)));
      refused += answers.filter((answer) => answer.status === 500).length;
    }
    assert.ok(refused >= FLOOD - 5, `${refused} of ${FLOOD} callbacks refused`);
    execFileSync('prlimit', ['--pid', String(child.pid), '--fsize=unlimited:unlimited']);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);

    const flood = stdout.split('\n').slice(linesBefore - 1);
    const failed = flood.filter((line) => line.includes('message callback failed'));
    assert.ok(failed.length >= 2 && failed.length <= 4, `${failed.length} lines:\n${failed.join('\n')}`);
    assert.doesNotMatch(stdout, /\n\s+at /, 'no stack trace');
    const counted = failed.map((line) => /\(repeated ([\d,]+) times in the last \d+ s\)$/.exec(line)?.[1]).filter(Boolean);
    assert.equal(
      counted.reduce((sum, n) => sum + Number(n!.replace(/,/g, '')), 0) + failed.length - counted.length,
      refused,
      failed.join('\n'),
    );
    assert.ok(flood.length < 40, `${flood.length} lines for ${FLOOD} callbacks:\n${flood.join('\n')}`);
  } finally {
    clearTimeout(killer);
    child.kill('SIGKILL');
  }
});
