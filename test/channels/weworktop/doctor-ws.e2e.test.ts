import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type FakeOpenAI, startFakeOpenAI } from '../../../fakes/fake-openai.js';
import type { FakeWeComWs } from '../../../fakes/fake-wecom-ws.js';
import { BOT_ID, BOT_SECRET, OTHER_BOT_ID, startFakeBots, startWsBot } from '../../support/aibot-ws-harness.js';
import { closedPort } from '../../support/closed-port.js';
import { runDoctorOn } from '../../support/doctor-run.js';

describe('weworktop doctor: the AI bot long connection', () => {
  let ws: FakeWeComWs;
  let openai: FakeOpenAI;
  before(async () => {
    ws = await startFakeBots();
    openai = await startFakeOpenAI();
  });
  after(async () => {
    await ws.close();
    await openai.close();
  });
  const config = async (bot: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    channel_type: 'weworktop',
    open_ai_api_key: 'sk-doctor-test-0001',
    open_ai_api_base: openai.url,
    speech_recognition: false,
    port: await closedPort(),
    ...extra,
    weworktop: { bot: { bot_id: BOT_ID, secret: BOT_SECRET, ws_url: ws.url, ...bot } },
  });
  const line = (bot = BOT_ID) => `AI bot ${bot}: long connection`;

  test('right bot_id and secret: ✔, and the test connection is closed again', async () => {
    const subscribedBefore = ws.events.filter((event) => event.event === 'subscribed').length;
    const run = await runDoctorOn(await config({}));
    assert.equal(run.line(line()).status, 'pass', run.output);
    assert.match(run.line(line()).detail, /WeCom accepted aibot_subscribe for bot_id aibTestBotLongConn01/);
    assert.equal(ws.events.filter((event) => event.event === 'subscribed').length, subscribedBefore + 1);
    await ws.waitFor(() => !ws.subscribed(BOT_ID), 'the close');
  });

  test('a wrong secret: ✘ 853000 naming the key, for bot and for bots[i]', async () => {
    const run = await runDoctorOn(
      await config({ secret: 'not-the-secret' }, {}).then((c) => ({
        ...c,
        weworktop: { ...c.weworktop, bots: [{ bot_id: OTHER_BOT_ID, secret: 'also-wrong' }] },
      })),
    );
    assert.equal(run.code, 1);
    assert.match(run.line(line()).detail, /errcode 853000 \(invalid bot_id or secret\)/);
    assert.match(run.line(line()).fix!, /weworktop\.bot\.bot_id and weworktop\.bot\.secret/);
    assert.match(run.line(line(OTHER_BOT_ID)).fix!, /weworktop\.bots\[0\]\.bot_id and weworktop\.bots\[0\]\.secret/);
    assert.ok(!run.output.includes('not-the-secret'), 'the secret stays out of the output');
  });

  test('WeCom unreachable: ✘ naming ws_url', async () => {
    const run = await runDoctorOn(await config({ ws_url: `ws://127.0.0.1:${await closedPort()}` }));
    assert.equal(run.line(line()).status, 'fail');
    assert.match(run.line(line()).fix!, /outbound TCP 443\): check weworktop\.bot\.ws_url/);
  });

  test('the app runs on this port: doctor reads its /readyz and does not take the bot from it', async () => {
    const h = await startWsBot({ ws, config: {} });
    try {
      await ws.waitFor(() => ws.subscribed(BOT_ID), 'the app subscribed');
      const subscribed = ws.events.filter((event) => event.event === 'subscribed').length;
      const run = await runDoctorOn(await config({}, { port: Number(new URL(h.baseUrl).port) }));
      assert.equal(run.line(line()).status, 'pass', run.output);
      assert.match(run.line(line()).detail, /the app running on port \d+ is ready/);
      assert.equal(ws.events.filter((event) => event.event === 'subscribed').length, subscribed, 'no second subscribe');
      assert.ok(ws.subscribed(BOT_ID));
    } finally {
      await h.stop();
    }
  });
});
