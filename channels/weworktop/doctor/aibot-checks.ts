import type { DoctorCheck, DoctorContext } from '../../../src/doctor/doctor-check.js';
import { checkAiBotKeys, type WeworktopConfig, wsBotsOf } from '../config.js';
import { WeComCrypto } from '../wecom/crypto.js';
import { BOT_KEYS, checkCallbackUrl } from './console-check.js';
import { publicUrlOf, urlVerdict } from './url-checks.js';
import { wsBotChecks } from './ws-checks.js';

/**
 * The AI bot's checks. API mode (a webhook): its URL answers the console's check with the bot's
 * keys, when public_url says where it is. Each bot on a long connection: a subscribe with its
 * bot_id and secret (ws-checks.ts).
 */
export function aiBotChecks(section: WeworktopConfig, context: DoctorContext): DoctorCheck[] {
  return [...webhookChecks(section, context), ...wsBotChecks(section, context, wsBotsOf(section))];
}

function webhookChecks(section: WeworktopConfig, context: DoctorContext): DoctorCheck[] {
  if (!checkAiBotKeys(section.bot)) return [];
  const publicUrl = publicUrlOf(context);
  if (!publicUrl) return [];
  return [
    {
      name: 'AI bot: callback URL',
      run: async () => {
        const url = `${publicUrl}${section.bot.callback_path}`;
        const crypto = new WeComCrypto({ token: section.bot.token, encodingAesKey: section.bot.aes_key, receiveId: '' });
        return urlVerdict(url, await checkCallbackUrl(url, crypto, BOT_KEYS, context.timeoutMs));
      },
    },
  ];
}
