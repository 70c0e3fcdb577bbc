import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { WeComAppClient } from '../../../fakes/wecom-client.js';
import { AES_KEY, AGENT_ID, CORP_ID, SECRET, startWeworktop, TOKEN, type WeworktopHarness } from '../../support/weworktop-harness.js';

const TEMPLATE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/cow/config-template.json');

describe("CoW's current config template, WeCom keys filled in", () => {
  let h: WeworktopHarness;
  before(async () => {
    const template = JSON.parse(readFileSync(TEMPLATE, 'utf8')) as Record<string, unknown>;
    h = await startWeworktop({
      shape: (ours) => {
        const { api_base, host, api_retry_delay_ms } = ours.weworktop as Record<string, unknown>;
        return {
          ...template,
          channel_type: 'wechatcom_app',
          deepseek_api_key: 'sk-deepseek-user-key-0001',
          deepseek_api_base: (ours.open_ai_api_base as string).replace(/\/v1$/, '/v1/'),
          wechatcom_corp_id: CORP_ID,
          wechatcomapp_secret: SECRET,
          wechatcomapp_agent_id: AGENT_ID,
          wechatcomapp_token: TOKEN,
          wechatcomapp_aes_key: AES_KEY,
          wechatcomapp_port: 0,
          data_dir: ours.data_dir,
          // Only what points the channel at the fakes.
          weworktop: { api_base, host, api_retry_delay_ms },
        };
      },
    });
  });
  after(() => h.stop());

  test("answers with the user's DeepSeek model and key, and says at start which provider it chose", async () => {
    await h.client.sendText('zhangsan', 'hello from CoW');
    const [reply] = await h.wecom.waitForSent(1, 5000);
    assert.match(JSON.stringify(reply!.body), /echo: hello from CoW/);
    assert.equal(h.openai.chatRequests()[0]!.model, 'deepseek-v4-flash');
    assert.equal(h.openai.chatAuthorizations()[0], 'Bearer sk-deepseek-user-key-0001');
    const info = h.logs.filter((line) => line.includes('LLM: '));
    assert.equal(info.length, 1);
    assert.match(info[0]!, /INFO .*LLM: DeepSeek at http:\/\/127\.0\.0\.1:\d+\/v1, model deepseek-v4-flash \(by model, as CoW does\)/);
    assert.ok(
      h.logs.some((line) => line.includes('channel_type "wechatcom_app" (CoW\'s WeCom self-built app) runs the weworktop channel')),
    );
    assert.doesNotMatch(h.logs.join(''), /sk-deepseek-user-key-0001/);
    assert.ok(!h.logs.some((line) => line.includes('offline')), 'no offline warning');
  });

  test("CoW's callback path /wxcomapp (and /wxcomapp/) answers too", async () => {
    h.wecom.reset();
    for (const pathname of ['/wxcomapp', '/wxcomapp/']) {
      const cow = new WeComAppClient({
        url: `${h.baseUrl}${pathname}`,
        token: TOKEN,
        encodingAesKey: AES_KEY,
        corpId: CORP_ID,
        agentId: AGENT_ID,
      });
      assert.equal((await cow.verifyUrl('cow-echo')).body, 'cow-echo');
      assert.equal((await cow.sendText('lisi', `via ${pathname}`)).status, 200);
    }
    const sent = await h.wecom.waitForSent(2, 5000);
    assert.deepEqual(
      sent.map((message) => JSON.stringify(message.body).includes('echo: via /wxcomapp')),
      [true, true],
    );
    assert.ok(
      h.logs.some((line) => / \/wework_callback,\/wxcomapp agents=1000002/.test(line)),
      'the listening line names it',
    );
  });

  test("one warning line for the template's keys weworktop does not use", () => {
    const unknown = h.logs.filter((line) => line.includes('not used by weworktop'));
    assert.equal(unknown.length, 1);
    assert.match(unknown[0]!, /WARN .*\d+ config keys are not used by weworktop and ignored; no equivalent: /);
    assert.doesNotMatch(unknown[0]!, /wecom_bot/, "CoW's AI bot keys are read: its long connection");
  });
});
