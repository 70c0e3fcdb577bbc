import type { PluginModule } from '../src/plugins/plugin-bus.js';
import { createRegistry } from '../src/registries.js';

/** Plugin name (the `plugins` config key) → plugin module, imported only when enabled. */
export const pluginRegistry = createRegistry<PluginModule>({
  banwords: () => import('./banwords/index.js'),
  keyword: () => import('./keyword/index.js'),
});
