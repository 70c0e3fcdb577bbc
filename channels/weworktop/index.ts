import type { ChannelModule } from '../../src/channel.js';
import { cowKeyAliases, exampleValues as sectionExamples, weworktopSchema } from './config.js';
import { weworktopCowCompat } from './cow-compat.js';
import { weworktopMetrics } from './metrics.js';

export const configSchema = weworktopSchema as ChannelModule['configSchema'];
export const keyAliases = cowKeyAliases;
export const cow = weworktopCowCompat;
export const exampleValues = sectionExamples;
export const metrics = weworktopMetrics;
export const doctor: ChannelModule['doctor'] = async (context) => (await import('./doctor/weworktop-doctor.js')).weworktopChecks(context);
export const createReceiver: ChannelModule['createReceiver'] = async (context) => new (await import('./receiver.js')).WeworktopReceiver(context);
export const createReplier: ChannelModule['createReplier'] = async (context) => {
  const replier = new (await import('./replier.js')).WeworktopReplier(context);
  void replier.apps.checkAccessTokens();
  return replier;
};
