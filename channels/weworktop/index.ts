import type { ChannelModule } from '../../src/channel.js';
import { cowKeyAliases, weworktopSchema } from './config.js';

export const configSchema = weworktopSchema as ChannelModule['configSchema'];
export const keyAliases = cowKeyAliases;
export const createChannel: ChannelModule['createChannel'] = async (deps) => new (await import('./weworktop-channel.js')).WeworktopChannel(deps);
export const createReplier: ChannelModule['createReplier'] = async (deps) => new (await import('./weworktop-replier.js')).WeworktopReplier(deps);
