import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { type SentMessage, startFakeWeCom } from '../../fakes/fake-wecom.js';
import { type AppProcess, appSection, startAppProcess, writeConfigFile } from '../support/app-process.js';
import { API_TOKEN, postPush, pushStatus } from '../support/push-client.js';
import { TestRedisServer } from '../support/redis-server.js';
import { AGENT_ID, CORP_ID, SECRET } from '../support/weworktop-harness.js';

const USERS = ['k1', 'k2', 'k3', 'k4'];
const PER_USER = 4;
const LEASE_SECONDS = 2;
const textOf = (message: SentMessage) => String((message.body.text as { content?: string } | undefined)?.content ?? '');
const cleanup: Array<() => unknown> = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

test('an instance SIGKILLed with pushes claimed: the other sends them after the lease, in order, each once', async () => {
  const redis = await TestRedisServer.start();
  const wecom = await startFakeWeCom({ corpId: CORP_ID, apps: [{ agentId: AGENT_ID, secret: SECRET }] });
  cleanup.push(
    () => redis.stop(),
    () => wecom.close(),
  );
  const configPath = writeConfigFile(
    {
      bot_type: 'none',
      api_token: API_TOKEN,
      retry_delay_ms: 50,
      store: 'redis',
      redis_url: redis.url,
      redis_prefix: 'pushkill:',
      lease_seconds: LEASE_SECONDS,
      weworktop: appSection(wecom.url),
    },
    'weworktop-push-multi-',
  );
  const start = async (): Promise<AppProcess> => {
    const app = await startAppProcess(configPath);
    cleanup.push(async () => {
      app.child.kill('SIGKILL');
      await app.exited();
    });
    return app;
  };
  const [a, b] = [await start(), await start()];
  // Slow sends: A claims every push it stores and is killed with most of them still queued.
  wecom.setLatency('message/send', 150);
  const ids: string[] = [];
  for (let i = 1; i <= PER_USER; i++)
    for (const user of USERS) {
      const answer = await postPush(`http://127.0.0.1:${a.port}`, { to: { user }, text: `${user}-${i}` });
      assert.equal(answer.status, 202);
      ids.push(String(answer.body.id));
    }
  await wecom.waitForSent(2, 10_000);
  a.child.kill('SIGKILL');
  await a.exited();
  const killedAt = Date.now();
  const sentBeforeKill = wecom.sent.length;
  assert.ok(sentBeforeKill < USERS.length * PER_USER, 'the kill came while pushes were still queued');
  wecom.setLatency('message/send', 0);

  const base = `http://127.0.0.1:${b.port}`;
  const deadline = Date.now() + 20_000;
  while (new Set(wecom.sent.map(textOf)).size < USERS.length * PER_USER && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  const firstAfterKill = wecom.sent[sentBeforeKill];
  assert.ok(firstAfterKill, 'B sent the rest');
  const texts = wecom.sent.map(textOf);
  for (const user of USERS)
    assert.deepEqual(
      [...new Set(texts.filter((text) => text.startsWith(`${user}-`)))],
      Array.from({ length: PER_USER }, (_, i) => `${user}-${i + 1}`),
      `${user}: every push, in order`,
    );
  // Repeats: only what A had in flight at the kill (one per user at most).
  assert.ok(texts.length - new Set(texts).size <= USERS.length, `few repeats: ${texts.join(',')}`);
  assert.ok(Date.now() - killedAt < 15_000);
  for (const id of ids) assert.equal((await pushStatus(base, id)).body.status, 'sent', `${id} sent, seen on B`);
});
