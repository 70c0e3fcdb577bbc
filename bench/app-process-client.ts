import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppProcessReport, AppProcessRequest, AppStats } from './app-process.js';

/** The parent's side of app-process.ts: start it with a config, ask for its memory, stop it. */
export class AppProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly startRss: number,
  ) {}

  /** `cpuProfileDir`: write the app's CPU profile there when it stops (node --cpu-prof). */
  static async start(config: Record<string, unknown>, options: { cpuProfileDir?: string } = {}): Promise<AppProcess> {
    // The child keeps this process's execArgv (the tsx loader).
    const execArgv = [...process.execArgv, ...(options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [])];
    const child = fork(fileURLToPath(new URL(`./app-process${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url)), [JSON.stringify(config)], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ready = await new Promise<Extract<AppProcessReport, { type: 'ready' }>>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`app process exited with ${code} before it was ready`)));
      child.once('message', (report: AppProcessReport) => (report.type === 'ready' ? resolve(report) : reject(new Error(`unexpected ${report.type}`))));
    });
    child.removeAllListeners('exit');
    return new AppProcess(child, ready.url, ready.rss);
  }

  stats(): Promise<AppStats> {
    return new Promise((resolve) => {
      this.child.once('message', (report: AppProcessReport) => report.type === 'stats' && resolve(report));
      this.request({ type: 'stats' });
    });
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.request({ type: 'stop' });
    await exited;
  }

  private request(request: AppProcessRequest): void {
    this.child.send(request);
  }
}
