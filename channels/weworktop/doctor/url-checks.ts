import { type CheckResult, type DoctorCheck, type DoctorContext, fail, pass, skip } from '../../../src/doctor/doctor-check.js';
import type { AppCredentials, WeworktopConfig } from '../config.js';
import { WeComCrypto } from '../wecom/crypto.js';
import { APP_KEYS, checkCallbackUrl, VERIFY_DEADLINE_MS, type Verification } from './console-check.js';

/** public_url without a trailing slash; "" when not set. */
export const publicUrlOf = (context: DoctorContext): string => String(context.config.public_url ?? '').replace(/\/+$/, '');

/**
 * The apps' callback URLs as WeCom reaches them: public_url + each path, checked with the console's
 * own GET verification (console-check.ts) from this process, so through DNS, the firewall and
 * any reverse proxy, to the running weworktop.
 */
export function callbackUrlChecks(apps: AppCredentials[], section: WeworktopConfig, context: DoctorContext): DoctorCheck[] {
  const publicUrl = publicUrlOf(context);
  if (!publicUrl)
    return [
      {
        name: 'callback URL',
        run: async () =>
          skip('public_url is not set: the callback URLs are not checked from outside (set public_url, e.g. "https://bot.example.com")'),
      },
    ];
  return apps.map((app) => ({
    name: `app ${app.agent_id}: callback URL`,
    run: async () => {
      const url = `${publicUrl}${app.callback_path}`;
      const crypto = new WeComCrypto({ token: app.token, encodingAesKey: app.aes_key, receiveId: section.corp_id });
      return urlVerdict(url, await checkCallbackUrl(url, crypto, APP_KEYS, context.timeoutMs));
    },
  }));
}

/** A line for one URL check's result. */
export function urlVerdict(url: string, verified: Verification): CheckResult {
  if (!verified.ok)
    return fail(
      `GET ${url} as the console sends it: ${verified.why}`,
      'weworktop must be running (npm start) and public_url lead to its port through the firewall and any reverse proxy',
    );
  if (verified.ms > VERIFY_DEADLINE_MS)
    return fail(
      `${url} answered the console's check in ${verified.ms} ms: WeCom gives up after ${VERIFY_DEADLINE_MS} ms`,
      'serve the callback closer to WeCom (a slow proxy or tunnel on the way?)',
    );
  return pass(`${url} answered the console's URL check in ${verified.ms} ms`);
}
