import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, test } from 'node:test';
import { AiBotReplier } from '../../../../channels/weworktop/aibot/aibot-replier.js';
import type { StreamUpdate } from '../../../../channels/weworktop/aibot/stream-link.js';
import { createWeComHttp } from '../../../../channels/weworktop/wecom/http-client.js';
import { type FakeOpenAI, startFakeOpenAI } from '../../../../fakes/fake-openai.js';
import { type FakeWeCom, startFakeWeCom } from '../../../../fakes/fake-wecom.js';
import type { ReplyTarget } from '../../../../src/channel.js';
import type { NormalizedMessage } from '../../../../src/message.js';
import { userMessages } from '../../../../src/pipeline/user-messages.js';
import { createHarness, type Harness } from '../../../support/pipeline-harness.js';

/**
 * WeCom polls a stream for 6 minutes from the user's message (spec §4c). The replier runs on the
 * answer worker, out of a test's reach, so these drive it directly with a clock the test moves,
 * the real pipeline against the fake OpenAI, and response_url posts to the fake WeCom over HTTP.
 */

const GROUP = 'wrkSFfCgAAtestgroup01';
const MINUTE = 60_000;
const ANSWER = '今天一共测试了 12 项，全部通过。';

interface Setup {
  wecom: FakeWeCom;
  openai: FakeOpenAI;
  pipeline: Harness;
  replier: AiBotReplier;
  /** What the replier told the receiver (which answers WeCom's polls). */
  updates: StreamUpdate[];
  /** Runs as each update is posted (a test moves the clock while the LLM writes). */
  onUpdate: (update: StreamUpdate) => void;
  clock: { now: number };
}

let setup: Setup | undefined;
afterEach(async () => {
  setup?.replier.close();
  await setup?.wecom.close();
  await setup?.openai.close();
  setup = undefined;
});

async function start(): Promise<Setup> {
  const wecom = await startFakeWeCom({ corpId: 'wx5823bf96d3bd56c7', apps: [] });
  const openai = await startFakeOpenAI();
  const pipeline = await createHarness({ openaiUrl: openai.url, config: { group_name_white_list: ['ALL_GROUP'], character_desc: '' } });
  const updates: StreamUpdate[] = [];
  const clock = { now: Date.now() };
  const post = (update: StreamUpdate) => {
    updates.push(update);
    setup?.onUpdate(update);
  };
  const replier = new AiBotReplier({
    config: {
      mode: 'webhook',
      token: 'QDG6eK',
      aes_key: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
      callback_path: '/wework_bot_callback',
      bot_id: '',
      secret: '',
      ws_url: 'wss://openws.work.weixin.qq.com',
      heartbeat_seconds: 30,
      stream: true,
    },
    groupNames: {},
    link: { post: (update) => post(update as StreamUpdate), onMessage: () => undefined },
    http: createWeComHttp({ timeoutMs: 5000, proxy: '' }),
    logger: pipeline.logger,
    now: () => clock.now,
  });
  setup = { wecom, openai, pipeline, replier, updates, onUpdate: () => undefined, clock };
  return setup;
}

/** "@bot 总结一下" in a group, with a response_url at the fake WeCom. */
function groupMessage({ wecom, replier }: Setup): NormalizedMessage {
  const callback = {
    msgid: randomBytes(16).toString('hex'),
    aibotid: 'AIBOTID',
    chatid: GROUP,
    chattype: 'group' as const,
    from: { userid: 'zhangsan' },
    response_url: wecom.responseUrl(),
    msgtype: 'text',
    text: { content: '@bot 总结一下' },
  };
  const message = replier.revive({ route: 'aibot', callback, streamId: 'stream-1' });
  assert.ok(message, 'the callback revives');
  return message;
}

/** Answers as the answer runner does: the replier begins, the pipeline answers, the replier delivers and ends. */
async function answer(s: Setup, message: NormalizedMessage, receivedAt: number): Promise<void> {
  const target: ReplyTarget = {
    name: 'weworktop',
    capabilitiesFor: () => ({ voice: false, image: true, file: false, streaming: true }),
    send: (reply, context) => s.replier.deliver(reply, context),
  };
  const stream = s.replier.begin(message, { replayed: false, receivedAt });
  const outcome = await s.pipeline.pipeline.answer(message, target, stream);
  for (const reply of outcome.replies) await s.replier.deliver(reply, { message, sessionId: outcome.sessionId });
  s.replier.end(message, 'answered');
}

const finishes = (updates: StreamUpdate[]) => updates.filter((update) => update.type === 'aibot-finish');
const partials = (updates: StreamUpdate[]) => updates.filter((update) => update.type === 'aibot-stream');

describe('AI bot stream window (6 minutes from the user message)', () => {
  test('an answer that finishes after the window goes to response_url once, whole, and the stream is closed saying so', async () => {
    const s = await start();
    const receivedAt = s.clock.now;
    s.openai.setChatResponder(() => {
      s.clock.now += 6 * MINUTE;
      return ANSWER;
    });
    await answer(s, groupMessage(s), receivedAt);
    assert.equal(s.openai.chatRequests()[0]!.stream, true, 'the answer started inside the window, streaming');
    assert.deepEqual(
      s.wecom.botResponses.map((response) => response.body),
      [{ msgtype: 'markdown', markdown: { content: `${ANSWER}` } }],
    );
    assert.deepEqual(partials(s.updates), [], 'nothing written into a stream WeCom no longer polls');
    assert.deepEqual(
      finishes(s.updates).map((update) => update.content),
      [userMessages.answerFollows],
      'closed once, without the answer',
    );
  });

  test('the window passing while the LLM writes stops the partial writes; the answer goes to response_url', async () => {
    const s = await start();
    const receivedAt = s.clock.now;
    s.openai.setChatResponder(() => ANSWER);
    s.openai.setStreaming({ chunkChars: 3, chunkDelayMs: 20 });
    // The first partial is written at 5 minutes 29 seconds; the window has passed by the next.
    s.clock.now += 5 * MINUTE + 29_000;
    s.onUpdate = () => void (s.clock.now += 2_000);
    await answer(s, groupMessage(s), receivedAt);
    assert.equal(partials(s.updates).length, 1, JSON.stringify(s.updates));
    assert.deepEqual(
      finishes(s.updates).map((update) => update.content),
      [userMessages.answerFollows],
    );
    assert.deepEqual(
      s.wecom.botResponses.map((response) => response.body),
      [{ msgtype: 'markdown', markdown: { content: `${ANSWER}` } }],
    );
  });

  test('a message whose answering starts after the window (a queue backlog) is not streamed, and its stream is still closed', async () => {
    const s = await start();
    await answer(s, groupMessage(s), s.clock.now - 6 * MINUTE);
    assert.equal(s.openai.chatRequests()[0]!.stream, undefined, 'no streaming request when nobody watches');
    assert.deepEqual(
      s.wecom.botResponses.map((response) => response.body),
      [{ msgtype: 'markdown', markdown: { content: 'echo: 总结一下' } }],
    );
    assert.deepEqual(partials(s.updates), []);
    assert.equal(finishes(s.updates).length, 1, 'the receiver frees the stream (and the user in-flight count)');
  });

  test('an answer that finishes inside the window streams, and response_url stays unused', async () => {
    const s = await start();
    const receivedAt = s.clock.now;
    s.openai.setChatResponder(() => {
      s.clock.now += 5 * MINUTE;
      return ANSWER;
    });
    s.openai.setStreaming({ chunkChars: 3 });
    await answer(s, groupMessage(s), receivedAt);
    assert.ok(partials(s.updates).length >= 2, JSON.stringify(s.updates));
    assert.deepEqual(
      finishes(s.updates).map((update) => update.content),
      [`${ANSWER}`],
    );
    assert.deepEqual(s.wecom.botResponses, []);
  });
});
