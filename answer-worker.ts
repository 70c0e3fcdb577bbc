// The answer worker thread (started by src/start-app.ts): the pipeline and the channel's replier run here.
import { channelRegistry } from './channels/registry.js';
import { pluginRegistry } from './plugins/registry.js';
import { runAnswerWorker } from './src/answering/run-answer-worker.js';

await runAnswerWorker({ channels: channelRegistry, plugins: pluginRegistry });
