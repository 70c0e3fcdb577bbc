import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { WeComCrypto } from '../../channels/weworktop/wecom/crypto.js';
import { buildXml } from '../../channels/weworktop/wecom/xml.js';
import { startFakeServer } from '../../fakes/http-fake.js';
import { type SimulateOptions, simulate } from '../../simulator/simulate.js';
import { AES_KEY, AGENT_ID, CORP_ID, startWeworktop, TOKEN, type WeworktopHarness } from '../support/weworktop-harness.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../simulator/simulate-cli.ts');

async function run(options: Partial<SimulateOptions> & { url: string }): Promise<{ ok: boolean; output: string }> {
  const lines: string[] = [];
  const ok = await simulate(
    { token: TOKEN, aesKey: AES_KEY, corpId: CORP_ID, agentId: AGENT_ID, user: 'zhangsan', text: 'hello', timeoutMs: 5000, ...options },
    (line) => lines.push(line),
  );
  return { ok, output: lines.join('\n') };
}

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), CLI, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe("npm run simulate -- --bot: checks the AI bot's URL as WeCom would", () => {
  let h: WeworktopHarness;
  before(async () => {
    h = await startWeworktop({ weworktop: { bot: { token: 'BotToken1', aes_key: AES_KEY } } });
  });
  after(() => h.stop());

  test('the URL check, a message, and the stream polled until finished', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'weworktop-simulate-')), 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        channel_type: 'weworktop',
        open_ai_api_key: 'sk-x',
        weworktop: {
          corp_id: CORP_ID,
          corp_secret: 's',
          agent_id: AGENT_ID,
          token: TOKEN,
          aes_key: AES_KEY,
          port: h.port,
          bot: { token: 'BotToken1', aes_key: AES_KEY },
        },
      }),
    );
    const result = await runCli(['--config', file, '--bot', '--text', 'hello bot']);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`GET http://127\\.0\\.0\\.1:${h.port}/wework_bot_callback\\?msg_signature=`));
    assert.match(result.stdout, /✓ a stream opened/);
    assert.match(result.stdout, /✓ finished: "echo: hello bot"/);
    const wrong = await runCli(['--config', file, '--bot', '--token', 'WrongToken']);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stdout, /→ HTTP 401[\s\S]*✗ refused as not signed by WeCom/);
  });
});

describe('npm run simulate: checks a deployment as WeCom would', () => {
  let h: WeworktopHarness;
  let url: string;
  before(async () => {
    h = await startWeworktop();
    url = `${h.baseUrl}/wework_callback`;
  });
  after(() => h.stop());

  test('a correct server passes the URL check and takes the message, which the bot then answers', async () => {
    const { ok, output } = await run({ url, text: 'from simulate' });
    assert.ok(ok, output);
    assert.match(output, /GET http:\/\/127\.0\.0\.1:\d+\/wework_callback\?msg_signature=[0-9a-f]{40}&timestamp=\d+&nonce=\d+&echostr=/);
    assert.match(output, /✓ verified: the server decrypted the echostr and answered it exactly/);
    assert.match(output, /→ HTTP 200 in \d+ ms, body ""/);
    assert.match(output, /Result: OK/);
    const [reply] = await h.wecom.waitForSent(1);
    assert.equal(reply!.touser, 'zhangsan');
    assert.match(JSON.stringify(reply!.body), /echo: from simulate/);
  });

  test('a wrong token, corp id or path fails with what to check', async () => {
    const badToken = await run({ url, token: 'wrongtoken' });
    assert.equal(badToken.ok, false);
    assert.match(badToken.output, /→ HTTP 401[\s\S]*✗ refused as not signed by WeCom.*token, aes_key and corp_id[\s\S]*Result: FAILED/);
    assert.match((await run({ url, corpId: 'ww0000000000000000' })).output, /✗ refused as not signed by WeCom/);
    assert.match((await run({ url: `${h.baseUrl}/wrong_path` })).output, /✗ nothing at this path.*callback_path/);
  });

  test('nothing listening is a failure that says so', async () => {
    const server = await startFakeServer(() => ({ body: '' }));
    const closedUrl = server.url;
    await server.close();
    const { ok, output } = await run({ url: `${closedUrl}/wework_callback` });
    assert.equal(ok, false);
    assert.match(output, /✗ nothing listens at 127\.0\.0\.1:\d+/);
  });

  test('an echo that is quoted, or a passive reply, are judged like WeCom would', async () => {
    const crypto = new WeComCrypto({ token: TOKEN, encodingAesKey: AES_KEY, receiveId: CORP_ID });
    const server = await startFakeServer((request) => {
      if (request.method === 'GET')
        return {
          body: JSON.stringify(
            crypto.verifyUrl({
              msg_signature: request.query.get('msg_signature')!,
              timestamp: request.query.get('timestamp')!,
              nonce: request.query.get('nonce')!,
              echostr: request.query.get('echostr')!,
            }),
          ),
        };
      return { body: '' };
    });
    const quoted = await run({ url: server.url });
    await server.close();
    assert.equal(quoted.ok, false);
    assert.match(quoted.output, /✗ the answer must be exactly the decrypted echostr "\d+", but it is wrapped in something/);

    const passive = await startFakeServer((request) => {
      if (request.method === 'GET')
        return {
          body: crypto.verifyUrl({
            msg_signature: request.query.get('msg_signature')!,
            timestamp: request.query.get('timestamp')!,
            nonce: request.query.get('nonce')!,
            echostr: request.query.get('echostr')!,
          }),
        };
      const encrypt = crypto.encrypt('<xml><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[passive hi]]></Content></xml>');
      return {
        body: buildXml({
          Encrypt: encrypt,
          MsgSignature: crypto.signature('1409659813', 'n1', encrypt),
          TimeStamp: 1409659813,
          Nonce: 'n1',
        }),
      };
    });
    const replied = await run({ url: passive.url });
    await passive.close();
    assert.ok(replied.ok, replied.output);
    assert.match(replied.output, /passive reply, decrypted: .*passive hi/);
  });

  test("--config fills token, key, corp id, agent id, port and path from the deployment's config", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'weworktop-simulate-')), 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        channel_type: 'wechatcom_app',
        wechatcom_corp_id: CORP_ID,
        wechatcomapp_secret: 's',
        wechatcomapp_agent_id: AGENT_ID,
        wechatcomapp_token: TOKEN,
        wechatcomapp_aes_key: AES_KEY,
        wechatcomapp_port: h.port,
        weworktop: { host: '127.0.0.1' },
      }),
    );
    const result = await runCli(['--config', file, '--text', 'via --config']);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`GET http://127\\.0\\.0\\.1:${h.port}/wework_callback\\?msg_signature=`));
    assert.match(result.stdout, /Result: OK/);
    const noBot = await runCli(['--config', file, '--bot']);
    assert.equal(noBot.code, 2);
    assert.equal(noBot.stderr.trim(), 'simulate: --bot needs weworktop.bot.token and weworktop.bot.aes_key in the config');
  });

  test('the CLI exits 0 on success, 1 on failure and 2 on bad arguments', async () => {
    const args = ['--url', url, '--token', TOKEN, '--aes-key', AES_KEY, '--corp-id', CORP_ID, '--agent-id', AGENT_ID];
    const good = await runCli(args);
    assert.equal(good.code, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /Result: OK/);
    const bad = await runCli([...args.slice(0, 2), '--token', 'wrongtoken', ...args.slice(4)]);
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    const usage = await runCli(['--url', url, '--aes-key', 'short']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /simulate: missing --token, --corp-id/);
    assert.match(usage.stderr, /npm run simulate -- --url URL/);
  });
});
