import type { PluginModule } from '../../src/plugins/plugin-bus.js';
import { PluginOptions } from '../plugin-options.js';

/**
 * Fixed replies (CoW's Keyword): when the whole message, trimmed, equals a configured keyword, the
 * configured reply is sent and the LLM is not asked.
 */
export const createPlugin: PluginModule['createPlugin'] = (raw, { logger }) => {
  const keywords = new Map(
    Object.entries(new PluginOptions('keyword', raw).stringMap('keywords')).map(([key, reply]) => [key.trim(), reply]),
  );
  return {
    name: 'keyword',
    priority: 900,
    handlers: {
      handle_context(event) {
        const reply = keywords.get(event.context.content.trim());
        if (reply === undefined) return;
        logger.debug({ keyword: event.context.content.trim() }, 'keyword matched');
        event.reply = { type: 'text', text: reply };
        event.action = 'BREAK_PASS';
      },
    },
  };
};
