// The fake WeCom API and the fake OpenAI-compatible server in a process of their own: in
// production they are remote, so their work must not run on the threads that are measured. At
// nice 10 they get the CPU the app leaves, as a remote cloud takes none of it.
import os from 'node:os';
import { startFakeOpenAI } from '../fakes/fake-openai.js';
import { startFakeWeCom } from '../fakes/fake-wecom.js';
import { AGENT_ID, CORP_ID, FAKE_KEEP_ALIVE_MS, SECRET } from './bench-app.js';

export interface FakeCloudOptions {
  llmLatencyMs: number;
  /** Report every message/send (the reply's text and when it arrived) to the parent. */
  reportSends: boolean;
}
export type FakeCloudRequest = { type: 'hold-answers' } | { type: 'release-answers' } | { type: 'reset' } | { type: 'stop' };
/** `at`: performance.timeOrigin + performance.now(), comparable across processes on one machine. */
export type FakeSend = { content: string; at: number; dropped: boolean };
export type FakeCloudReport =
  | { type: 'ready'; wecomUrl: string; openaiUrl: string }
  | { type: 'done'; sent: number }
  | { type: 'sends'; sends: FakeSend[] };

const options = JSON.parse(process.argv[2] ?? '{}') as FakeCloudOptions;
const send = (report: FakeCloudReport) => process.send?.(report);
// The benchmark ended (or died): nothing is left running.
process.once('disconnect', () => process.exit(0));
try {
  os.setPriority(10);
} catch {
  // Not allowed here: the fakes compete with the app on equal terms.
}

let sent = 0;
let sends: FakeSend[] = [];
const flush = () => {
  if (sends.length === 0) return;
  send({ type: 'sends', sends });
  sends = [];
};
const reporter = options.reportSends ? setInterval(flush, 20) : undefined;
const wecom = await startFakeWeCom({
  corpId: CORP_ID,
  apps: [{ agentId: AGENT_ID, secret: SECRET }],
  keepAliveMs: FAKE_KEEP_ALIVE_MS,
  record: false,
  onSend: (message, dropped) => {
    sent += 1;
    if (options.reportSends)
      sends.push({
        content: (message.body.text as { content?: string } | undefined)?.content ?? '',
        at: performance.timeOrigin + performance.now(),
        dropped,
      });
  },
});
const openai = await startFakeOpenAI({ keepAliveMs: FAKE_KEEP_ALIVE_MS, record: false });
openai.setLatency(options.llmLatencyMs);
let release = () => {};

process.on('message', (request: FakeCloudRequest) => {
  if (request.type === 'hold-answers') {
    // An LLM still thinking: no chat answer until released.
    const gate = new Promise<void>((resolve) => (release = resolve));
    openai.setChatResponder(async () => {
      await gate;
      return 'answered after the run';
    });
    send({ type: 'done', sent });
  } else if (request.type === 'release-answers') {
    release();
    send({ type: 'done', sent });
  } else if (request.type === 'reset') {
    flush();
    wecom.reset();
    openai.reset();
    openai.setLatency(options.llmLatencyMs);
    send({ type: 'done', sent });
    sent = 0;
  } else {
    release();
    clearInterval(reporter);
    flush();
    void Promise.all([wecom.close(), openai.close()]).finally(() => process.exit(0));
  }
});
send({ type: 'ready', wecomUrl: wecom.url, openaiUrl: openai.url });
