import type { ChannelModule } from '../../src/channel.js';
import { cowKeyAliases, exampleValues as sectionExamples, weworktopSchema } from './config.js';
import { weworktopCowCompat } from './cow-compat.js';

export const configSchema = weworktopSchema as ChannelModule['configSchema'];
export const keyAliases = cowKeyAliases;
export const cow = weworktopCowCompat;
export const exampleValues = sectionExamples;
export const createChannel: ChannelModule['createChannel'] = async (deps) => new (await import('./receiver.js')).WeworktopChannel(deps);
export const createReplier: ChannelModule['createReplier'] = async (deps) => {
  const replier = new (await import('./replier.js')).WeworktopReplier(deps);
  void replier.checkAccessTokens();
  return replier;
};
