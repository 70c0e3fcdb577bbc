import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { afterEach, describe, test } from 'node:test';
import { startFakeWeCom } from '../../../fakes/fake-wecom.js';
import { AGENT_ID, CORP_ID, eventually, SECRET, startWeworktop, type WeworktopHarness } from '../../support/weworktop-harness.js';

let harness: WeworktopHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const lines = (h: WeworktopHarness, text: string) => h.logs.filter((line) => line.includes(text));

describe('start-up check: one access token at start, its outcome in one line', () => {
  test('right credentials: an INFO line says WeCom issued a token', async () => {
    harness = await startWeworktop();
    await eventually(() => assert.equal(lines(harness!, 'start-up check').length, 1, 'one line'));
    assert.match(
      lines(harness, 'start-up check')[0]!,
      /INFO .*start-up check: WeCom issued an access token for agent 1000002: corp_id and corp_secret are right/,
    );
    assert.equal(harness.wecom.tokenFetches(AGENT_ID), 1);
  });

  test('40001: the ERROR line says the secret of this app is wrong, once', async () => {
    harness = await startWeworktop({ weworktop: { corp_secret: 'not-the-app-secret' } });
    await eventually(() => assert.equal(lines(harness!, 'start-up check').length, 1, 'one line'));
    const [line] = lines(harness, 'start-up check');
    assert.match(
      line!,
      /ERROR .*start-up check: no access token, so no reply can be sent: WeCom gettoken failed: errcode 40001: invalid credential; corp_secret is wrong for app 1000002: copy the Secret of this app/,
    );
    assert.equal(lines(harness, 'corp_secret is wrong').length, 1, 'the meaning is logged once');
    assert.doesNotMatch(harness.logs.join(''), /not-the-app-secret/);
  });

  test('40013: the corp id is named', async () => {
    harness = await startWeworktop({ weworktop: { corp_id: 'wwnotthiscorp00000' } });
    await eventually(() => assert.equal(lines(harness!, 'start-up check').length, 1, 'one line'));
    assert.match(
      lines(harness, 'start-up check')[0]!,
      /errcode 40013: invalid corpid; corp_id is wrong: copy 企业ID from 我的企业 → 企业信息/,
    );
  });

  test('60020: the line gives the IP WeCom saw and both fixes', async () => {
    const wecom = await startFakeWeCom({ corpId: CORP_ID, apps: [{ agentId: AGENT_ID, secret: SECRET }] });
    wecom.injectError('gettoken', {
      errcode: 60020,
      errmsg:
        'not allow to access from your ip, hint: [1700000000_1_abc], from ip: 203.0.113.7, more info at https://open.work.weixin.qq.com/devtool/query?e=60020',
    });
    try {
      harness = await startWeworktop({ wecom });
      await eventually(() => assert.equal(lines(harness!, 'start-up check').length, 1, 'one line'));
      assert.match(
        lines(harness, 'start-up check')[0]!,
        /errcode 60020: .*WeCom refused this server's IP 203\.0\.113\.7: add 203\.0\.113\.7 to the app's trusted IPs \(应用管理 → your app → 企业可信IP\), or set weworktop\.proxy/,
      );
    } finally {
      await harness?.stop();
      harness = undefined;
      await wecom.close();
    }
  });

  test('a slow gettoken delays neither the listening port nor the acks', async () => {
    const wecom = await startFakeWeCom({ corpId: CORP_ID, apps: [{ agentId: AGENT_ID, secret: SECRET }] });
    wecom.setLatency('gettoken', 4000);
    try {
      harness = await startWeworktop({ wecom });
      assert.equal((await harness.client.verifyUrl('echo-before-check')).body, 'echo-before-check');
      assert.equal((await harness.client.sendText('zhangsan', 'hi')).status, 200);
      assert.equal(lines(harness, 'start-up check').length, 0, 'the check is still waiting for gettoken');
      await eventually(() => assert.equal(lines(harness!, 'start-up check').length, 1, 'then it reports'), 8000);
    } finally {
      await harness?.stop();
      harness = undefined;
      await wecom.close();
    }
  });
});

describe('first deployment hints', () => {
  test('after "listening", the URL to enter in the console and the command that checks it', async () => {
    harness = await startWeworktop({ weworktop: { bot: { token: 'BotToken1', aes_key: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C' } } });
    const [hint] = lines(harness, 'WeCom console');
    assert.ok(hint, harness.logs.join(''));
    const port = harness.port;
    assert.ok(
      hint.includes(
        `URL: http://YOUR_SERVER:${port}/wework_callback for agent 1000002; AI bot (智能机器人 → API 模式): http://YOUR_SERVER:${port}/wework_bot_callback`,
      ),
      hint,
    );
    assert.match(hint, /check it from this machine first: npm run simulate -- --config \/\S+\/config\.json \(add --bot for the AI bot\)/);
  });

  test('with public_url the URLs are the public ones, and npm run doctor checks them', async () => {
    harness = await startWeworktop({ config: { public_url: 'https://bot.example.com/' } });
    const [hint] = lines(harness, 'WeCom console');
    assert.ok(hint?.includes('URL: https://bot.example.com/wework_callback for agent 1000002;'), hint);
    assert.match(
      hint!,
      /check it from this machine first: npm run doctor -- --config \/\S+\/config\.json \(checks them through public_url, as WeCom will\)/,
    );
  });

  test('a port in use stops start-up with one line naming weworktop.port', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      await assert.rejects(startWeworktop({ weworktop: { port } }), (error: Error) => {
        assert.equal(
          error.message,
          `config error: weworktop.port (port): expected a free port, found ${port}, which another process listens on (EADDRINUSE: another weworktop still running?)`,
        );
        return true;
      });
      await assert.rejects(
        startWeworktop({
          shape: ({ weworktop, ...rest }) => ({
            ...rest,
            weworktop: { ...(weworktop as object), port: undefined },
            wechatcomapp_port: port,
          }),
        }),
        /^ConfigError: config error: wechatcomapp_port \(port\): expected a free port/,
        "written as CoW's key, named as CoW's key",
      );
    } finally {
      blocker.close();
    }
  });

  test('no LLM with WeCom credentials: a WARN at start, and each offline answer says why', async () => {
    harness = await startWeworktop({
      config: { open_ai_api_key: '', open_ai_api_base: 'https://api.openai.com/v1', model: 'deepseek-v4-flash' },
    });
    const warn = lines(harness, 'offline responder');
    assert.equal(warn.length, 1, harness.logs.join(''));
    assert.match(
      warn[0]!,
      /WARN .*model "deepseek-v4-flash" is DeepSeek's and deepseek_api_key is empty, so WeCom users get the offline responder's answers \("\[离线模式\] …", not a model's\); set deepseek_api_key/,
    );
    await harness.client.sendText('zhangsan', '你好');
    const [reply] = await harness.wecom.waitForSent(1, 5000);
    const text = JSON.stringify(reply!.body);
    assert.match(text, /\[离线模式\]/);
    assert.match(text, /还没有接入大模型（deepseek_api_key 为空）：管理员设置 deepseek_api_key 后，这里就是真正的回答/);
    assert.equal(harness.openai.chatRequests().length, 0);
  });
});
