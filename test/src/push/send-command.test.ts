import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type FakeWeCom, startFakeWeCom } from '../../../fakes/fake-wecom.js';
import { appSection, writeConfigFile } from '../../support/app-process.js';
import { sendCommand } from '../../support/push-client.js';
import { AGENT_ID, CORP_ID, SECRET } from '../../support/weworktop-harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const ROBOT_KEY = '5f1c2a9e-aaaa-4bbb-8ccc-0123456789ab';

describe('weworktop send: one message from the config, no server', () => {
  let wecom: FakeWeCom;
  let configFile: string;
  before(async () => {
    wecom = await startFakeWeCom({ corpId: CORP_ID, apps: [{ agentId: AGENT_ID, secret: SECRET }] });
    configFile = writeConfigFile({ weworktop: appSection(wecom.url, { webhooks: { ops: ROBOT_KEY } }) }, 'weworktop-send-');
  });
  after(() => wecom.close());
  beforeEach(() => wecom.reset());

  const send = (...args: string[]) => sendCommand(configFile, ...args);

  it('exits 0 once WeCom accepted the text', async () => {
    const { code, output } = await send('--to', 'user:alice', '--text', 'backup done');
    assert.equal(code, 0, output);
    assert.match(output, /sent to user:alice/);
    assert.equal(wecom.sent[0]!.touser, 'alice');
    assert.deepEqual(wecom.sent[0]!.body.text, { content: 'backup done' });
  });

  it('sends to several users and to a group robot', async () => {
    assert.equal((await send('--to', 'users:alice,bob', '--text', 'x')).code, 0);
    assert.equal(wecom.sent[0]!.touser, 'alice|bob');
    assert.equal((await send('--to', 'webhook:ops', '--markdown', '**done**')).code, 0);
    assert.equal(wecom.robotMessages[0]!.key, ROBOT_KEY);
  });

  it('exits 1 with WeCom’s errcode and words when it refuses', async () => {
    wecom.injectError('message/send', { errcode: 81013, errmsg: 'user & party & tag all invalid' });
    const { code, output } = await send('--to', 'user:ghost', '--text', 'x');
    assert.equal(code, 1);
    assert.match(output, /errcode 81013: user & party & tag all invalid/);
  });

  it('exits 2 for a wrong --to, naming it', async () => {
    const { code, output } = await send('--to', 'user:a b', '--text', 'x');
    assert.equal(code, 2);
    assert.match(output, /--to user: expected a WeCom user id/);
    assert.equal((await send('--to', 'webhook:nope', '--text', 'x')).code, 2);
    assert.equal(wecom.sent.length + wecom.robotMessages.length, 0);
  });

  it('runs as `node app.js send` (through tsx here) with the exit code of the send', async () => {
    const run = promisify(execFile);
    const { stderr } = await run(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'app.ts'), 'send', '--config', configFile, '--to', 'party:2', '--text', 'from cron'],
      { cwd: ROOT, env: { PATH: process.env.PATH } },
    );
    assert.match(stderr, /sent to party:2/);
    assert.equal(wecom.sent[0]!.body.toparty, '2');
    await assert.rejects(
      run(
        process.execPath,
        ['--import', 'tsx', path.join(ROOT, 'app.ts'), 'send', '--config', configFile, '--to', 'fax:1', '--text', 'x'],
        {
          cwd: ROOT,
          env: { PATH: process.env.PATH },
        },
      ),
      (error: { code?: number }) => error.code === 2,
    );
  });
});
