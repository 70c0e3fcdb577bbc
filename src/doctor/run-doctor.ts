import { parseArgs } from 'node:util';
import type { ChannelRegistry } from '../channel.js';
import { ConfigError } from '../config/config-error.js';
import { EMBEDDED_DEFAULT, type LoadedConfig, loadConfig } from '../config/load-config.js';
import { createLogger } from '../logger.js';
import { type CheckResult, type DoctorCheck, fail, pass } from './doctor-check.js';
import { ffmpegCheck } from './ffmpeg-check.js';
import { forwardCheck } from './forward-check.js';
import { llmCheck } from './llm-check.js';
import { redisCheck } from './redis-check.js';
import { storeCheck } from './store-check.js';

export interface DoctorOptions {
  channels: ChannelRegistry;
  /** The command's arguments: --config PATH, --json, --timeout SECONDS. */
  argv: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  print?: (text: string) => void;
}

export const DOCTOR_USAGE = `weworktop doctor [--config config.json] [--json] [--timeout SECONDS]

Reads the config exactly as the app does and checks what a first message needs: the config, data_dir
and its stores, the LLM (a one-token completion), ffmpeg when voice is on, and the channel's own
checks (for WeCom: each app's Secret and AgentId, the trusted IP list, the callback URLs from
public_url). One line per check; exit code 0 only when none failed. --json prints the results as JSON.`;

const MARKS = { pass: '✔', fail: '✘', skip: '–' } as const;

interface Line extends CheckResult {
  name: string;
}

/** `weworktop doctor`: runs the checks (at once, printed in order), resolves the exit code. */
export async function runDoctor(options: DoctorOptions): Promise<number> {
  const print = options.print ?? ((text) => process.stdout.write(text));
  let flags: { json: boolean; timeout: string; help: boolean };
  try {
    ({ values: flags } = parseArgs({
      args: options.argv,
      strict: false,
      options: {
        json: { type: 'boolean', default: false },
        timeout: { type: 'string', default: '10' },
        help: { type: 'boolean', default: false },
      },
    }) as { values: typeof flags });
  } catch (error) {
    print(`doctor: ${(error as Error).message}\n\n${DOCTOR_USAGE}\n`);
    return 2;
  }
  if (flags.help) {
    print(`${DOCTOR_USAGE}\n`);
    return 0;
  }
  const timeoutMs = Number(flags.timeout) * 1000;
  if (!(timeoutMs > 0)) {
    print(`doctor: --timeout must be a number of seconds\n\n${DOCTOR_USAGE}\n`);
    return 2;
  }
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  let loaded: LoadedConfig;
  try {
    loaded = await loadConfig({ argv: options.argv, env, cwd, channels: options.channels });
  } catch (error) {
    const line: Line = { name: 'config', ...configProblem(error) };
    return report([line], flags.json, undefined, print);
  }
  const checks = await checksFor(loaded, options.channels, cwd, timeoutMs, env);
  // At once (each waits on a different server), each bounded: a check that hangs is a failure too.
  const results = await Promise.all(checks.map((check) => bounded(check, timeoutMs * 3)));
  return report(results, flags.json, loaded.source, print);
}

async function checksFor(
  loaded: LoadedConfig,
  channels: ChannelRegistry,
  cwd: string,
  timeoutMs: number,
  env: NodeJS.ProcessEnv,
): Promise<DoctorCheck[]> {
  const { config, source, warnings } = loaded;
  const logger = createLogger({ level: 'silent' });
  const where = source === EMBEDDED_DEFAULT ? 'the environment (no config file)' : source;
  const configLine: DoctorCheck = {
    name: 'config',
    run: async () =>
      source === EMBEDDED_DEFAULT && config.channel_type === 'terminal' && !env.CHANNEL_TYPE
        ? fail(
            'no config file and no channel credentials in the environment: npm start would run the simulator',
            'cp config.json.example config.json and fill it in (or pass --config PATH)',
          )
        : pass(`${where} is valid (channel ${config.channel_type})${warnings.length ? `; warnings: ${warnings.join('; ')}` : ''}`),
  };
  const channelModule = await channels.load(config.channel_type);
  const channelChecks = await Promise.resolve(channelModule.doctor?.({ config, logger, timeoutMs })).catch(
    (error: unknown): DoctorCheck[] => [{ name: config.channel_type, run: async () => configProblem(error) }],
  );
  return [
    configLine,
    config.store === 'redis' ? redisCheck(config, timeoutMs) : storeCheck(config, cwd),
    llmCheck({ config, llm: loaded.llm, logger, timeoutMs }),
    // Each app or bot with an assistant of its own (not the top level's) gets a line of its own.
    ...loaded.assistants
      .filter((assistant) => assistant.config !== config)
      .map((assistant) => llmCheck({ config: assistant.config, llm: assistant.llm, logger, timeoutMs, name: `LLM of ${assistant.label}` })),
    ffmpegCheck(config),
    ...forwardCheck(config, timeoutMs),
    ...(channelChecks ?? []),
  ];
}

function configProblem(error: unknown): CheckResult {
  if (error instanceof ConfigError) return fail(error.message.replace(/^config error: /, ''), `set ${error.key} to ${error.expected}`);
  return fail(
    `the config cannot be read: ${(error as Error).message}`,
    'check the config file (--config PATH, CONFIG_PATH or ./config.json)',
  );
}

async function bounded(check: DoctorCheck, limitMs: number): Promise<Line> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(
      () => resolve(fail(`no result within ${limitMs / 1000} s`, 'check the network to the service this check calls')),
      limitMs,
    );
  });
  try {
    const result = await Promise.race([
      check.run().catch((error: unknown) => fail(`the check failed: ${(error as Error).message}`, 'report this with the line above')),
      late,
    ]);
    return { name: check.name, ...result };
  } finally {
    clearTimeout(timer);
  }
}

function report(lines: Line[], json: boolean, source: string | undefined, print: (text: string) => void): number {
  const failed = lines.filter((line) => line.status === 'fail').length;
  if (json) {
    print(`${JSON.stringify({ ok: failed === 0, ...(source ? { config: source } : {}), checks: lines }, null, 2)}\n`);
  } else {
    const text = lines.map((line) => `${MARKS[line.status]} ${line.name}: ${line.detail}${line.fix ? ` → fix: ${line.fix}` : ''}`);
    const skipped = lines.filter((line) => line.status === 'skip').length;
    const aside = skipped ? ` (${skipped} skipped)` : '';
    text.push('', failed === 0 ? `No check failed${aside}.` : `${failed} of ${lines.length} checks failed${aside}.`);
    print(`${text.join('\n')}\n`);
  }
  return failed === 0 ? 0 : 1;
}
