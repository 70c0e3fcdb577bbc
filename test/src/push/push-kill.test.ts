import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startFakeForwardReceiver } from '../../../fakes/fake-forward-receiver.js';
import { type SentMessage, startFakeWeCom } from '../../../fakes/fake-wecom.js';
import { appClient, appSection, startAppProcess, writeConfigFile } from '../../support/app-process.js';
import { API_TOKEN, postPush } from '../../support/push-client.js';
import { AGENT_ID, CORP_ID, SECRET } from '../../support/weworktop-harness.js';

const USERS = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'];
const PER_USER = 5;
const FORWARD_SECRET = 'forward-secret-kill-0001';
const cleanup: Array<() => unknown> = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

const textOf = (message: SentMessage) => String((message.body.text as { content?: string } | undefined)?.content ?? '');

test('kill -9 with pushes and forwards queued: the next start sends every push in order per user and forwards every message', async () => {
  const wecom = await startFakeWeCom({ corpId: CORP_ID, apps: [{ agentId: AGENT_ID, secret: SECRET }] });
  const site = await startFakeForwardReceiver(FORWARD_SECRET);
  cleanup.push(
    () => wecom.close(),
    () => site.close(),
  );
  wecom.setLatency('message/send', 60);
  const configPath = writeConfigFile(
    {
      bot_type: 'none',
      api_token: API_TOKEN,
      retry_delay_ms: 50,
      forward: { url: site.url, secret: FORWARD_SECRET },
      weworktop: appSection(wecom.url),
    },
    'weworktop-push-kill-',
  );
  const first = await startAppProcess(configPath);
  cleanup.push(() => first.child.kill('SIGKILL'));
  // The site is down for the first run: every forward stays queued.
  site.failNext(1000, 503);
  const base = `http://127.0.0.1:${first.port}`;
  const client = appClient(first);
  await Promise.all(
    USERS.map(async (user) => {
      for (let i = 1; i <= PER_USER; i++) {
        assert.equal((await postPush(base, { to: { user }, text: `${user}-${i}` })).status, 202);
        assert.equal((await client.sendText(user, `from ${user} ${i}`, `${user}${i}`.replace(/\D/g, '') + i)).status, 200);
      }
    }),
  );
  await wecom.waitForSent(3, 10_000);
  first.child.kill('SIGKILL');
  await first.exited();
  // A send in flight at the kill is still in the fake's 60 ms latency: WeCom gets it all the same.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const sentBeforeKill = new Set(wecom.sent.map(textOf));
  assert.ok(sentBeforeKill.size < USERS.length * PER_USER, 'the kill came while pushes were still queued');

  site.failNext(0);
  wecom.setLatency('message/send', 0);
  const second = await startAppProcess(configPath);
  cleanup.push(async () => {
    second.child.kill('SIGTERM');
    await second.exited();
  });
  const deadline = Date.now() + 20_000;
  while (new Set(wecom.sent.map(textOf)).size < USERS.length * PER_USER && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  await site.waitForReceived(USERS.length * PER_USER, 20_000);
  const texts = wecom.sent.map(textOf);
  for (const user of USERS) {
    const firstSends = [...new Set(texts.filter((text) => text.startsWith(`${user}-`)))];
    assert.deepEqual(
      firstSends,
      Array.from({ length: PER_USER }, (_, i) => `${user}-${i + 1}`),
      `${user}: every push, in order`,
    );
  }
  const repeated = texts.filter((text, index) => texts.indexOf(text) !== index);
  assert.ok(
    repeated.length <= USERS.length && repeated.every((text) => sentBeforeKill.has(text)),
    `only pushes in flight repeat: ${repeated}`,
  );
  assert.ok(site.deliveries.every((delivery) => delivery.verified));
});
