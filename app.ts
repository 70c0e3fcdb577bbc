import { channelRegistry } from './channels/registry.js';
import { pluginRegistry } from './plugins/registry.js';
import { ConfigError } from './src/config/config-error.js';
import { channelWithCredentials } from './src/config/cow-channels.js';
import { resolveConfigPath } from './src/config/load-config.js';
import { startApp } from './src/app/start-app.js';

/**
 * `node app.js`: start the configured channel; a bad config stops here with one clear line.
 * `--demo`, or no config.json at all: the local WeCom simulator (a first run shows the bot working).
 */
async function main(): Promise<void> {
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
  const argv = process.argv.slice(2);
  try {
    if (argv.includes('--demo') || (await isFirstRun(argv))) {
      const { startDemo } = await import('./simulator/start-demo.js');
      const demo = await startDemo({ argv, onShutdownRequest });
      running = { stop: () => demo.stop(), log: (reason) => demo.app.logger.info({ reason }, 'shutting down') };
    } else {
      const app = await startApp({ channels: channelRegistry, plugins: pluginRegistry, onShutdownRequest });
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

void main();
