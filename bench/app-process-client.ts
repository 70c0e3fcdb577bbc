import type { ChildProcess } from 'node:child_process';
import type { AppProcessReport, AppStats } from './app-process.js';
import { ask, forkBenchProcess, stopChild } from './child-process.js';

/** The parent's side of app-process.ts: start it with a config, ask for its memory, stop it. */
export class AppProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly startRss: number,
  ) {}

  /** `cpuProfileDir`: write the app's CPU profile there when it stops (node --cpu-prof). */
  static async start(config: Record<string, unknown>, options: { cpuProfileDir?: string } = {}): Promise<AppProcess> {
    const profile = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
    const { child, ready } = await forkBenchProcess<Extract<AppProcessReport, { type: 'ready' }>>(
      'app-process',
      [JSON.stringify(config)],
      profile,
    );
    return new AppProcess(child, ready.url, ready.rss);
  }

  stats(): Promise<AppStats> {
    return ask<AppStats>(this.child, { type: 'stats' }, 'stats');
  }

  stop(): Promise<void> {
    return stopChild(this.child);
  }
}
