import type { DoctorCheck, DoctorContext } from '../../../src/doctor/doctor-check.js';
import { checkAiBotKeys, type WeworktopConfig } from '../config.js';
import { publicUrlOf, urlVerdict } from './url-checks.js';

/**
 * The AI bot's checks. API mode (a webhook): its URL answers the console's check with the bot's
 * keys, when public_url says where it is. The WebSocket mode (a subscription with bot_id and
 * secret) adds its own check here: one DoctorCheck that subscribes and reports what WeCom said.
 */
export function aiBotChecks(section: WeworktopConfig, context: DoctorContext): DoctorCheck[] {
  if (!checkAiBotKeys(section.bot)) return [];
  const publicUrl = publicUrlOf(context);
  if (!publicUrl) return [];
  return [
    {
      name: 'AI bot: callback URL',
      run: async () => {
        const url = `${publicUrl}${section.bot.callback_path}`;
        const { checkBotUrl } = await import('../../../simulator/simulate-bot.js');
        return urlVerdict(
          url,
          await checkBotUrl({ url, token: section.bot.token, aesKey: section.bot.aes_key, timeoutMs: context.timeoutMs }),
        );
      },
    },
  ];
}
