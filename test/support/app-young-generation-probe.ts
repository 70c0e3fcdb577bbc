// Run by test/src/runtime/memory-policy.test.ts in a fresh process: starts the app on the config
// file argv[2] and prints the main thread's new space before and once it runs, in MB.
import v8 from 'node:v8';
import { channelRegistry } from '../../channels/registry.js';
import { pluginRegistry } from '../../plugins/registry.js';
import { startApp } from '../../src/app/start-app.js';

const newSpaceMb = () => (v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0) / 1024 / 1024;
// Loading this file's imports under tsx may have grown it already: what start-up adds is measured from here.
const beforeMb = newSpaceMb();
const running = await startApp({
  channels: channelRegistry,
  plugins: pluginRegistry,
  argv: ['--config', process.argv[2]!],
  env: {},
  logSink: { write: () => undefined },
});
const afterMb = newSpaceMb();
await running.stop();
console.log(JSON.stringify({ beforeMb, afterMb }));
