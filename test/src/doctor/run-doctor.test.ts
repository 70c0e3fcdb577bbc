import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { channelRegistry } from '../../../channels/registry.js';
import { type FakeOpenAI, startFakeOpenAI } from '../../../fakes/fake-openai.js';
import { type FakeWeCom, startFakeWeCom } from '../../../fakes/fake-wecom.js';
import { runDoctor } from '../../../src/doctor/run-doctor.js';
import { closedPort } from '../../support/closed-port.js';
import { doctorConfig, runDoctorOn } from '../../support/doctor-run.js';
import { startRecordingServer } from '../../support/recording-server.js';
import { AGENT_ID, CORP_ID, SECRET } from '../../support/weworktop-harness.js';

const APP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../app.ts');

describe('weworktop doctor: the core checks', () => {
  let wecom: FakeWeCom;
  let openai: FakeOpenAI;
  before(async () => {
    wecom = await startFakeWeCom({ corpId: CORP_ID, apps: [{ agentId: AGENT_ID, secret: SECRET }] });
    openai = await startFakeOpenAI();
  });
  after(async () => {
    await wecom.close();
    await openai.close();
  });
  const config = (core: Record<string, unknown> = {}) => doctorConfig({ wecom, openai }, core);

  test('every check passes against the fakes: exit code 0, one line each', async () => {
    openai.reset();
    const run = await runDoctorOn(config());
    assert.equal(run.code, 0, run.output);
    assert.deepEqual(run.failed(), []);
    assert.deepEqual(
      run.lines.map((line) => line.name),
      [
        'config',
        'data_dir',
        'LLM',
        'ffmpeg',
        `app ${AGENT_ID}: Secret`,
        `app ${AGENT_ID}: AgentId`,
        `app ${AGENT_ID}: trusted IP`,
        'callback URL',
      ],
    );
    assert.match(run.line('LLM').detail, /answered a one-token completion/);
    assert.equal(openai.chatRequests().at(-1)?.max_tokens, 1);
    assert.match(run.line('ffmpeg').detail, /encodes and decodes AMR/);
    assert.equal(run.line('callback URL').status, 'skip');
  });

  test('a wrong LLM key: one ✘ line that names open_ai_api_key', async () => {
    openai.reset();
    openai.requireKey('sk-the-right-key');
    const run = await runDoctorOn(config());
    assert.equal(run.code, 1);
    assert.deepEqual(
      run.failed().map((line) => line.name),
      ['LLM'],
    );
    assert.match(run.line('LLM').detail, /answered 401/);
    assert.match(run.line('LLM').fix!, /open_ai_api_key is wrong/);
    assert.doesNotMatch(run.output, /sk-doctor-test-0001/);
  });

  test('a CoW provider key that is refused is named as written', async () => {
    openai.reset();
    openai.requireKey('sk-the-right-key');
    const run = await runDoctorOn(
      config({
        open_ai_api_key: '',
        open_ai_api_base: '',
        deepseek_api_key: 'sk-deepseek-wrong-0001',
        deepseek_api_base: openai.url,
        model: 'deepseek-chat',
      }),
    );
    assert.match(run.line('LLM').fix!, /deepseek_api_key is wrong/);
  });

  test('an unknown model: 404, and the fix is the model', async () => {
    openai.reset();
    openai.serveModels('gpt-4o');
    const run = await runDoctorOn(config({ model: 'gpt-4o-mini-typo' }));
    assert.deepEqual(
      run.failed().map((line) => line.name),
      ['LLM'],
    );
    assert.match(run.line('LLM').detail, /does not know model "gpt-4o-mini-typo"/);
    assert.match(run.line('LLM').fix!, /set model/);
  });

  test('a base URL without /v1: 404, and the fix adds /v1', async () => {
    openai.reset();
    openai.requireV1();
    const run = await runDoctorOn(config({ open_ai_api_base: openai.url.replace(/\/v1$/, '') }));
    assert.deepEqual(
      run.failed().map((line) => line.name),
      ['LLM'],
    );
    assert.match(run.line('LLM').fix!, /add the version to open_ai_api_base \(http:\/\/127\.0\.0\.1:\d+\/v1\)/);
  });

  test('an unreachable LLM server: the fix is open_ai_api_base', async () => {
    const run = await runDoctorOn(config({ open_ai_api_base: `http://127.0.0.1:${await closedPort()}/v1` }));
    assert.deepEqual(
      run.failed().map((line) => line.name),
      ['LLM'],
    );
    assert.match(run.line('LLM').detail, /cannot reach http:\/\/127\.0\.0\.1:\d+\/v1: ECONNREFUSED/);
    assert.match(run.line('LLM').fix!, /open_ai_api_base/);
  });

  test('an LLM server that does not answer in time: the fix is open_ai_api_base', async () => {
    openai.reset();
    openai.setLatency(5000);
    const run = await runDoctorOn(config(), ['--timeout', '1']);
    openai.setLatency(0);
    assert.deepEqual(
      run.failed().map((line) => line.name),
      ['LLM'],
    );
    assert.match(run.line('LLM').detail, /no answer from .* within 1 s/);
    assert.match(run.line('LLM').fix!, /open_ai_api_base/);
  });

  test('forward.url: ✔ when the site answers HTTP, ✘ naming forward.url when nothing listens', async () => {
    const site = await startRecordingServer((_request, res) => res.writeHead(405).end());
    try {
      const up = await runDoctorOn(config({ forward: { url: `${site.base}/hook`, secret: 's' } }));
      assert.equal(up.line('forward.url').status, 'pass', up.output);
      assert.match(up.line('forward.url').detail, /HTTP 405/);
    } finally {
      site.close();
    }
    const down = await runDoctorOn(config({ forward: { url: `http://127.0.0.1:${await closedPort()}/hook`, secret: 's' } }));
    assert.equal(down.code, 1);
    assert.equal(down.line('forward.url').status, 'fail');
    assert.match(String(down.line('forward.url').fix), /forward\.url/);
  });

  test('no LLM key: the offline responder would answer, and the line says which key to set', async () => {
    const run = await runDoctorOn(config({ open_ai_api_key: '', open_ai_api_base: 'https://api.openai.com/v1' }));
    assert.deepEqual(
      run.failed().map((line) => line.name),
      ['LLM'],
    );
    assert.match(run.line('LLM').detail, /offline responder/);
    assert.equal(run.line('LLM').fix, 'set open_ai_api_key');
  });

  test('a config error: one ✘ line that names the key, and nothing else is checked', async () => {
    const run = await runDoctorOn(config({ port: 'eighty' }));
    assert.equal(run.code, 1);
    assert.equal(run.lines.length, 1);
    assert.equal(run.line('config').status, 'fail');
    assert.match(run.line('config').detail, /^port: expected/);
    assert.match(run.line('config').fix!, /^set port to /);
  });

  test('no config at all: ✘ on the config line, which says what npm start would do instead', async () => {
    let output = '';
    const code = await runDoctor({
      channels: channelRegistry,
      argv: ['--json'],
      env: {},
      cwd: mkdtempSync(path.join(tmpdir(), 'weworktop-doctor-empty-')),
      print: (text) => (output += text),
    });
    assert.equal(code, 1);
    const config = (JSON.parse(output) as { checks: Array<{ name: string; status: string; detail: string; fix?: string }> }).checks[0]!;
    assert.deepEqual([config.name, config.status], ['config', 'fail']);
    assert.match(config.detail, /npm start would run the simulator/);
    assert.match(config.fix!, /cp config\.json\.example config\.json/);
  });

  test('data_dir that cannot be created: ✘ with the way out', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'weworktop-doctor-file-'));
    const file = path.join(dir, 'a-file');
    writeFileSync(file, 'not a folder');
    const run = await runDoctorOn(config({ data_dir: path.join(file, 'data') }));
    assert.deepEqual(
      run.failed().map((line) => line.name),
      ['data_dir'],
    );
    assert.match(run.line('data_dir').detail, /is a file, not a folder/);
    assert.match(run.line('data_dir').fix!, /set data_dir to a folder this user can write/);
  });

  test('voice on with an ffmpeg that cannot run: ✘ naming ffmpeg_path; voice off: skipped', async () => {
    const broken = await runDoctorOn(config({ ffmpeg_path: '/nonexistent/ffmpeg' }));
    assert.deepEqual(
      broken.failed().map((line) => line.name),
      ['ffmpeg'],
    );
    assert.match(broken.line('ffmpeg').detail, /cannot run ffmpeg at \/nonexistent\/ffmpeg/);
    assert.match(broken.line('ffmpeg').fix!, /ffmpeg_path/);
    const off = await runDoctorOn(config({ ffmpeg_path: '/nonexistent/ffmpeg', speech_recognition: false }));
    assert.equal(off.line('ffmpeg').status, 'skip');
    assert.equal(off.code, 0);
  });

  test('node app.js doctor: a ✔ or ✘ line per check with the fix, exit code 1 on a failure', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'weworktop-doctor-cli-'));
    writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({ ...config({ open_ai_api_base: `http://127.0.0.1:${await closedPort()}/v1` }), data_dir: path.join(dir, 'data') }),
    );
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), APP, 'doctor', '--timeout', '3'], {
        cwd: dir,
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
      });
      let out = '';
      child.stdout.on('data', (chunk) => (out += chunk));
      child.on('error', reject);
      child.on('close', (exit) => resolve({ code: exit, stdout: out }));
    });
    assert.equal(code, 1, stdout);
    assert.match(stdout, /^✔ config: .*config\.json is valid \(channel weworktop\)$/m);
    assert.match(stdout, /^✘ LLM: cannot reach .* → fix: check open_ai_api_base/m);
    assert.match(stdout, /^– callback URL: public_url is not set/m);
    assert.match(stdout, /^1 of 8 checks failed \(1 skipped\)\.$/m);
  });
});
