import type { ChildProcess } from 'node:child_process';
import { ask, forkBenchProcess, stopChild } from './child-process.js';
import type { FakeCloudOptions, FakeCloudReport, FakeCloudRequest, FakeSend } from './fake-cloud.js';

/** The parent's side of fake-cloud.ts. Each request resolves with the count of messages the fake WeCom got since the last reset. */
export class FakeCloud {
  private constructor(
    private readonly child: ChildProcess,
    readonly wecomUrl: string,
    readonly openaiUrl: string,
  ) {}

  /** `onSends` gets every message/send as it is reported (in batches, with the time it arrived). */
  static async start(
    options: FakeCloudOptions = { llmLatencyMs: 0, reportSends: false },
    onSends?: (sends: FakeSend[]) => void,
  ): Promise<FakeCloud> {
    const { child, ready } = await forkBenchProcess<Extract<FakeCloudReport, { type: 'ready' }>>('fake-cloud', [JSON.stringify(options)]);
    if (onSends) child.on('message', (report: FakeCloudReport) => report.type === 'sends' && onSends(report.sends));
    return new FakeCloud(child, ready.wecomUrl, ready.openaiUrl);
  }

  /** Chat answers wait (an LLM still thinking) until releaseAnswers. */
  holdAnswers(): Promise<number> {
    return this.request({ type: 'hold-answers' });
  }

  releaseAnswers(): Promise<number> {
    return this.request({ type: 'release-answers' });
  }

  /** Forgets what was sent and received (the reported sends are flushed first). */
  reset(): Promise<number> {
    return this.request({ type: 'reset' });
  }

  close(): Promise<void> {
    return stopChild(this.child);
  }

  private async request(request: FakeCloudRequest): Promise<number> {
    return (await ask<Extract<FakeCloudReport, { type: 'done' }>>(this.child, request, 'done')).sent;
  }
}
