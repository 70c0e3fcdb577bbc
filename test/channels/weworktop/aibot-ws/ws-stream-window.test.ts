import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { AiBotWsReceiver } from '../../../../channels/weworktop/aibot-ws/ws-receiver.js';
import { AiBotWsReplier } from '../../../../channels/weworktop/aibot-ws/ws-replier.js';
import { createWeComHttp } from '../../../../channels/weworktop/wecom/http-client.js';
import { type FakeOpenAI, startFakeOpenAI } from '../../../../fakes/fake-openai.js';
import type { FakeWeComWs } from '../../../../fakes/fake-wecom-ws.js';
import type { ChannelLink, Intake, ReplyTarget } from '../../../../src/channel.js';
import type { NormalizedMessage } from '../../../../src/message.js';
import { NO_METRICS } from '../../../../src/metrics/metrics.js';
import { ConfiguredRules } from '../../../../src/pipeline/cow-rules.js';
import { userMessages } from '../../../../src/pipeline/user-messages.js';
import { BOT_ID, BOT_SECRET, contentOf, GROUP, startFakeBots } from '../../../support/aibot-ws-harness.js';
import { createHarness, type Harness } from '../../../support/pipeline-harness.js';

/**
 * WeCom takes a stream's frames for 6 minutes from the first (the official text). The replier runs
 * on the answer worker, out of a test's reach, so these drive both halves in one thread over a
 * link like the threads' own, with a clock the test moves, against the fake long connection.
 */

const MINUTE = 60_000;
const ANSWER = '今天一共测试了 12 项，全部通过，没有发现新的问题。';

interface Setup {
  ws: FakeWeComWs;
  openai: FakeOpenAI;
  pipeline: Harness;
  receiver: AiBotWsReceiver;
  replier: AiBotWsReplier;
  taken: NormalizedMessage[];
  clock: { now: number };
}

let setup: Setup | undefined;
afterEach(async () => {
  setup?.replier.close();
  await setup?.receiver.stop();
  await setup?.ws.close();
  await setup?.openai.close();
  setup = undefined;
});

/** Two ends of a link; what one posts reaches the other's handlers in a later turn, cloned, as between threads. */
function linkPair(): [ChannelLink, ChannelLink] {
  const handlers: Array<Array<(message: unknown) => void>> = [[], []];
  const end = (mine: number): ChannelLink => ({
    post: (message) =>
      setImmediate(() => {
        for (const handler of handlers[1 - mine]!) handler(structuredClone(message));
      }),
    onMessage: (handler) => void handlers[mine]!.push(handler),
  });
  return [end(0), end(1)];
}

async function start(): Promise<Setup> {
  const ws = await startFakeBots();
  const openai = await startFakeOpenAI();
  const pipeline = await createHarness({ openaiUrl: openai.url, config: { group_name_white_list: ['ALL_GROUP'], character_desc: '' } });
  const [receiving, answering] = linkPair();
  const bot = { bot_id: BOT_ID, secret: BOT_SECRET, ws_url: ws.url, heartbeat_seconds: 30, stream: true };
  const taken: NormalizedMessage[] = [];
  const intake = {
    submit: async (message: NormalizedMessage) => {
      taken.push(message);
      return 'accepted';
    },
    seen: async () => false,
  } as unknown as Intake;
  const receiver = new AiBotWsReceiver({
    bots: [bot],
    metrics: NO_METRICS,
    groupNames: {},
    welcomeMessage: '',
    intake,
    rules: new ConfiguredRules(pipeline.config),
    link: receiving,
    logger: pipeline.logger,
  });
  const clock = { now: Date.now() };
  const replier = new AiBotWsReplier({
    bots: [bot],
    groupNames: {},
    link: answering,
    http: createWeComHttp({ timeoutMs: 5000, proxy: '' }),
    logger: pipeline.logger,
    now: () => clock.now,
  });
  receiver.start();
  await ws.waitFor(() => ws.subscribed(BOT_ID), 'the subscription');
  setup = { ws, openai, pipeline, receiver, replier, taken, clock };
  return setup;
}

/** "@bot 总结一下" pushed down the socket, as the receiver hands it to the intake. */
async function groupMessage(s: Setup): Promise<{ message: NormalizedMessage; reqId: string }> {
  const reqId = s.ws.pushMessage(BOT_ID, {
    chattype: 'group',
    chatid: GROUP,
    from: { userid: 'zhangsan' },
    msgtype: 'text',
    text: { content: '@bot 总结一下' },
  });
  const taken = await s.ws.waitFor(() => s.taken[0], 'the message taken in');
  const message = s.replier.revive(taken.raw as Parameters<AiBotWsReplier['revive']>[0]);
  assert.ok(message, 'the message revives on the answering side');
  return { message, reqId };
}

/** Answers as the answer runner does: begin, the pipeline, deliver, end. */
async function answer(s: Setup, message: NormalizedMessage): Promise<void> {
  const target: ReplyTarget = {
    name: 'weworktop',
    capabilitiesFor: () => ({ voice: false, image: true, file: true, streaming: true }),
    send: (reply, context) => s.replier.deliver(reply, context),
  };
  const stream = s.replier.begin(message, { replayed: false });
  const outcome = await s.pipeline.pipeline.answer(message, target, stream);
  for (const reply of outcome.replies) await s.replier.deliver(reply, { message, sessionId: outcome.sessionId });
  s.replier.end(message);
}

const streamOf = (frame: { body?: Record<string, unknown> }) => frame.body?.stream as { finish: boolean; content: string };

describe('AI bot long connection: the 6-minute stream window', () => {
  test('the window passing while the LLM writes: the stream is closed saying the answer follows, and the answer goes whole by aibot_send_msg', async () => {
    const s = await start();
    s.openai.setChatResponder(() => ANSWER);
    s.openai.setStreaming({ chunkChars: 3, chunkDelayMs: 120 });
    const { message, reqId } = await groupMessage(s);
    // Once the first frame is on the wire, the clock jumps past the window.
    const unwatch = s.ws.onFrame((seen) => {
      if (seen.frame.headers.req_id === reqId) s.clock.now += 5 * MINUTE + 31_000;
    });
    await answer(s, message);
    unwatch();
    const frames = await s.ws.waitFor(
      () => s.ws.replies(reqId).some((frame) => streamOf(frame).finish) && s.ws.replies(reqId),
      'the closed stream',
    );
    assert.equal(frames.filter((frame) => !streamOf(frame).finish).length, 1, 'no partial frame after the window');
    const closing = streamOf(frames.at(-1)!);
    assert.ok(closing.content.endsWith(userMessages.answerFollows), closing.content);
    assert.ok(!closing.content.includes(ANSWER), 'the stream does not carry the answer');
    assert.deepEqual(
      s.ws.proactive().map((frame) => [frame.body?.chatid, frame.body?.chat_type, contentOf(frame)]),
      [[GROUP, 2, ANSWER]],
    );
  });

  test('an answer inside the window finishes its stream and sends nothing proactively', async () => {
    const s = await start();
    s.openai.setChatResponder(() => {
      s.clock.now += 5 * MINUTE;
      return ANSWER;
    });
    const { message, reqId } = await groupMessage(s);
    await answer(s, message);
    const last = streamOf(s.ws.replies(reqId).at(-1)!);
    assert.deepEqual([last.finish, last.content], [true, ANSWER]);
    assert.deepEqual(s.ws.proactive(), []);
  });
});
