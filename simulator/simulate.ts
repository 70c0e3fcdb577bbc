import { randomInt } from 'node:crypto';
import { WeComCrypto } from '../channels/weworktop/wecom/crypto.js';
import { parseEnvelope, parseFlatXml } from '../channels/weworktop/wecom/xml.js';
import { WeComAppClient } from '../test/fakes/wecom-client.js';

export interface SimulateOptions {
  /** The callback URL as it would be entered in the WeCom console. */
  url: string;
  token: string;
  aesKey: string;
  corpId: string;
  agentId: string;
  user: string;
  text: string;
  timeoutMs: number;
}

/** WeCom gives the URL check 1 second (https://developer.work.weixin.qq.com/document/path/90238): slower servers cannot save it. */
export const VERIFY_DEADLINE_MS = 1000;

export interface Answer {
  status: number;
  body: string;
  ms: number;
}

/**
 * What the WeCom console and WeCom do to a callback URL, done once against a running server: the
 * GET check of "save URL", then one encrypted text message. Prints each step and what a failure
 * means; resolves true when the server passed both.
 */
export async function simulate(options: SimulateOptions, print: (line: string) => void): Promise<boolean> {
  const client = new WeComAppClient({
    url: options.url,
    token: options.token,
    encodingAesKey: options.aesKey,
    corpId: options.corpId,
    agentId: options.agentId,
  });
  const crypto = new WeComCrypto({ token: options.token, encodingAesKey: options.aesKey, receiveId: options.corpId });

  const echo = randomEcho();
  const verifyUrl = client.verificationUrl(echo);
  print(`1. URL verification (what the console does when you save the URL)\n   GET ${verifyUrl}`);
  const verified = await checkVerification(verifyUrl, echo, options.timeoutMs, 'token, aes_key and corp_id', print);
  if (!verified.ok) return fail(print, verified.why);
  print(
    `   ✓ verified: the server decrypted the echostr and answered it exactly${verified.ms > VERIFY_DEADLINE_MS ? ` (but took ${verified.ms} ms: WeCom gives up after ${VERIFY_DEADLINE_MS} ms)` : ''}`,
  );

  const fields = {
    FromUserName: options.user,
    MsgType: 'text',
    Content: options.text,
    MsgId: `${randomInt(1e9, 1e10 - 1)}${randomInt(1e8, 1e9 - 1)}`,
  };
  const { url, body } = client.encode(fields);
  print(`2. A text message from ${options.user}: ${JSON.stringify(options.text)}\n   POST ${url}\n   body ${body}`);
  const posted = await request(url, { method: 'POST', body, headers: { 'content-type': 'text/xml' } }, options.timeoutMs);
  if ('error' in posted) return fail(print, posted.error);
  print(`   → HTTP ${posted.status} in ${posted.ms} ms, body ${JSON.stringify(posted.body.slice(0, 500))}`);
  if (posted.status !== 200) return fail(print, explainStatus(posted));
  if (posted.body !== '' && posted.body !== 'success') {
    const reply = passiveReply(crypto, posted.body);
    if ('error' in reply) return fail(print, `the answer is neither empty nor a valid encrypted reply: ${reply.error}`);
    print(`   passive reply, decrypted: ${reply.plaintext}`);
  }
  print(
    `   ✓ accepted. The bot's answer goes to ${options.user} through the WeCom API (check the server log; a user id that is not in your corp gets error 81013 there).`,
  );
  print('Result: OK: the server answers WeCom callbacks with these credentials. You can save the URL in the WeCom console.');
  return true;
}

export type Verification = { ok: true; ms: number } | { ok: false; why: string };

/**
 * The console's "save URL" check: a signed GET carrying an encrypted echostr, which the server must
 * answer with the decrypted echostr, exactly. `keys` names the settings a wrong answer points to.
 */
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
  if (verified.status !== 200) return { ok: false, why: explainStatus(verified).replace('token, aes_key and corp_id', keys) };
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

/** The URL check of one self-built app's callback URL, as the console does it (for weworktop doctor). */
export function checkAppUrl(
  options: Pick<SimulateOptions, 'url' | 'token' | 'aesKey' | 'corpId' | 'agentId' | 'timeoutMs'>,
): Promise<Verification> {
  const client = new WeComAppClient({
    url: options.url,
    token: options.token,
    encodingAesKey: options.aesKey,
    corpId: options.corpId,
    agentId: options.agentId,
  });
  const echo = randomEcho();
  return checkVerification(client.verificationUrl(echo), echo, options.timeoutMs, 'token, aes_key and corp_id');
}

export const randomEcho = () => `${randomInt(1e9, 1e10 - 1)}${randomInt(1e8, 1e9 - 1)}`;

export function fail(print: (line: string) => void, why: string): false {
  print(`   ✗ ${why}`);
  print('Result: FAILED');
  return false;
}

export async function request(url: string, init: RequestInit, timeoutMs: number): Promise<Answer | { error: string }> {
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

export function explainStatus(answer: Answer): string {
  const detail = answer.body ? ` (${answer.body.slice(0, 200)})` : '';
  if (answer.status === 401)
    return `refused as not signed by WeCom${detail}: token, aes_key and corp_id must be the values in the server's config`;
  if (answer.status === 400)
    return `the server could not read the request${detail}: a different aes_key, or a server that expects another format`;
  if (answer.status === 404)
    return `nothing at this path${detail}: the path must be the server's callback_path (weworktop default /wework_callback)`;
  if (answer.status === 503) return `the server is shutting down or not ready${detail}`;
  if (answer.status >= 500) return `the server failed with HTTP ${answer.status}${detail}: its log says why`;
  return `unexpected HTTP ${answer.status}${detail}`;
}

/** A passive reply is encrypted XML signed like a callback (https://developer.work.weixin.qq.com/document/path/91144). */
function passiveReply(crypto: WeComCrypto, body: string): { plaintext: string } | { error: string } {
  try {
    const encrypt = parseEnvelope(body).encrypt;
    const fields = parseFlatXml(body);
    if (!crypto.verifySignature(fields.MsgSignature ?? '', fields.TimeStamp ?? '', fields.Nonce ?? '', encrypt))
      return { error: 'its MsgSignature does not verify' };
    return { plaintext: crypto.decrypt(encrypt) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}
