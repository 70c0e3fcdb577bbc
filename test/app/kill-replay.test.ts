import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { startFakeOpenAI } from '../../fakes/fake-openai.js';
import { type FakeWeCom, type SentMessage, startFakeWeCom } from '../../fakes/fake-wecom.js';
import { AiBotClient } from '../../fakes/wecom-client.js';
import { appClient, appSection, startAppProcess, writeConfigFile } from '../support/app-process.js';
import { AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN } from '../support/weworktop-harness.js';

const USERS = ['u1', 'u2', 'u3', 'u4'];
const PER_USER = 6;
const CONCURRENCY = 4;

const textOf = (message: SentMessage) => String((message.body.text as { content?: string } | undefined)?.content ?? '');

const BOT = { token: TOKEN, aes_key: AES_KEY };
const GROUP = 'wrkSFfCgAAkillgroup01';

/** A weworktop config against the fakes, with its own data_dir. */
function writeConfig(wecomUrl: string, openaiUrl: string, weworktop: Record<string, unknown> = {}): string {
  return writeConfigFile(
    {
      open_ai_api_key: 'sk-test-openai-key-0001',
      open_ai_api_base: openaiUrl,
      max_retries: 0,
      concurrency: CONCURRENCY,
      log_level: 'info',
      group_name_white_list: ['ALL_GROUP'],
      weworktop: appSection(wecomUrl, weworktop),
    },
    'weworktop-kill-',
  );
}

describe('kill -9 mid-flight', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  test('every acknowledged message is answered after a restart, in order per user; only in-flight ones may repeat', async () => {
    const wecom = await startFakeWeCom({ corpId: CORP_ID, apps: [{ agentId: AGENT_ID, secret: SECRET }], tokenTtlSeconds: 7200 });
    const openai = await startFakeOpenAI();
    cleanup.push(
      () => wecom.close(),
      () => openai.close(),
    );
    openai.setLatency(250);
    const configPath = writeConfig(wecom.url, openai.url);

    const first = await startAppProcess(configPath);
    cleanup.push(() => void first.child.kill('SIGKILL'));
    const client = appClient(first);
    // Each user's messages are acked one after another (so their order is defined), users in parallel.
    await Promise.all(
      USERS.map(async (user) => {
        for (let i = 1; i <= PER_USER; i++) assert.equal((await client.sendText(user, `${user}-${i}`)).status, 200);
      }),
    );
    await wecom.waitForSent(3, 10_000);
    first.child.kill('SIGKILL');
    await first.exited();
    const answeredBeforeKill = new Set(wecom.sent.map(textOf));
    assert.ok(answeredBeforeKill.size < USERS.length * PER_USER, 'the kill came while answers were still due');

    openai.setLatency(0);
    const second = await startAppProcess(configPath);
    cleanup.push(async () => {
      second.child.kill('SIGTERM');
      await second.exited();
    });
    await wecom.waitForSent(USERS.length * PER_USER, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const replies = wecom.sent.map(textOf);
    for (const user of USERS) {
      const expected = Array.from({ length: PER_USER }, (_, i) => `echo: ${user}-${i + 1}`);
      const firstAnswers = [...new Set(replies.filter((text) => text.startsWith(`echo: ${user}-`)))];
      assert.deepEqual(firstAnswers, expected, `${user}: every message answered, in order`);
    }
    const repeated = replies.filter((text, index) => replies.indexOf(text) !== index);
    assert.ok(
      repeated.every((text) => answeredBeforeKill.has(text)),
      `only answers sent before the kill repeat: ${repeated.join(', ')}`,
    );
    assert.ok(repeated.length <= CONCURRENCY, `at most the in-flight messages repeat (${repeated.length})`);
    assert.match(second.output(), /replaying messages left pending by the last run/);
  });

  test('SIGTERM finishes the answer in flight, then exits 0', async () => {
    const wecom = await startFakeWeCom({ corpId: CORP_ID, apps: [{ agentId: AGENT_ID, secret: SECRET }], tokenTtlSeconds: 7200 });
    const openai = await startFakeOpenAI();
    cleanup.push(
      () => wecom.close(),
      () => openai.close(),
    );
    openai.setLatency(800);
    const app = await startAppProcess(writeConfig(wecom.url, openai.url));
    cleanup.push(() => void app.child.kill('SIGKILL'));
    const client = appClient(app);
    await client.sendText('u1', 'answer me before you go');
    while (openai.chatRequests().length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    app.child.kill('SIGTERM');
    await app.exited();
    assert.equal(app.child.exitCode, 0, app.output());
    assert.deepEqual(wecom.sent.map(textOf), ['echo: answer me before you go']);
  });

  test('AI bot: an answer finished but not yet fetched by WeCom when the process dies reaches the user after the restart', async () => {
    const wecom = await startFakeWeCom({ corpId: CORP_ID, apps: [{ agentId: AGENT_ID, secret: SECRET }], tokenTtlSeconds: 7200 });
    const openai = await startFakeOpenAI();
    cleanup.push(
      () => wecom.close(),
      () => openai.close(),
    );
    const configPath = writeConfig(wecom.url, openai.url, { bot: BOT });
    const first = await startAppProcess(configPath);
    cleanup.push(() => void first.child.kill('SIGKILL'));
    let url = `http://127.0.0.1:${first.port}/wework_bot_callback`;
    const bot = new AiBotClient({ url, token: TOKEN, encodingAesKey: AES_KEY });
    const question = '答完就崩';
    const opened = await bot.sendText('zhangsan', `@bot ${question}`, { chatId: GROUP, responseUrl: wecom.responseUrl() });
    const stream = { from: 'zhangsan', streamId: (opened.answer!.stream as { id: string }).id, question };
    // The answer is written (the log says so) but WeCom has not polled for it yet.
    while (!/ answered id=aibot:/.test(first.output())) await new Promise((resolve) => setTimeout(resolve, 10));
    first.child.kill('SIGKILL');
    await first.exited();

    const second = await startAppProcess(configPath);
    url = `http://127.0.0.1:${second.port}/wework_bot_callback`;
    cleanup.push(async () => {
      second.child.kill('SIGTERM');
      await second.exited();
    });
    const { answers, notices } = await deliveredAnswers(bot, wecom, [stream], 10_000, () => url);
    assert.deepEqual(answers.get(question), [`echo: ${question}`], `answered once: ${second.output()}`);
    assert.deepEqual(notices, [], 'no "expired, ask again"');
    assert.equal(openai.chatRequests().length, 1, 'the stored answer is delivered, not generated again');
  });

  test('AI bot: streams polled at the kill: every message is answered after the restart, duplicates only for those in flight', async () => {
    const wecom = await startFakeWeCom({ corpId: CORP_ID, apps: [{ agentId: AGENT_ID, secret: SECRET }], tokenTtlSeconds: 7200 });
    const openai = await startFakeOpenAI();
    cleanup.push(
      () => wecom.close(),
      () => openai.close(),
    );
    openai.setLatency(250);
    const configPath = writeConfig(wecom.url, openai.url, { bot: BOT });
    const first = await startAppProcess(configPath);
    cleanup.push(() => void first.child.kill('SIGKILL'));
    let url = `http://127.0.0.1:${first.port}/wework_bot_callback`;
    const bot = new AiBotClient({ url, token: TOKEN, encodingAesKey: AES_KEY });
    const streams: Array<{ from: string; streamId: string; question: string }> = [];
    // Three in flight per user at most (WeCom's rule).
    await Promise.all(
      USERS.map(async (user) => {
        for (let i = 1; i <= 3; i++) {
          const question = `${user}-${i}`;
          const opened = await bot.withUrl(url).sendText(user, `@bot ${question}`, { chatId: GROUP, responseUrl: wecom.responseUrl() });
          streams.push({ from: user, streamId: (opened.answer!.stream as { id: string }).id, question });
        }
      }),
    );
    const polling = deliveredAnswers(bot, wecom, streams, 30_000, () => url);
    while (!/ answered id=aibot:/.test(first.output())) await new Promise((resolve) => setTimeout(resolve, 10));
    first.child.kill('SIGKILL');
    await first.exited();
    openai.setLatency(0);
    const second = await startAppProcess(configPath);
    url = `http://127.0.0.1:${second.port}/wework_bot_callback`;
    cleanup.push(async () => {
      second.child.kill('SIGTERM');
      await second.exited();
    });
    const { answers, notices } = await polling;
    let repeats = 0;
    for (const { question } of streams) {
      const got = answers.get(question) ?? [];
      assert.ok(got.length >= 1, `${question} answered: ${second.output()}`);
      assert.ok(
        got.every((answer) => answer === `echo: ${question}`),
        `${question}: ${got.join(' | ')}`,
      );
      repeats += got.length - 1;
    }
    assert.ok(repeats <= CONCURRENCY, `at most the in-flight answers repeat (${repeats})`);
    assert.deepEqual(notices, [], 'no "expired, ask again"');
  });
});

/**
 * Polls the streams like WeCom does (a poll while the app is down fails, and WeCom polls again)
 * and collects every answer each question got: its finished stream's content and response_url
 * posts. Finished streams with other content are notices.
 */
async function deliveredAnswers(
  bot: AiBotClient,
  wecom: FakeWeCom,
  streams: Array<{ from: string; streamId: string; question: string }>,
  timeoutMs: number,
  currentUrl: () => string,
): Promise<{ answers: Map<string, string[]>; notices: string[] }> {
  const answers = new Map<string, string[]>();
  const notices: string[] = [];
  const add = (question: string, content: string) => answers.set(question, [...(answers.get(question) ?? []), content]);
  const open = new Set(streams);
  const deadline = Date.now() + timeoutMs;
  const answered = () =>
    streams.every(
      ({ question }) => answers.has(question) || wecom.botResponses.some((post) => contentOf(post.body) === `echo: ${question}`),
    );
  while (Date.now() < deadline && (open.size > 0 || !answered())) {
    for (const stream of [...open]) {
      try {
        const response = await bot.withUrl(currentUrl()).refresh(stream.from, stream.streamId, { chatId: GROUP });
        const state = response.answer?.stream as { finish: boolean; content: string } | undefined;
        if (!state?.finish) continue;
        open.delete(stream);
        if (state.content === `echo: ${stream.question}`) add(stream.question, state.content);
        else notices.push(state.content);
      } catch {
        // The app is down.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (const post of wecom.botResponses) {
    const content = contentOf(post.body);
    const stream = streams.find(({ question }) => content === `echo: ${question}`);
    if (stream) add(stream.question, content);
    else notices.push(content);
  }
  return { answers, notices };
}

const contentOf = (body: Record<string, unknown>) => String((body.markdown as { content?: string } | undefined)?.content ?? '');
