import type { ChannelModule } from '../../src/channel.js';
import { cowKeyAliases, weworktopSchema } from './config.js';
import { WeworktopChannel } from './weworktop-channel.js';
import { WeworktopReplier } from './weworktop-replier.js';

export const configSchema = weworktopSchema as ChannelModule['configSchema'];
export const keyAliases = cowKeyAliases;
export const createChannel: ChannelModule['createChannel'] = (deps) => new WeworktopChannel(deps);
export const createReplier: ChannelModule['createReplier'] = (deps) => new WeworktopReplier(deps);
