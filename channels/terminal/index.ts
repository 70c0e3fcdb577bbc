import type { ChannelModule } from '../../src/channel.js';

/** One person at the keyboard: no per-user rate limit. */
export const rateLimited = false;
export const createReceiver: ChannelModule['createReceiver'] = async (context) =>
  new (await import('./receiver.js')).TerminalReceiver(context);
export const createReplier: ChannelModule['createReplier'] = async (context) =>
  new (await import('./replier.js')).TerminalReplier(context.link);
