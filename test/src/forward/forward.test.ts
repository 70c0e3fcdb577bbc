import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type FakeForwardReceiver, startFakeForwardReceiver } from '../../../fakes/fake-forward-receiver.js';
import { type FakeWeCom, startFakeWeCom } from '../../../fakes/fake-wecom.js';
import { BOT_ID, startWsBot } from '../../support/aibot-ws-harness.js';
import { closedPort } from '../../support/closed-port.js';
import { AGENT_ID, CORP_ID, eventually, SECRET, startWeworktop, type WeworktopHarness } from '../../support/weworktop-harness.js';

const FORWARD_SECRET = 'forward-secret-for-tests-0001';

describe('bridge: forward.url gets every received message, signed', () => {
  let site: FakeForwardReceiver;
  let h: WeworktopHarness;
  before(async () => {
    site = await startFakeForwardReceiver(FORWARD_SECRET);
    h = await startWeworktop({ config: { forward: { url: site.url, secret: FORWARD_SECRET }, retry_delay_ms: 20 } });
  });
  after(async () => {
    await h.stop();
    await site.close();
  });
  beforeEach(() => {
    site.deliveries.length = 0;
    h.wecom.reset();
  });

  it('posts a text the LLM also answers, as the normalized message with a signature the site verifies', async () => {
    await h.client.sendText('alice', 'hello bridge', '7001');
    const [body] = await site.waitForReceived(1);
    assert.equal(site.deliveries[0]!.verified, true);
    assert.equal(body!.id, `${AGENT_ID}:msg:7001`);
    assert.deepEqual(body!.from, { id: 'alice' });
    assert.deepEqual(body!.chat, { type: 'single' });
    assert.equal(body!.type, 'text');
    assert.equal(body!.text, 'hello bridge');
    assert.equal(body!.route, 'app');
    assert.equal(body!.agent_id, AGENT_ID);
    assert.match(String(body!.time), /^\d{4}-\d\d-\d\dT/);
    await h.wecom.waitForSent(1);
  });

  it('posts media ids and events', async () => {
    await h.client.sendImage('bob', 'media-img-1');
    await h.client.sendEvent('bob', 'enter_agent');
    const bodies = await site.waitForReceived(2);
    const image = bodies.find((body) => body.type === 'image')!;
    assert.equal(image.media_id, 'media-img-1');
    const event = bodies.find((body) => body.type === 'event')!;
    assert.equal(event.text, 'enter_agent');
    assert.equal(event.event, 'enter_agent');
  });

  it('forwards a WeCom retry of a callback once', async () => {
    await h.client.sendText('carol', 'only once', '7002');
    await h.client.sendText('carol', 'only once', '7002');
    await site.waitForReceived(1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(site.deliveries.length, 1);
  });

  it('retries while the site fails, with the same id each time, and keeps each user in order', async () => {
    site.failNext(3, 503);
    for (const [i, text] of ['one', 'two', 'three'].entries()) await h.client.sendText('dave', text, `71${i}`);
    const bodies = await site.waitForReceived(3, 5000);
    assert.deepEqual(
      bodies.map((body) => body.text),
      ['one', 'two', 'three'],
    );
    const tries = site.deliveries.filter((delivery) => delivery.id === `${AGENT_ID}:msg:710`);
    assert.equal(tries.length, 4);
    assert.deepEqual(
      tries.map((delivery) => delivery.status),
      [503, 503, 503, 200],
    );
    // Nothing of dave's was posted before his first message got through.
    const firstOk = site.deliveries.findIndex((delivery) => delivery.status === 200);
    assert.ok(site.deliveries.slice(0, firstOk).every((delivery) => delivery.id === `${AGENT_ID}:msg:710`));
  });
});

describe('bridge: durable and bounded', () => {
  let wecom: FakeWeCom;
  before(async () => {
    wecom = await startFakeWeCom({ corpId: CORP_ID, apps: [{ agentId: AGENT_ID, secret: SECRET }] });
  });
  after(() => wecom.close());

  it('delivers after a restart what the site did not take while it was down', async () => {
    const down = `http://127.0.0.1:${await closedPort()}/hook`;
    const first = await startWeworktop({ wecom, config: { forward: { url: down, secret: FORWARD_SECRET }, retry_delay_ms: 20 } });
    await first.client.sendText('erin', 'while the site was down', '7201');
    await eventually(() =>
      assert.ok(
        first.logs.some((line) => line.includes('forward not sent, tried again later')),
        'retried',
      ),
    );
    await first.stop();
    const site = await startFakeForwardReceiver(FORWARD_SECRET);
    const second = await startWeworktop({
      wecom,
      dataDir: first.dataDir,
      config: { forward: { url: site.url, secret: FORWARD_SECRET }, retry_delay_ms: 20 },
    });
    try {
      const [body] = await site.waitForReceived(1);
      assert.equal(body!.text, 'while the site was down');
    } finally {
      await second.stop();
      await site.close();
    }
  });

  it('gives up after forward.max_attempts, with a log line', async () => {
    const site = await startFakeForwardReceiver(FORWARD_SECRET);
    site.failNext(100, 500);
    const h = await startWeworktop({
      wecom,
      config: { forward: { url: site.url, secret: FORWARD_SECRET, max_attempts: 3 }, retry_delay_ms: 10 },
    });
    try {
      await h.client.sendText('frank', 'never taken', '7301');
      await eventually(() =>
        assert.ok(
          h.logs.some((line) => line.includes('forward given up after 3 tries')),
          'given up',
        ),
      );
      assert.equal(site.deliveries.length, 3);
    } finally {
      await h.stop();
      await site.close();
    }
  });

  it('refuses forward.url without forward.secret at start', async () => {
    await assert.rejects(startWeworktop({ wecom, config: { forward: { url: 'http://127.0.0.1:1/hook' } } }), /forward\.secret/);
  });
});

describe('bridge: bot_type "none" makes weworktop a pure WeCom ↔ HTTP bridge', () => {
  it('forwards the messages (no events with include ["message"]) and never asks the LLM or answers', async () => {
    const site = await startFakeForwardReceiver(FORWARD_SECRET);
    const h = await startWeworktop({
      config: { bot_type: 'none', forward: { url: site.url, secret: FORWARD_SECRET, include: ['message'] } },
    });
    try {
      await h.client.sendText('gina', 'to the site only', '7401');
      await h.client.sendEvent('gina', 'enter_agent');
      await h.client.sendText('gina', 'second', '7402');
      const bodies = await site.waitForReceived(2);
      assert.deepEqual(
        bodies.map((body) => body.text),
        ['to the site only', 'second'],
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(h.openai.chatRequests().length, 0);
      assert.equal(h.wecom.sent.length, 0);
      assert.equal(site.received().length, 2, 'the event is not included');
    } finally {
      await h.stop();
      await site.close();
    }
  });
});

describe('bridge: the AI bot long connection', () => {
  it('forwards what the bot answers and the group messages not for it, with the bot and chat', async () => {
    const site = await startFakeForwardReceiver(FORWARD_SECRET);
    const h = await startWsBot({ app: false, config: { forward: { url: site.url, secret: FORWARD_SECRET } } });
    try {
      await h.ws.waitFor(() => h.ws.subscribed(BOT_ID), 'the subscription');
      h.text('zhangsan', 'hello bot');
      // Not in group_name_white_list: not answered, still forwarded.
      h.text('lisi', '@bot 不在白名单的群', { chatId: 'wrkOtherGroup000001' });
      const bodies = await site.waitForReceived(2, 5000);
      const dm = bodies.find((body) => body.text === 'hello bot')!;
      assert.equal(dm.route, 'aibot-ws');
      assert.equal(dm.bot_id, BOT_ID);
      assert.deepEqual(dm.from, { id: 'zhangsan' });
      const group = bodies.find((body) => (body.chat as { type: string }).type === 'group')!;
      assert.equal(group.chat_id, 'wrkOtherGroup000001');
      assert.equal((group.chat as { id: string }).id, 'wrkOtherGroup000001');
    } finally {
      await h.stop();
      await site.close();
    }
  });
});
