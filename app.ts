import { channelRegistry } from './channels/registry.js';
import { pluginRegistry } from './plugins/registry.js';
import { ConfigError } from './src/config/config-error.js';
import { startApp, type RunningApp } from './src/start-app.js';

/** `node app.js`: start the configured channel; a bad config stops here with one clear line. */
async function main(): Promise<void> {
  let app: RunningApp | undefined;
  let stopping = false;
  const shutdown = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    app?.logger.info({ reason }, 'shutting down');
    await app?.stop();
    process.exit(0);
  };
  try {
    app = await startApp({ channels: channelRegistry, plugins: pluginRegistry, onShutdownRequest: (reason) => void shutdown(reason) });
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : `start-up failed: ${(error as Error).message}`);
    process.exit(1);
  }
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

void main();
