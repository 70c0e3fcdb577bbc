import { channelRegistry } from './channels/registry.js';
import { pluginRegistry } from './plugins/registry.js';
import { startApp } from './src/app/start-app.js';
import { ConfigError } from './src/config/config-error.js';
import { channelWithCredentials } from './src/config/cow-channels.js';
import { resolveConfigPath } from './src/config/load-config.js';

const COMMANDS = ['start', 'demo', 'doctor', 'simulate', 'send'] as const;
type Command = (typeof COMMANDS)[number];

/**
 * `node app.js [start|demo|doctor|simulate|send] [options]` (the `weworktop` command too): `start`,
 * the default, runs the configured channel; a bad config stops there with one clear line. `demo`
 * (`--demo`), or no config at all: the local WeCom simulator. `doctor` checks a deployment,
 * `simulate` plays WeCom against a running one, `send` sends one message from the config.
 */
const USAGE = `weworktop [start|demo|doctor|simulate|send] [options]

  start      run the configured channel (the default; no config at all: the demo)
  demo       the local WeCom simulator (also --demo)
  doctor     check the config, stores, LLM, ffmpeg and WeCom before the first message
  simulate   play WeCom against a running deployment (URL check and one message)
  send       send one message from the config (send --to user:alice --text "backup done"; chat: through the server)

  --config PATH   the config file (default ./config.json, or CONFIG_PATH)
  doctor --help, simulate --help and send --help list their options; docs/production.md: running it in production.`;

async function main(): Promise<void> {
  const [first = '', ...rest] = process.argv.slice(2);
  if (first === 'help' || first === '--help' || first === '-h') return void console.log(USAGE);
  const named = (COMMANDS as readonly string[]).includes(first);
  const command = (named ? first : 'start') as Command;
  const argv = named ? rest : process.argv.slice(2);
  if (command === 'doctor') {
    const { runDoctor } = await import('./src/doctor/run-doctor.js');
    return exitAfterOutput(await runDoctor({ channels: channelRegistry, argv }));
  }
  if (command === 'send') {
    const { runSend } = await import('./src/push/send-command.js');
    return exitAfterOutput(await runSend({ channels: channelRegistry, argv }));
  }
  if (command === 'simulate') {
    const { runSimulate } = await import('./simulator/simulate-cli.js');
    return exitAfterOutput(await runSimulate(argv));
  }
  await run(command === 'demo' ? ['--demo', ...argv] : argv);
}

async function run(argv: string[]): Promise<void> {
  let running: { stop(): Promise<void>; log(reason: string): void } | undefined;
  let stopping = false;
  const shutdown = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    running?.log(reason);
    await running?.stop();
    process.exit(0);
  };
  const onShutdownRequest = (reason: string) => void shutdown(reason);
  try {
    if (argv.includes('--demo') || (await isFirstRun(argv))) {
      const { startDemo } = await import('./simulator/start-demo.js');
      const demo = await startDemo({ argv, onShutdownRequest });
      running = { stop: () => demo.stop(), log: (reason) => demo.app.logger.info({ reason }, 'shutting down') };
    } else {
      const app = await startApp({ channels: channelRegistry, plugins: pluginRegistry, argv, onShutdownRequest });
      running = { stop: () => app.stop(), log: (reason) => app.logger.info({ reason }, 'shutting down') };
    }
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : `start-up failed: ${(error as Error).message}`);
    process.exit(1);
  }
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

/** No config file, no CHANNEL_TYPE and no channel credentials in the environment: nothing was set up yet, so show the simulator. */
async function isFirstRun(argv: string[]): Promise<boolean> {
  if (process.env.CHANNEL_TYPE || resolveConfigPath(argv, process.env, process.cwd()) !== undefined) return false;
  return (await channelWithCredentials({}, process.env, channelRegistry)) === undefined;
}

/** A command's end: kept-alive connections to the services it called must not hold the process open. */
function exitAfterOutput(code: number): void {
  process.stdout.write('', () => process.exit(code));
}

void main();
