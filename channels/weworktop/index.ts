import type { ChannelModule } from '../../src/channel.js';
import { checkWeworktopConfig, cowKeyAliases, exampleValues as sectionExamples, type WeworktopConfig, weworktopSchema } from './config.js';
import { weworktopCowCompat } from './cow-compat.js';

export const configSchema = weworktopSchema as ChannelModule['configSchema'];
export const keyAliases = cowKeyAliases;
export const cow = weworktopCowCompat;
export const exampleValues = sectionExamples;
export const checkConfig: ChannelModule['checkConfig'] = (config) => checkWeworktopConfig(config.weworktop as WeworktopConfig);
export const createReceiver: ChannelModule['createReceiver'] = async (context) => new (await import('./receiver.js')).WeworktopReceiver(context);
export const createReplier: ChannelModule['createReplier'] = async (context) => {
  const replier = new (await import('./replier.js')).WeworktopReplier(context);
  void replier.apps.checkAccessTokens();
  return replier;
};
