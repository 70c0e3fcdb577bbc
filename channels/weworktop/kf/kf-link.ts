import type { ServiceStateValue } from './kf-api.js';

/**
 * What the 微信客服 puller (main thread) tells the replier (answer worker) as it reads a page,
 * before the page's customer messages reach the worker: who wrote when (the 5-message budget starts
 * again with each customer message) and what the pulled events and servicer messages say about
 * who owns a session.
 */
export type KfNews =
  /** A customer message was pulled (send_time in unix seconds). */
  | { type: 'kf-wrote'; openKfid: string; externalUserid: string; msgid: string; at: number }
  /** The session changed hands: a servicer wrote or took it over, or it ended. */
  | { type: 'kf-state'; openKfid: string; externalUserid: string; state: ServiceStateValue; servicer?: string };

export function isKfNews(message: unknown): message is KfNews {
  const type = (message as { type?: unknown } | null)?.type;
  return type === 'kf-wrote' || type === 'kf-state';
}
