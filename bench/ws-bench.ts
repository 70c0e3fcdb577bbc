import { setTimeout as sleep } from 'node:timers/promises';
import { lastUserText, startFakeOpenAI } from '../fakes/fake-openai.js';
import { startFakeWeComWs } from '../fakes/fake-wecom-ws.js';
import { AppProcess } from './app-process-client.js';
import { FAKE_KEEP_ALIVE_MS } from './bench-app.js';
import { type Percentiles, percentiles } from './stats.js';

export interface WsBenchSettings {
  users: number;
  /** Burst: messages per user (WeCom allows a user three answers in flight). */
  messagesPerUser: number;
  llmLatencyMs: number;
  concurrency: number;
  /** Paced run: messages per second, and how many. */
  pacedPerSec: number;
  pacedMessages: number;
}

export interface WsBenchResult {
  settings: WsBenchSettings;
  /** Every message pushed down the one connection at once; answered = its stream finished and acked. */
  burst: { messages: number; seconds: number; answeredPerSec: number; firstFrameDelayMs: Percentiles };
  /** The LLM's first token (written by the fake LLM) to the first stream frame on the socket (read by the fake WeCom). */
  paced: { messages: number; firstFrameDelayMs: Percentiles; endToEndMs: Percentiles };
  check: { messages: number; answeredOnce: number; missing: number; duplicated: number; proactive: number; ok: boolean };
  logLines: number;
  firstLogLines: string[];
}

const BOT_ID = 'aibBenchBot0001';
const BOT_SECRET = 'bench-long-connection-secret';
const QUESTION = '明天下午三点的会议还开吗？';
const TAG = /bench (\d+) /;

/**
 * The AI bot on its long connection: the app in its own process, the fake WeCom WebSocket server
 * and the fake LLM here (their timestamps on one clock). A burst through the one connection for
 * the throughput, then a paced run for the delay between the LLM's first token and the first frame.
 */
export async function runWsBench(settings: WsBenchSettings, progress: (line: string) => void): Promise<WsBenchResult> {
  const pushed = new Map<number, number>();
  const firstToken = new Map<number, number>();
  const firstFrame = new Map<number, number>();
  const finished = new Map<number, number[]>();
  const byReqId = new Map<string, number>();
  const now = () => performance.now();
  const ws = await startFakeWeComWs({ bots: [{ botId: BOT_ID, secret: BOT_SECRET }] });
  const openai = await startFakeOpenAI({
    keepAliveMs: FAKE_KEEP_ALIVE_MS,
    record: false,
    onFirstToken: (request) => {
      const n = Number(TAG.exec(lastUserText(request))?.[1]);
      if (!firstToken.has(n)) firstToken.set(n, now());
    },
  });
  openai.setLatency(settings.llmLatencyMs);
  let proactive = 0;
  ws.onFrame(({ frame }) => {
    if (frame.cmd === 'aibot_send_msg') proactive += 1;
    const n = byReqId.get(frame.headers.req_id);
    if (n === undefined || frame.cmd !== 'aibot_respond_msg') return;
    if (!firstFrame.has(n)) firstFrame.set(n, now());
    if ((frame.body?.stream as { finish?: boolean } | undefined)?.finish) finished.set(n, [...(finished.get(n) ?? []), now()]);
  });
  const total = settings.users * settings.messagesPerUser + settings.pacedMessages;
  const config = {
    channel_type: 'weworktop',
    open_ai_api_key: 'sk-bench-0001',
    open_ai_api_base: openai.url,
    max_retries: 0,
    log_level: 'warn',
    concurrency: settings.concurrency,
    max_queue: total,
    rate_limit_per_minute: 1000,
    weworktop: { host: '127.0.0.1', port: 0, bot: { bot_id: BOT_ID, secret: BOT_SECRET, ws_url: ws.url } },
  };
  const app = await AppProcess.start(config);
  let next = 0;
  const push = (user: number): number => {
    const n = next++;
    pushed.set(n, now());
    const reqId = ws.pushMessage(BOT_ID, {
      chattype: 'single',
      from: { userid: `user-${String(user).padStart(4, '0')}` },
      msgtype: 'text',
      text: { content: `bench ${n} ${QUESTION}` },
    });
    byReqId.set(reqId, n);
    return n;
  };
  const delays = (ids: number[]) =>
    ids.map((n) => (firstFrame.get(n) ?? Number.NaN) - (firstToken.get(n) ?? Number.NaN)).filter(Number.isFinite);
  try {
    await ws.waitFor(() => ws.subscribed(BOT_ID), "the bench app's subscription", 30_000);
    progress(`  burst: ${settings.users * settings.messagesPerUser} messages from ${settings.users} users down one connection`);
    const burst: number[] = [];
    for (let k = 0; k < settings.messagesPerUser; k++) for (let u = 0; u < settings.users; u++) burst.push(push(u));
    await waitForAll(burst, finished);
    const first = Math.min(...burst.map((n) => pushed.get(n)!));
    const last = Math.max(...burst.map((n) => finished.get(n)?.[0] ?? 0));
    const seconds = (last - first) / 1000;

    progress(`  paced: ${settings.pacedMessages} messages at ${settings.pacedPerSec}/s, the LLM streaming token by token`);
    openai.setStreaming({ chunkChars: 2, chunkDelayMs: 10 });
    const paced: number[] = [];
    const started = now();
    for (let i = 0; i < settings.pacedMessages; i++) {
      const wait = started + (i * 1000) / settings.pacedPerSec - now();
      if (wait >= 1) await sleep(wait);
      paced.push(push(i % settings.users));
    }
    await waitForAll(paced, finished);
    await sleep(300);
    const stats = await app.stats();
    const all = [...burst, ...paced];
    const once = all.filter((n) => finished.get(n)?.length === 1).length;
    const missing = all.filter((n) => !finished.has(n)).length;
    const duplicated = all.filter((n) => (finished.get(n)?.length ?? 0) > 1).length;
    return {
      settings,
      burst: { messages: burst.length, seconds, answeredPerSec: burst.length / seconds, firstFrameDelayMs: percentiles(delays(burst)) },
      paced: {
        messages: paced.length,
        firstFrameDelayMs: percentiles(delays(paced)),
        endToEndMs: percentiles(paced.map((n) => (finished.get(n)?.[0] ?? Number.NaN) - pushed.get(n)!).filter(Number.isFinite)),
      },
      check: { messages: all.length, answeredOnce: once, missing, duplicated, proactive, ok: once === all.length && proactive === 0 },
      logLines: stats.logLines,
      firstLogLines: stats.firstLogLines,
    };
  } finally {
    await app.stop();
    await ws.close();
    await openai.close();
  }
}

async function waitForAll(ids: number[], finished: Map<number, number[]>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && ids.some((n) => !finished.has(n))) await sleep(20);
}
