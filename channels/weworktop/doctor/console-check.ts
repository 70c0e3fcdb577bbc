import { randomInt } from 'node:crypto';
import type { WeComCrypto } from '../wecom/crypto.js';

/** WeCom gives the URL check 1 second (https://developer.work.weixin.qq.com/document/path/90238): slower servers cannot save it. */
export const VERIFY_DEADLINE_MS = 1000;

/** What a URL answered, and how long it took. */
export interface HttpAnswer {
  status: number;
  body: string;
  ms: number;
}

export type Verification = { ok: true; ms: number } | { ok: false; why: string };

/** The settings a wrong answer to a self-built app's check points to, and to the AI bot's. */
export const APP_KEYS = 'token, aes_key and corp_id';
export const BOT_KEYS = 'weworktop.bot.token and weworktop.bot.aes_key';

/**
 * The console's "save URL" check of a callback URL, as WeCom sends it (signed GET, encrypted
 * echostr); the server must answer the decrypted echostr, exactly. `keys` names the settings a
 * wrong answer points to. Used by weworktop doctor and weworktop simulate.
 */
export function checkCallbackUrl(url: string, crypto: WeComCrypto, keys: string, timeoutMs: number): Promise<Verification> {
  const echo = randomEcho();
  return checkVerification(verificationUrl(url, crypto, echo), echo, timeoutMs, keys);
}

/** The signed GET of a URL check carrying `echo`, encrypted. */
export function verificationUrl(url: string, crypto: WeComCrypto, echo: string): string {
  const echostr = crypto.encrypt(echo);
  const timestamp = String(Math.floor(Date.now() / 1000));
  // WeCom's nonce is a number.
  const nonce = String(randomInt(100_000_000, 999_999_999));
  const query = new URLSearchParams({ msg_signature: crypto.signature(timestamp, nonce, echostr), timestamp, nonce, echostr });
  return `${url}?${query}`;
}

/** Sends a URL check and judges its answer; each step printed when `print` is given. */
export async function checkVerification(
  verifyUrl: string,
  echo: string,
  timeoutMs: number,
  keys: string,
  print: (line: string) => void = () => {},
): Promise<Verification> {
  const verified = await request(verifyUrl, {}, timeoutMs);
  if ('error' in verified) return { ok: false, why: verified.error };
  print(`   → HTTP ${verified.status} in ${verified.ms} ms, body ${JSON.stringify(verified.body.slice(0, 200))}`);
  if (verified.status !== 200) return { ok: false, why: explainStatus(verified).replace(APP_KEYS, keys) };
  if (verified.body !== echo) {
    const hint =
      verified.body.trim() === echo
        ? 'it has extra whitespace or a BOM'
        : verified.body.includes(echo)
          ? 'it is wrapped in something (quotes? XML?)'
          : 'it is not the decrypted echostr';
    return { ok: false, why: `the answer must be exactly the decrypted echostr "${echo}", but ${hint}. Check ${keys}.` };
  }
  return { ok: true, ms: verified.ms };
}

export const randomEcho = () => `${randomInt(1e9, 1e10 - 1)}${randomInt(1e8, 1e9 - 1)}`;

/** One request with a deadline; a network failure comes back as a sentence saying what to check. */
export async function request(url: string, init: RequestInit, timeoutMs: number): Promise<HttpAnswer | { error: string }> {
  const started = Date.now();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    return { status: response.status, body: await response.text(), ms: Date.now() - started };
  } catch (error) {
    return { error: explainNetwork(error as Error, url, timeoutMs) };
  }
}

function explainNetwork(error: Error, url: string, timeoutMs: number): string {
  const { host } = new URL(url);
  if (error.name === 'TimeoutError')
    return `no answer from ${host} within ${timeoutMs} ms (WeCom waits 1 s for the URL check and 5 s for a message)`;
  const cause = error.cause as { code?: string; message?: string } | undefined;
  const code = cause?.code;
  if (code === 'ECONNREFUSED') return `nothing listens at ${host}: is the bot running, on this port, and reachable through the firewall?`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the host name in ${url} does not resolve`;
  return `could not reach ${host}: ${code ?? cause?.message ?? error.message}`;
}

/** What an HTTP status from a callback URL means, in the words of the settings to check. */
export function explainStatus(answer: HttpAnswer): string {
  const detail = answer.body ? ` (${answer.body.slice(0, 200)})` : '';
  if (answer.status === 401) return `refused as not signed by WeCom${detail}: ${APP_KEYS} must be the values in the server's config`;
  if (answer.status === 400)
    return `the server could not read the request${detail}: a different aes_key, or a server that expects another format`;
  if (answer.status === 404)
    return `nothing at this path${detail}: the path must be the server's callback_path (weworktop default /wework_callback)`;
  if (answer.status === 503) return `the server is shutting down or not ready${detail}`;
  if (answer.status >= 500) return `the server failed with HTTP ${answer.status}${detail}: its log says why`;
  return `unexpected HTTP ${answer.status}${detail}`;
}
