import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { channelRegistry } from '../../../channels/registry.js';
import { TerminalReceiver } from '../../../channels/terminal/receiver.js';
import { MessageIntake } from '../../../src/app/intake.js';
import type { ReceiverContext } from '../../../src/channel.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/logger.js';
import { NO_METRICS } from '../../../src/metrics/metrics.js';
import { ConfiguredRules } from '../../../src/pipeline/cow-rules.js';
import { MemoryInbox } from '../../../src/store/memory-inbox.js';
import type { AnswerDispatch, AnswerJob } from '../../../src/worker/answer-dispatch.js';

/** The terminal channel at a keyboard (a TTY input), its answer worker replaced by a recorder. */
async function atKeyboard() {
  const { config } = await loadConfig({ argv: [], env: {}, cwd: '/nonexistent', channels: channelRegistry });
  const jobs: Array<Omit<AnswerJob, 'kind'>> = [];
  const said: Array<(message: unknown) => void> = [];
  const answers: AnswerDispatch = {
    answer: (job) => void jobs.push(job),
    notify: () => {},
    confirm: () => {},
    redeliver: () => {},
    outstanding: 0,
    whenIdle: async () => {},
    drain: async () => true,
    ready: async () => ({ ok: true }),
    link: { post: () => {}, onMessage: (handler) => void said.push(handler) },
  };
  const logger = createLogger({ level: 'silent' });
  const rules = new ConfiguredRules(config);
  const intake = new MessageIntake({
    channel: 'terminal',
    rules,
    logger,
    inbox: new MemoryInbox(),
    answers,
    maxOutstanding: 100,
    rateLimitPerMinute: 0,
  });
  const context: ReceiverContext = {
    config,
    logger,
    rules,
    intake,
    link: answers.link,
    requestShutdown: () => {},
    dataDir: tmpdir(),
    metrics: NO_METRICS,
  };
  const input = Object.assign(new PassThrough(), { isTTY: true });
  const output = new PassThrough();
  let shown = '';
  output.on('data', (chunk: Buffer) => (shown += chunk.toString('utf8')));
  const channel = new TerminalReceiver(context, input, output);
  await channel.start();
  return {
    channel,
    input,
    jobs,
    reply: (text: string) => said.forEach((handler) => handler({ type: 'terminal-said', text })),
    shown: () => shown,
  };
}

describe('the terminal channel at a keyboard', () => {
  test('shows a prompt, again after each answer', async () => {
    const t = await atKeyboard();
    assert.match(t.shown(), /you> $/);
    t.input.write('你好\n');
    await sleep(20);
    assert.equal(t.jobs.length, 1);
    t.reply('answer');
    assert.match(t.shown(), /you> bot> answer\nyou> $/);
    await t.channel.stop();
  });

  test('"#chatid" in the private chat says how to get a group\'s id, without asking the bot', async () => {
    const t = await atKeyboard();
    t.input.write('#chatid\n');
    await sleep(20);
    assert.equal(t.jobs.length, 0);
    assert.match(
      t.shown(),
      /bot> this is a private chat, it has no chat id; in a group, "group:NAME #chatid" answers the id to put in group_name_white_list\nyou> $/,
    );
    await t.channel.stop();
  });
});
