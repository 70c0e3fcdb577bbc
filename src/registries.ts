import type { ChannelModule } from './channel.js';
import type { PluginModule } from './plugins/plugin-bus.js';

/** Names known up front, modules loaded only when chosen (the core never imports a channel). */
export interface ModuleRegistry<T> {
  readonly names: readonly string[];
  load(name: string): Promise<T>;
}

export type ChannelRegistry = ModuleRegistry<ChannelModule>;
export type PluginRegistry = ModuleRegistry<PluginModule>;

export function createRegistry<T>(loaders: Record<string, () => Promise<T>>): ModuleRegistry<T> {
  return {
    names: Object.keys(loaders),
    load(name) {
      const loader = loaders[name];
      if (!loader) throw new Error(`unknown module "${name}"`);
      return loader();
    },
  };
}
