import type { Plugin, PluginModule } from '../../src/plugins/plugin-bus.js';
import { PluginOptions } from '../plugin-options.js';
import { BannedWords } from './banned-words.js';

/**
 * Banned words, in and out (CoW's Banwords). Incoming: "block" answers that the message contains
 * a banned word, "ignore" drops it silently, "mask" replaces the words with * and goes on.
 * Outgoing (reply_filter): "mask" stars the words, "ignore" sends nothing.
 */
export const createPlugin: PluginModule['createPlugin'] = (raw, { logger }) => {
  const options = new PluginOptions('banwords', raw);
  const words = new BannedWords(options.stringList('words', []));
  const action = options.oneOf('action', ['block', 'ignore', 'mask'], 'block');
  const replyFilter = options.flag('reply_filter', true);
  const replyAction = options.oneOf('reply_action', ['mask', 'ignore'], 'mask');

  const plugin: Plugin = {
    name: 'banwords',
    priority: 100,
    handlers: {
      handle_context(event) {
        const found = words.find(event.context.content);
        if (!found) return;
        logger.info({ word: found, from: event.context.message.senderId }, `incoming message contains a banned word (${action})`);
        if (action === 'mask') {
          event.context = { ...event.context, content: words.mask(event.context.content) };
          return;
        }
        event.reply = action === 'block' ? { type: 'error', text: '你的消息包含不允许的词语，请修改后再发。' } : undefined;
        event.action = 'BREAK_PASS';
      },
      decorate_reply(event) {
        const reply = event.reply;
        if (!replyFilter || !reply || (reply.type !== 'text' && reply.type !== 'error') || !words.find(reply.text)) return;
        logger.info(`reply contains a banned word (${replyAction})`);
        event.reply = replyAction === 'mask' ? { ...reply, text: words.mask(reply.text) } : undefined;
      },
    },
  };
  return plugin;
};
