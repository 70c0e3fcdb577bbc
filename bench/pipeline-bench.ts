import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { AppProcess } from './app-process-client.js';
import { benchConfig } from './bench-app.js';
import { nextMsgId, postCallback, type SignedRequest, textCallback } from './callback-requests.js';
import type { FakeSend } from './fake-cloud.js';
import { FakeCloud } from './fake-cloud-client.js';
import { checkReplies, type ReplyCheck } from './reply-check.js';
import { MB, type Percentiles, percentiles } from './stats.js';

export interface PacedRun {
  name: string;
  /** Offered rate as a share of the burst's throughput. */
  share: number;
  messagesPerUser: number;
}

export interface PipelineSettings {
  users: number;
  /** Burst: messages per user. */
  messagesPerUser: number;
  paced: PacedRun[];
  llmLatencyMs: number;
  concurrency: number;
  /** HTTP connections posting callbacks in the burst. */
  senders: number;
}

export interface PacedResult extends PacedRun {
  messages: number;
  offeredPerSec: number;
  endToEnd: Percentiles;
  /** End to end minus the LLM's latency, as the load generator sees it (its own and the fakes' delays included). */
  overhead: Percentiles;
  /** The app's own measure of each answer: callback in to reply handed to the channel, minus the time waiting on the LLM. */
  framework: Percentiles;
  loopDelayMs: { p99: number; max: number };
}

export interface PipelineResult {
  settings: PipelineSettings;
  /** Every message posted as fast as `senders` connections allow. */
  burst: {
    messages: number;
    seconds: number;
    messagesPerSec: number;
    endToEnd: Percentiles;
    framework: Percentiles;
    loopDelayMs: { p99: number; max: number };
  };
  paced: PacedResult[];
  /** end: right after the last run; settled: after the app sat idle SETTLE_MS (V8 gives memory back once allocation stops). */
  rss: { startMb: number; peakMb: number; endMb: number; settledMb: number };
  check: ReplyCheck;
  logLines: number;
  firstLogLines: string[];
}

interface BenchMessage {
  msgId: string;
  request: SignedRequest;
}

// A short question as WeCom users write it: Chinese costs more to tokenize than ASCII.
const QUESTION = '明天下午三点的会议还开吗？';
const REPLY = /^echo: bench (\d+) /;
/** V8's memory reducer starts 8 s after allocation slows down. */
export const SETTLE_MS = 12_000;

/**
 * callback → queue → fake LLM → fake WeCom message/send for `users` users: a burst for the
 * throughput, then runs paced below capacity for the latency the framework adds (in a burst,
 * waiting in the queue dominates, which is load, not overhead). The app runs in its own process.
 */
export async function runPipelineBench(
  settings: PipelineSettings,
  progress: (line: string) => void,
  cpuProfileDir?: string,
): Promise<PipelineResult> {
  const replies = new Map<string, number[]>();
  const stray: string[] = [];
  let dropped = 0;
  const onSends = (sends: FakeSend[]) => {
    for (const { content, at, dropped: wasDropped } of sends) {
      if (wasDropped) dropped += 1;
      const msgId = REPLY.exec(content)?.[1];
      if (msgId === undefined) stray.push(content.slice(0, 80));
      else replies.set(msgId, [...(replies.get(msgId) ?? []), at]);
    }
  };
  // The cloud in a process of its own, as for the ack benchmark; it reports each reply with the time it arrived.
  const cloud = await FakeCloud.start({ llmLatencyMs: settings.llmLatencyMs, reportSends: true }, onSends);
  const total = settings.users * settings.messagesPerUser;
  const perUser = settings.messagesPerUser + settings.paced.reduce((sum, run) => sum + run.messagesPerUser, 0);
  // Each user sends perUser messages in a minute or two: the per-user limit (a policy, not a cost) must let them through.
  const config = benchConfig(
    { wecomUrl: cloud.wecomUrl, openaiUrl: cloud.openaiUrl },
    { concurrency: settings.concurrency, max_queue: total, rate_limit_per_minute: 2 * perUser, log_level: 'info' },
  );
  const app = await AppProcess.start(config, cpuProfileDir ? { cpuProfileDir } : {});
  const pool = new Pool(app.url, { connections: settings.senders });
  const posted = new Map<string, number>();
  let ackFailures = 0;
  const post = async ({ msgId, request }: BenchMessage) => {
    posted.set(msgId, performance.timeOrigin + performance.now());
    if ((await postCallback(pool, request)) !== 200) ackFailures += 1;
  };
  const endToEnd = (messages: BenchMessage[]) =>
    messages.map((m) => (replies.get(m.msgId)?.[0] ?? NaN) - posted.get(m.msgId)!).filter(Number.isFinite);
  const everyMessage: BenchMessage[] = [];
  try {
    const burst = buildMessages(settings.users, settings.messagesPerUser);
    everyMessage.push(...burst);
    progress(`  burst: ${total} messages from ${settings.users} users`);
    let next = 0;
    await Promise.all(
      Array.from({ length: settings.senders }, async () => {
        while (next < burst.length) await post(burst[next++]!);
      }),
    );
    await waitForReplies(burst, replies);
    const first = Math.min(...burst.map((m) => posted.get(m.msgId)!));
    const last = Math.max(...burst.map((m) => replies.get(m.msgId)?.[0] ?? 0));
    const burstSeconds = (last - first) / 1000;
    const burstRate = total / burstSeconds;
    const burstStats = await app.stats();

    const paced: PacedResult[] = [];
    for (const run of settings.paced) {
      const messages = buildMessages(settings.users, run.messagesPerUser);
      everyMessage.push(...messages);
      const offered = Math.max(1, Math.round(burstRate * run.share));
      progress(`  ${run.name}: ${messages.length} more at ${offered} messages/s`);
      await postPaced(messages, offered, post);
      await waitForReplies(messages, replies);
      const times = endToEnd(messages);
      const stats = await app.stats();
      paced.push({
        ...run,
        messages: messages.length,
        offeredPerSec: offered,
        endToEnd: percentiles(times),
        overhead: percentiles(times.map((ms) => ms - settings.llmLatencyMs)),
        framework: stats.frameworkMs,
        loopDelayMs: stats.loopDelayMs,
      });
    }

    const stats = await app.stats();
    await sleep(SETTLE_MS);
    const settled = await app.stats();
    return {
      settings,
      burst: {
        messages: total,
        seconds: burstSeconds,
        messagesPerSec: burstRate,
        endToEnd: percentiles(endToEnd(burst)),
        framework: burstStats.frameworkMs,
        loopDelayMs: burstStats.loopDelayMs,
      },
      paced,
      rss: { startMb: app.startRss / MB, peakMb: stats.peakRss / MB, endMb: stats.rss / MB, settledMb: settled.rss / MB },
      check: checkReplies(
        everyMessage.map((m) => m.msgId),
        replies,
        stray,
        dropped,
        ackFailures,
      ),
      logLines: stats.logLines,
      firstLogLines: stats.firstLogLines,
    };
  } finally {
    await pool.close();
    await app.stop();
    await cloud.close();
  }
}

/** Message k of user u comes after every user's message k-1, as when many people chat at once. */
function buildMessages(users: number, perUser: number): BenchMessage[] {
  const messages: BenchMessage[] = [];
  for (let k = 0; k < perUser; k++) {
    for (let u = 0; u < users; u++) {
      const msgId = nextMsgId();
      messages.push({ msgId, request: textCallback(`user-${String(u).padStart(4, '0')}`, msgId, `bench ${msgId} ${QUESTION}`) });
    }
  }
  return messages;
}

/** Posts at `perSecond`, each on time whatever the acks take (an open loop, like WeCom). */
async function postPaced(messages: BenchMessage[], perSecond: number, post: (message: BenchMessage) => Promise<void>): Promise<void> {
  const started = performance.now();
  const sends: Promise<void>[] = [];
  for (let i = 0; i < messages.length; i++) {
    const wait = started + (i * 1000) / perSecond - performance.now();
    if (wait >= 1) await sleep(wait);
    sends.push(post(messages[i]!));
  }
  await Promise.all(sends);
}

async function waitForReplies(messages: BenchMessage[], replies: Map<string, number[]>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && messages.some((m) => !replies.has(m.msgId))) await sleep(20);
  // A duplicate would arrive just after the last first answer.
  await sleep(200);
}
