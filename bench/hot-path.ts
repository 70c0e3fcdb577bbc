// Which source files a private text message passes through, callback to message/send: the app
// runs compiled (dist/) under V8 coverage twice, idle and with a few messages; the files with a
// function called once more per message are the message's path. Usage: npm run hot-path [-- --functions]
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFakeOpenAI } from '../fakes/fake-openai.js';
import { startFakeWeCom } from '../fakes/fake-wecom.js';
import { WeComAppClient } from '../fakes/wecom-client.js';
import { closedPort } from '../test/support/closed-port.js';
import { AES_KEY, AGENT_ID, benchConfig, CORP_ID, SECRET, TOKEN } from './bench-app.js';

// npm runs scripts at the package root.
const ROOT = process.cwd();
type Counts = Map<string, Map<string, number>>;

async function run(messages: number): Promise<Counts> {
  const wecom = await startFakeWeCom({ corpId: CORP_ID, apps: [{ agentId: AGENT_ID, secret: SECRET }] });
  const openai = await startFakeOpenAI({});
  const dir = mkdtempSync(path.join(tmpdir(), 'hot-path-'));
  const port = await closedPort();
  const config = benchConfig({ wecomUrl: wecom.url, openaiUrl: openai.url }) as { weworktop: Record<string, unknown> };
  config.weworktop.port = port;
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  const coverage = path.join(dir, 'coverage');
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/app.js')], {
    cwd: dir,
    env: { ...process.env, NODE_V8_COVERAGE: coverage },
    stdio: 'ignore',
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (i > 200) throw new Error('the app did not start');
    // /healthz, not /readyz: readiness asks the channel and the worker, and how often it is polled varies between runs.
    const ok = await fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 1500));
  const client = new WeComAppClient({
    url: `${base}/wework_callback`,
    token: TOKEN,
    encodingAesKey: AES_KEY,
    corpId: CORP_ID,
    agentId: AGENT_ID,
  });
  for (let i = 0; i < messages; i++) await client.sendText('zhangsan', `你好 ${i}`);
  if (messages > 0) await wecom.waitForSent(messages, 10_000);
  await new Promise((r) => setTimeout(r, 500));
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await Promise.all([wecom.close(), openai.close()]);
  const counts: Counts = new Map();
  for (const file of readdirSync(coverage)) {
    const { result } = JSON.parse(readFileSync(path.join(coverage, file), 'utf8')) as {
      result: { url: string; functions: { functionName: string; ranges: { startOffset: number; count: number }[] }[] }[];
    };
    for (const script of result) {
      if (!script.url.includes('/dist/') || script.url.includes('node_modules')) continue;
      const name = script.url.slice(script.url.indexOf('/dist/') + 6);
      const fns = counts.get(name) ?? new Map<string, number>();
      for (const fn of script.functions) {
        const key = `${fn.functionName}@${fn.ranges[0].startOffset}`;
        fns.set(key, (fns.get(key) ?? 0) + fn.ranges[0].count);
      }
      counts.set(name, fns);
    }
  }
  return counts;
}

// Several messages, and only what runs for each of them: timers and one-time loads (the tokenizer's
// ranks on first use) are not the message's path.
const MESSAGES = 5;
const idle = await run(0);
const some = await run(MESSAGES);
/** Each function called at least once more per message, with its calls per message. */
const perMessage = (file: string): Array<[name: string, calls: number]> =>
  [...(some.get(file) ?? [])]
    .map(([fn, n]): [string, number] => [fn.split('@')[0] || '(anonymous)', (n - (idle.get(file)?.get(fn) ?? 0)) / MESSAGES])
    .filter(([, calls]) => calls >= 1);
const touched = [...some.keys()].filter((file) => perMessage(file).length > 0);
console.log(`${touched.length} source files run for each message:`);
// `npm run hot-path -- --functions`: with the functions that put each file on the path.
const functions = process.argv.includes('--functions');
for (const file of touched.sort()) {
  const listed = functions
    ? `  ${perMessage(file)
        .map(([name, calls]) => `${name} ×${calls}`)
        .join(', ')}`
    : '';
  console.log(`  ${file.replace(/\.js$/, '.ts')}${listed}`);
}
