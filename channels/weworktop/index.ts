import type { ChannelModule } from '../../src/channel.js';
import { weworktopAssistants } from './assistants.js';
import { checkWeworktopConfig, cowKeyAliases, exampleValues as sectionExamples, type WeworktopConfig, weworktopSchema } from './config.js';
import { weworktopCowCompat } from './cow-compat.js';
import { weworktopForwardFields } from './forward-fields.js';
import { weworktopMetrics } from './metrics.js';
import { checkWeworktopPush, weworktopPushPool, withWeworktopSender } from './push/push-check.js';

export const configSchema = weworktopSchema as ChannelModule['configSchema'];
export const keyAliases = cowKeyAliases;
export const cow = weworktopCowCompat;
export const exampleValues = sectionExamples;
export const checkConfig: ChannelModule['checkConfig'] = (config) => checkWeworktopConfig(config.weworktop as WeworktopConfig);
export const metrics = weworktopMetrics;
export const forwardFields = weworktopForwardFields;
export const checkPush: ChannelModule['checkPush'] = (config, message) => checkWeworktopPush(config.weworktop as WeworktopConfig, message);
export const pushSender: ChannelModule['pushSender'] = (config, message) =>
  withWeworktopSender(config.weworktop as WeworktopConfig, message);
export const pushPool: ChannelModule['pushPool'] = (_config, message) => weworktopPushPool(message);
export const assistants: ChannelModule['assistants'] = (config) => weworktopAssistants(config.weworktop as WeworktopConfig);
export const doctor: ChannelModule['doctor'] = async (context) => (await import('./doctor/weworktop-doctor.js')).weworktopChecks(context);
export const createReceiver: ChannelModule['createReceiver'] = async (context) => {
  const { WeworktopReceiver } = await import('./receiver.js');
  const section = context.config.weworktop as WeworktopConfig;
  // 微信客服's puller, and with it the WeCom API client, loads on the main thread only when it is on.
  const kf = section.kf.enabled ? new (await import('./kf/kf-receiver.js')).KfReceiver(context, section) : undefined;
  return new WeworktopReceiver(context, kf);
};
export const createReplier: ChannelModule['createReplier'] = async (context) => {
  const replier = new (await import('./replier.js')).WeworktopReplier(context);
  void replier.apps.checkAccessTokens();
  return replier;
};
