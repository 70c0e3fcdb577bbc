import { ConfigError, describeFound } from '../config/config-error.js';
import type { CoreConfig } from '../config/schema.js';
import type { PluginRegistry } from './plugin-bus.js';

/** Refuses an unknown plugin name with one line naming the known ones (on the main thread, before the answer worker loads them). */
export function checkPluginNames(config: Pick<CoreConfig, 'plugins'>, registry: PluginRegistry): void {
  const unknown = config.plugins.find((name) => !registry.names.includes(name));
  if (unknown !== undefined)
    throw new ConfigError('plugins', `names from ${registry.names.map((n) => `"${n}"`).join(', ')}`, describeFound(unknown));
}
