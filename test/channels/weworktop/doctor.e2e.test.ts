import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type FakeOpenAI, startFakeOpenAI } from '../../../fakes/fake-openai.js';
import { type FakeWeCom, startFakeWeCom } from '../../../fakes/fake-wecom.js';
import { closedPort } from '../../support/closed-port.js';
import { doctorConfig, runDoctorOn } from '../../support/doctor-run.js';
import { AES_KEY, AGENT_ID, CORP_ID, SECRET, startWeworktop, TOKEN } from '../../support/weworktop-harness.js';

const OTHER_AGENT = '1000003';
const OTHER_SECRET = 'other-app-secret-0002';
const HIDDEN_AGENT = '1000004';
const HIDDEN_SECRET = 'hidden-app-secret-0003';
const UNTRUSTED =
  'not allow to access from your ip, hint: [1700000000_1_abc], from ip: 203.0.113.7, more info at https://open.work.weixin.qq.com/devtool/query?e=60020';

describe('weworktop doctor: the WeCom checks, each failure one ✘ line with its fix', () => {
  let wecom: FakeWeCom;
  let openai: FakeOpenAI;
  before(async () => {
    wecom = await startFakeWeCom({
      corpId: CORP_ID,
      apps: [
        { agentId: AGENT_ID, secret: SECRET, name: '智能助手', visible: { users: ['zhangsan', 'lisi'], departments: [2] } },
        { agentId: OTHER_AGENT, secret: OTHER_SECRET },
        { agentId: HIDDEN_AGENT, secret: HIDDEN_SECRET, visible: {} },
      ],
    });
    openai = await startFakeOpenAI();
  });
  after(async () => {
    await wecom.close();
    await openai.close();
  });
  const doctor = (section: Record<string, unknown> = {}, core: Record<string, unknown> = {}) =>
    runDoctorOn(doctorConfig({ wecom, openai }, { speech_recognition: false, ...core }, section));
  const app = (check: string, agent = AGENT_ID) => `app ${agent}: ${check}`;

  test('right credentials: the Secret, the AgentId with its visible range and the trusted IP pass', async () => {
    wecom.reset();
    const run = await doctor();
    assert.equal(run.code, 0, run.output);
    assert.match(run.line(app('Secret')).detail, /gettoken issued an access token: corp_id and weworktop\.corp_secret are right/);
    assert.match(
      run.line(app('AgentId')).detail,
      /AgentId 1000002 is "智能助手" of this Secret, visible to 2 member\(s\), 1 department\(s\), 0 tag\(s\)/,
    );
    assert.equal(run.line(app('trusted IP')).status, 'pass');
  });

  test('a wrong secret: one ✘ (40001) naming weworktop.corp_secret; the lines after it are skipped', async () => {
    const run = await doctor({ corp_secret: 'not-the-app-secret' });
    assert.equal(run.code, 1);
    assert.deepEqual(
      run.failed().map((line) => line.name),
      [app('Secret')],
    );
    assert.match(run.line(app('Secret')).detail, /errcode 40001/);
    assert.match(run.line(app('Secret')).fix!, /copy this app's Secret .* into weworktop\.corp_secret/);
    assert.equal(run.line(app('AgentId')).status, 'skip');
    assert.equal(run.line(app('trusted IP')).status, 'skip');
    assert.doesNotMatch(run.output, /not-the-app-secret/);
  });

  test('a wrong secret of an extra app names its place in weworktop.agents', async () => {
    const run = await doctor({ agents: [{ agent_id: OTHER_AGENT, corp_secret: 'wrong-secret-of-agent', token: TOKEN, aes_key: AES_KEY }] });
    assert.deepEqual(
      run.failed().map((line) => line.name),
      [app('Secret', OTHER_AGENT)],
    );
    assert.match(run.line(app('Secret', OTHER_AGENT)).fix!, /weworktop\.agents\[0\]\.corp_secret/);
  });

  test('a wrong corp id: one ✘ (40013) naming weworktop.corp_id', async () => {
    const run = await doctor({ corp_id: 'wwnotthiscorp00000' });
    assert.deepEqual(
      run.failed().map((line) => line.name),
      [app('Secret')],
    );
    assert.match(run.line(app('Secret')).fix!, /weworktop\.corp_id/);
  });

  test('a wrong AgentId (another app of the corp): one ✘ on the AgentId, the secret passes', async () => {
    const run = await doctor({ agent_id: OTHER_AGENT });
    assert.deepEqual(
      run.failed().map((line) => line.name),
      [app('AgentId', OTHER_AGENT)],
    );
    assert.match(run.line(app('AgentId', OTHER_AGENT)).detail, /answered errcode 60011 .*AgentId 1000003 is not the app of this Secret/);
    assert.match(
      run.line(app('AgentId', OTHER_AGENT)).fix!,
      /from the same app page .* into weworktop\.agent_id and weworktop\.corp_secret/,
    );
    assert.equal(run.line(app('Secret', OTHER_AGENT)).status, 'pass');
  });

  test('an app nobody can see: ✘ with the console page of its visible range', async () => {
    const run = await doctor({ agent_id: HIDDEN_AGENT, corp_secret: HIDDEN_SECRET });
    assert.deepEqual(
      run.failed().map((line) => line.name),
      [app('AgentId', HIDDEN_AGENT)],
    );
    assert.match(run.line(app('AgentId', HIDDEN_AGENT)).detail, /visible range is empty: nobody can message it/);
    assert.match(run.line(app('AgentId', HIDDEN_AGENT)).fix!, /可见范围/);
  });

  test('60020 on agent/get: one ✘ with the IP WeCom saw, the console page and weworktop.proxy', async () => {
    wecom.reset();
    wecom.injectError('agent/get', { errcode: 60020, errmsg: UNTRUSTED });
    const run = await doctor();
    assert.deepEqual(
      run.failed().map((line) => line.name),
      [app('trusted IP')],
    );
    assert.match(run.line(app('trusted IP')).detail, /WeCom refused this server's IP 203\.0\.113\.7/);
    assert.match(
      run.line(app('trusted IP')).fix!,
      /add 203\.0\.113\.7 to the app's trusted IPs \(https:\/\/work\.weixin\.qq\.com\/wework_admin\/frame#apps → the app → 企业可信IP.*or set weworktop\.proxy/,
    );
    assert.equal(run.line(app('AgentId')).status, 'skip');
  });

  test('60020 on gettoken: the ✘ is the trusted IP line too', async () => {
    wecom.reset();
    wecom.injectError('gettoken', { errcode: 60020, errmsg: UNTRUSTED });
    const run = await doctor();
    assert.deepEqual(
      run.failed().map((line) => line.name),
      [app('trusted IP')],
    );
    assert.equal(run.line(app('Secret')).status, 'skip');
  });

  test('the WeCom API out of reach: one ✘ that names api_base and the proxy', async () => {
    const run = await doctor({ api_base: `http://127.0.0.1:${await closedPort()}` });
    assert.deepEqual(
      run.failed().map((line) => line.name),
      [app('Secret')],
    );
    assert.match(run.line(app('Secret')).detail, /did not reach WeCom at http:\/\/127\.0\.0\.1:\d+/);
    assert.match(run.line(app('Secret')).fix!, /weworktop\.proxy/);
  });

  test('public_url where nothing answers: ✘ on the callback URL', async () => {
    wecom.reset();
    const run = await doctor({}, { public_url: `http://127.0.0.1:${await closedPort()}` });
    assert.deepEqual(
      run.failed().map((line) => line.name),
      [app('callback URL')],
    );
    assert.match(run.line(app('callback URL')).detail, /nothing listens at 127\.0\.0\.1:\d+/);
    assert.match(run.line(app('callback URL')).fix!, /weworktop must be running/);
  });

  test("public_url of a running weworktop: the app's and the AI bot's URLs answer the console's check", async () => {
    wecom.reset();
    const bot = { token: 'BotToken1', aes_key: AES_KEY };
    const running = await startWeworktop({ wecom, openai, weworktop: { bot } });
    try {
      const run = await doctor({ bot }, { public_url: `${running.baseUrl}/` });
      assert.equal(run.code, 0, run.output);
      assert.match(
        run.line(app('callback URL')).detail,
        new RegExp(`^${running.baseUrl}/wework_callback answered the console's URL check in \\d+ ms$`),
      );
      assert.match(run.line('AI bot: callback URL').detail, /\/wework_bot_callback answered the console's URL check/);
      // The same URL with other keys is refused by the running app: what a copy-paste slip looks like.
      const slip = await doctor({ token: 'OtherToken1', bot }, { public_url: running.baseUrl });
      assert.deepEqual(
        slip.failed().map((line) => line.name),
        [app('callback URL')],
      );
      assert.match(slip.line(app('callback URL')).detail, /refused as not signed by WeCom/);
    } finally {
      await running.stop();
    }
  });
});
