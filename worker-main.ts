// The answer worker thread (started by src/app/start-app.ts): the pipeline and the channel's replier run here.
import { channelRegistry } from './channels/registry.js';
import { pluginRegistry } from './plugins/registry.js';
import { runWorkerThread } from './src/worker/worker-thread.js';

await runWorkerThread({ channels: channelRegistry, plugins: pluginRegistry });
