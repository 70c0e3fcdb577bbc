import type { Logger } from '../logger.js';
import type { PipelineContext } from '../pipeline/pipeline-context.js';
import type { ModuleRegistry } from '../registries.js';
import type { Reply } from '../reply.js';

/** CoW's four plugin events, in pipeline order. */
export type PluginEvent = 'receive_message' | 'handle_context' | 'decorate_reply' | 'send_reply';

/**
 * CONTINUE: next plugin, then the default logic. BREAK: stop the plugins, still run the default
 * logic. BREAK_PASS: stop the plugins and skip the default logic (CoW's EventAction).
 */
export type EventAction = 'CONTINUE' | 'BREAK' | 'BREAK_PASS';

export interface EventContext {
  readonly event: PluginEvent;
  context: PipelineContext;
  /** The reply so far; a plugin may set, change or clear it (undefined = nothing is sent). */
  reply?: Reply;
  action: EventAction;
  breakedBy?: string;
}

export interface Plugin {
  readonly name: string;
  /** Higher runs first (CoW: descending priority). */
  readonly priority: number;
  readonly handlers: Partial<Record<PluginEvent, (event: EventContext) => void | Promise<void>>>;
}

export interface PluginFactoryDeps {
  logger: Logger;
}

/** A plugin module under plugins/<name>/: builds the plugin from its plugin_config entry. */
export interface PluginModule {
  createPlugin(options: unknown, deps: PluginFactoryDeps): Plugin;
}

export class PluginBus {
  private readonly plugins: Plugin[];

  constructor(
    plugins: readonly Plugin[],
    private readonly logger: Logger,
  ) {
    this.plugins = [...plugins].sort((a, b) => b.priority - a.priority);
  }

  get names(): string[] {
    return this.plugins.map((plugin) => plugin.name);
  }

  async emit(event: PluginEvent, context: PipelineContext, reply?: Reply): Promise<EventContext> {
    const eventContext: EventContext = { event, context, reply, action: 'CONTINUE' };
    for (const plugin of this.plugins) {
      const handler = plugin.handlers[event];
      if (!handler) continue;
      try {
        await handler(eventContext);
      } catch (error) {
        // One broken plugin must not take the conversation down with it.
        this.logger.error({ plugin: plugin.name, event, err: (error as Error).message }, 'plugin failed; skipped');
        continue;
      }
      if (eventContext.action !== 'CONTINUE') {
        eventContext.breakedBy = plugin.name;
        break;
      }
    }
    return eventContext;
  }
}

/** Plugin name → module, each imported only when enabled (plugins/registry.ts). */
export type PluginRegistry = ModuleRegistry<PluginModule>;
