import type { ChannelModule } from '../src/channel.js';
import { createRegistry } from '../src/registries.js';

/** channel_type → channel module, imported only when selected. */
export const channelRegistry = createRegistry<ChannelModule>({
  terminal: () => import('./terminal/index.js'),
  weworktop: () => import('./weworktop/index.js'),
});
