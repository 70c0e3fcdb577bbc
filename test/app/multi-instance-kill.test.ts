import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { type FakeOpenAI, startFakeOpenAI } from '../../fakes/fake-openai.js';
import { type FakeWeCom, type SentMessage, startFakeWeCom } from '../../fakes/fake-wecom.js';
import { type AppProcess, appClient, appSection, startAppProcess, writeConfigFile } from '../support/app-process.js';
import { TestRedisServer } from '../support/redis-server.js';
import { AGENT_ID, CORP_ID, SECRET } from '../support/weworktop-harness.js';

const INSTANCES = 3;
const USERS = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
const PER_USER = 5;
const CONCURRENCY = 4;
const LEASE_SECONDS = 2;

const textOf = (message: SentMessage) => String((message.body.text as { content?: string } | undefined)?.content ?? '');
const questionOf = (request: { messages: Array<{ role: string; content: unknown }> }) => String(request.messages.at(-1)?.content ?? '');

/** One config for every instance: store "redis", each with its own (unused) data_dir. */
function writeConfig(wecom: FakeWeCom, openai: FakeOpenAI, redisUrl: string, prefix: string): string {
  return writeConfigFile(
    {
      open_ai_api_key: 'sk-test-openai-key-0001',
      open_ai_api_base: openai.url,
      max_retries: 0,
      concurrency: CONCURRENCY,
      retry_delay_ms: 200,
      log_level: 'info',
      store: 'redis',
      redis_url: redisUrl,
      redis_prefix: prefix,
      lease_seconds: LEASE_SECONDS,
      weworktop: appSection(wecom.url),
    },
    'weworktop-multi-',
  );
}

/**
 * Sends every user's messages, one after another per user (their order is defined by the acks),
 * users in parallel, each to the next instance in turn; each message's retry (same MsgId) goes to
 * another instance, as WeCom's may when the load balancer picks again.
 */
async function sendAll(apps: AppProcess[]): Promise<void> {
  const clients = apps.map((app) => appClient(app));
  let turn = 0;
  await Promise.all(
    USERS.map(async (user) => {
      for (let i = 1; i <= PER_USER; i++) {
        const at = turn++ % apps.length;
        const id = `${user.slice(1)}00${i}${Date.now() % 100000}`;
        assert.equal((await clients[at]!.sendText(user, `${user}-${i}`, id)).status, 200);
        assert.equal((await clients[(at + 1) % apps.length]!.sendText(user, `${user}-${i}`, id)).status, 200, 'the retry is acked too');
      }
    }),
  );
}

/** Every message answered, in order per user; repeats (sends and LLM calls) only for what was in flight. */
function assertAnsweredOnce(wecom: FakeWeCom, openai: FakeOpenAI, inFlight: number, output: string): void {
  const replies = wecom.sent.map(textOf);
  for (const user of USERS) {
    const expected = Array.from({ length: PER_USER }, (_, i) => `echo: ${user}-${i + 1}`);
    const firstAnswers = [...new Set(replies.filter((text) => text.startsWith(`echo: ${user}-`)))];
    assert.deepEqual(firstAnswers, expected, `${user}: every message answered, in order\n${output}`);
  }
  const repeatedSends = replies.filter((text, index) => replies.indexOf(text) !== index);
  assert.ok(repeatedSends.length <= inFlight, `at most the in-flight sends repeat: ${repeatedSends.join(', ')}`);
  const questions = openai.chatRequests().map(questionOf);
  const askedTwice = questions.filter((text, index) => questions.indexOf(text) !== index);
  assert.ok(askedTwice.length <= inFlight, `the LLM is asked again only for answers in flight: ${askedTwice.join(', ')}`);
}

describe('three instances on one redis (store "redis")', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  async function setUp(prefix: string) {
    const redis = await TestRedisServer.start();
    const wecom = await startFakeWeCom({ corpId: CORP_ID, apps: [{ agentId: AGENT_ID, secret: SECRET }], tokenTtlSeconds: 7200 });
    const openai = await startFakeOpenAI();
    cleanup.push(
      () => redis.stop(),
      () => wecom.close(),
      () => openai.close(),
    );
    const configPath = writeConfig(wecom, openai, redis.url, prefix);
    const apps = await Promise.all(Array.from({ length: INSTANCES }, () => startAppProcess(configPath)));
    for (const app of apps)
      cleanup.push(async () => {
        app.child.kill('SIGTERM');
        await app.exited();
      });
    return { redis, wecom, openai, apps };
  }

  test('one instance SIGKILLed mid-flight: its conversations are taken over after the lease; nothing lost, nothing twice', async () => {
    const { wecom, openai, apps } = await setUp('kill:');
    openai.setLatency(150);
    await sendAll(apps);
    await wecom.waitForSent(4, 10_000);
    const victim = apps[0]!;
    victim.child.kill('SIGKILL');
    await victim.exited();
    await wecom.waitForSent(USERS.length * PER_USER, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const output = apps.map((app) => app.output()).join('\n---\n');
    assertAnsweredOnce(wecom, openai, CONCURRENCY, output);
    const answeredBy = apps.map((app) => (app.output().match(/ answered id=/g) ?? []).length);
    assert.ok(answeredBy.filter((count) => count > 0).length >= 2, `answers spread over the instances: ${answeredBy.join(', ')}`);
  });

  test('redis-server SIGKILLed and restarted mid-flight (AOF on): every acknowledged message is answered once', async () => {
    const { redis, wecom, openai, apps } = await setUp('restart:');
    openai.setLatency(150);
    await sendAll(apps);
    await wecom.waitForSent(4, 10_000);
    await redis.kill();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await redis.restart();
    await wecom.waitForSent(USERS.length * PER_USER, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const output = apps.map((app) => app.output()).join('\n---\n');
    // Sends that were under way at the outage may go out again (their progress was not stored), on each instance.
    assertAnsweredOnce(wecom, openai, INSTANCES * CONCURRENCY, output);
    assert.match(output, /redis unavailable: callbacks get 503/);
    assert.match(output, /redis is back/);
  });
});
