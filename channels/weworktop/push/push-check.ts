import type { PushMessage } from '../../../src/push/push-message.js';
import { aiBotModeOf, appsOf, type WeworktopConfig, wsBotsOf } from '../config.js';

/** A push without agent_id or bot_id goes through the first app, or a chat's through the first AI bot on a long connection. */
export function withWeworktopSender(section: WeworktopConfig, message: PushMessage): PushMessage {
  const { to } = message;
  if ('webhook' in to) return message;
  if ('chat' in to) {
    const bot = message.botId ?? wsBotsOf(section)[0]?.bot_id;
    return bot === undefined ? message : { ...message, botId: bot };
  }
  const agentId = message.agentId ?? appsOf(section)[0]?.agent_id;
  return agentId === undefined ? message : { ...message, agentId };
}

/** A group chat's push goes down its AI bot's long connection: with several processes, its holder's. */
export function weworktopPushPool(message: PushMessage): string | undefined {
  return 'chat' in message.to && message.botId !== undefined ? `bot:${message.botId}` : undefined;
}

/** Whether this config can send `message`, before it is queued: the request's field at fault and why. */
export function checkWeworktopPush(section: WeworktopConfig, message: PushMessage): { field: string; reason: string } | undefined {
  const { to } = message;
  if ('webhook' in to) {
    if (section.webhooks[to.webhook] === undefined)
      return { field: 'to.webhook', reason: `no group robot named "${to.webhook}" in weworktop.webhooks` };
    return undefined;
  }
  if ('chat' in to) {
    const bots = wsBotsOf(section);
    if (message.botId !== undefined && bots.length > 0 && !bots.some((bot) => bot.bot_id === message.botId))
      return {
        field: 'bot_id',
        reason: `no AI bot ${message.botId} on a long connection (configured: ${bots.map((bot) => bot.bot_id).join(', ')})`,
      };
    if (bots.length > 0)
      return 'image' in message.content ? { field: 'image', reason: 'the AI bot sends text and markdown only' } : undefined;
    const webhookMode = aiBotModeOf(section.bot) === 'webhook';
    return {
      field: 'to.chat',
      reason: webhookMode
        ? 'the AI bot in webhook mode cannot send first (WeCom has no proactive send there): use its long connection (weworktop.bot.mode "websocket") or a group robot (to.webhook)'
        : 'no AI bot on a long connection is configured (weworktop.bot.bot_id and secret)',
    };
  }
  const apps = appsOf(section);
  if (apps.length === 0) return { field: 'to', reason: 'no self-built app is configured to send to users, departments or tags' };
  if (message.agentId !== undefined && !apps.some((app) => app.agent_id === message.agentId))
    return {
      field: 'agent_id',
      reason: `no app with AgentId ${message.agentId} (configured: ${apps.map((app) => app.agent_id).join(', ')})`,
    };
  return undefined;
}
