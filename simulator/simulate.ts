import { randomInt } from 'node:crypto';
import {
  APP_KEYS,
  checkVerification,
  explainStatus,
  randomEcho,
  request,
  VERIFY_DEADLINE_MS,
  verificationUrl,
} from '../channels/weworktop/doctor/console-check.js';
import { WeComCrypto } from '../channels/weworktop/wecom/crypto.js';
import { parseEnvelope, parseFlatXml } from '../channels/weworktop/wecom/xml.js';
import { WeComAppClient } from '../fakes/wecom-client.js';

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
  const verifyUrl = verificationUrl(options.url, crypto, echo);
  print(`1. URL verification (what the console does when you save the URL)\n   GET ${verifyUrl}`);
  const verified = await checkVerification(verifyUrl, echo, options.timeoutMs, APP_KEYS, print);
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

export function fail(print: (line: string) => void, why: string): false {
  print(`   ✗ ${why}`);
  print('Result: FAILED');
  return false;
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
