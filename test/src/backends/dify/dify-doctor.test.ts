import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type FakeDify, startFakeDify } from '../../../../fakes/fake-dify.js';
import { type FakeOpenAI, startFakeOpenAI } from '../../../../fakes/fake-openai.js';
import { type FakeWeCom, startFakeWeCom } from '../../../../fakes/fake-wecom.js';
import { doctorConfig, runDoctorOn } from '../../../support/doctor-run.js';
import { AGENT_ID, CORP_ID, SECRET } from '../../../support/weworktop-harness.js';

describe('weworktop doctor with a Dify app', () => {
  let wecom: FakeWeCom;
  let openai: FakeOpenAI;
  let dify: FakeDify;
  before(async () => {
    wecom = await startFakeWeCom({
      corpId: CORP_ID,
      apps: [
        { agentId: AGENT_ID, secret: SECRET },
        { agentId: '1000003', secret: 'second-app-secret' },
      ],
    });
    openai = await startFakeOpenAI();
    dify = await startFakeDify();
  });
  after(async () => {
    await wecom.close();
    await openai.close();
    await dify.close();
  });

  test("the LLM line asks the app's parameters with its key: ✔ with the right key, ✘ naming dify_api_key with a wrong one", async () => {
    const good = await runDoctorOn(
      doctorConfig({ wecom, openai }, { bot_type: 'dify', dify_api_key: 'app-chat-key', dify_api_base: dify.url }),
    );
    assert.equal(good.line('LLM').status, 'pass', good.output);
    assert.match(good.line('LLM').detail, /dify_api_key is valid/);
    const bad = await runDoctorOn(
      doctorConfig({ wecom, openai }, { bot_type: 'dify', dify_api_key: 'app-wrong', dify_api_base: dify.url }),
    );
    assert.equal(bad.line('LLM').status, 'fail');
    assert.match(bad.line('LLM').detail, /401 unauthorized: Access token is invalid/);
    assert.match(bad.line('LLM').fix!, /dify_api_key is wrong/);
    assert.ok(!bad.output.includes('app-wrong'), 'the key is not printed');
  });

  test("an app with a Dify assistant of its own gets a line of its own, beside the top level's LLM", async () => {
    const agent = {
      agent_id: '1000003',
      corp_secret: 'second-app-secret',
      token: 'token2',
      aes_key: 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR',
      bot_type: 'dify',
      dify_api_key: 'app-wrong',
      dify_api_base: dify.url,
    };
    const run = await runDoctorOn(doctorConfig({ wecom, openai }, {}, { agents: [agent] }));
    assert.equal(run.line('LLM').status, 'pass', run.output);
    assert.equal(run.line('LLM of app 1000003').status, 'fail', run.output);
    assert.match(run.line('LLM of app 1000003').fix!, /dify_api_key is wrong/);
  });
});
