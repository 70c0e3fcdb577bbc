// An answer worker entry for tests: a channel whose replier ends its thread the first time it is
// asked to answer "crash" (as an out-of-memory or a native crash would), and answers anything else
// (a text starting with "slow" after 300 ms).
import { existsSync, writeFileSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { pluginRegistry } from '../../plugins/registry.js';
import type { ChannelModule, Replier } from '../../src/channel.js';
import type { NormalizedMessage } from '../../src/message.js';
import { createRegistry } from '../../src/registries.js';
import { runWorkerThread } from '../../src/worker/worker-thread.js';

const marker = (workerData as { config: { crash_marker: string } }).config.crash_marker;

const toMessage = (raw: { id: string; text: string }): NormalizedMessage => ({
  id: raw.id,
  channel: 'crash-once',
  chatType: 'single',
  senderId: 'tester',
  isAt: false,
  kind: 'text',
  text: raw.text,
  time: new Date(),
  raw,
});

const crashOnce: ChannelModule = {
  createReceiver: () => Promise.reject(new Error('receiving is not tested here')),
  createReplier: async ({ link }): Promise<Replier> => ({
    name: 'crash-once',
    capabilitiesFor: () => ({ voice: false, image: false, file: false, streaming: false }),
    revive: (raw) => {
      const message = toMessage(raw as { id: string; text: string });
      if (message.text === 'crash' && !existsSync(marker)) {
        writeFileSync(marker, 'crashed');
        process.exit(1);
      }
      return message;
    },
    send: async (reply, context) => {
      if ((context.message.text ?? '').startsWith('slow')) await new Promise((resolve) => setTimeout(resolve, 300));
      link.post({ said: reply.type === 'text' || reply.type === 'error' ? reply.text : reply.type, to: context.message.id });
    },
    notify: async () => {},
  }),
};

await runWorkerThread({ channels: createRegistry<ChannelModule>({ 'crash-once': async () => crashOnce }), plugins: pluginRegistry });
