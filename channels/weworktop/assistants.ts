import type { AssistantDeclaration } from '../../src/assistants/assistant.js';
import { type AiBotConfig, aiBotModeOf, appsOf, type WeworktopConfig, weworktopSchema } from './config.js';
import { kfSchema } from './kf/kf-config.js';

/**
 * Conversations and assistants per entry point: the primary app keeps no scope (its conversations
 * from before apps had scopes stay theirs), further apps are "app:<agent_id>", every AI bot
 * "bot:<bot_id>" (a webhook bot without bot_id "bot:webhook"), 微信客服 "kf:<open_kfid>" (kfScope).
 */
export const appScope = (config: WeworktopConfig, agentId: string): string | undefined =>
  agentId === String(config.agent_id) ? undefined : `app:${agentId}`;

export const webhookBotScope = (bot: AiBotConfig): string => `bot:${bot.bot_id || 'webhook'}`;

const APP_KEYS = new Set(['agent_id', 'corp_secret', 'token', 'aes_key', 'callback_path']);
const BOT_KEYS = new Set(Object.keys(weworktopSchema.bot as object));
const BOTS_KEYS = new Set(['bot_id', 'secret']);
const KF_KEYS = new Set(Object.keys(kfSchema));

/** An entry's keys that are not the channel's own: assistant keys, checked by the core ("_" keys are comments, as in CoW). */
function overridesOf(entry: object, own: ReadonlySet<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entry).filter(([key]) => !own.has(key) && !key.startsWith('_')));
}

/** Every app and bot this process serves, with the assistant keys each sets for itself (weworktop.agents[i].model...). */
export function weworktopAssistants(config: WeworktopConfig): AssistantDeclaration[] {
  const declared: AssistantDeclaration[] = [];
  const [primary] = appsOf(config);
  if (primary) declared.push({ scope: '', label: `app ${primary.agent_id}`, layers: [] });
  config.agents.forEach((agent, index) => {
    declared.push({
      scope: `app:${agent.agent_id}`,
      label: `app ${agent.agent_id}`,
      layers: [{ keyPath: `weworktop.agents[${index}]`, overrides: overridesOf(agent, APP_KEYS) }],
    });
  });
  const botLayer = { keyPath: 'weworktop.bot', overrides: overridesOf(config.bot, BOT_KEYS) };
  const mode = aiBotModeOf(config.bot);
  if (mode !== 'off') {
    const scope = mode === 'webhook' ? webhookBotScope(config.bot) : `bot:${config.bot.bot_id}`;
    declared.push({ scope, label: `AI bot ${config.bot.bot_id || '(webhook)'}`, layers: [botLayer] });
  }
  config.bots.forEach((bot, index) => {
    declared.push({
      scope: `bot:${bot.bot_id}`,
      label: `AI bot ${bot.bot_id}`,
      layers: [botLayer, { keyPath: `weworktop.bots[${index}]`, overrides: overridesOf(bot, BOTS_KEYS) }],
    });
  });
  if (config.kf.enabled)
    declared.push({ scope: 'kf', label: '微信客服', layers: [{ keyPath: 'weworktop.kf', overrides: overridesOf(config.kf, KF_KEYS) }] });
  return declared;
}
