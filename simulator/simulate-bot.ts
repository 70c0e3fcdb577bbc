import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BOT_KEYS,
  checkVerification,
  explainStatus,
  randomEcho,
  VERIFY_DEADLINE_MS,
  verificationUrl,
} from '../channels/weworktop/doctor/console-check.js';
import { AiBotClient } from '../fakes/wecom-client.js';
import { fail } from './simulate.js';

export interface SimulateBotOptions {
  /** The AI bot's callback URL, as entered for the bot (智能机器人 → API 模式). */
  url: string;
  token: string;
  aesKey: string;
  user: string;
  text: string;
  timeoutMs: number;
  /** weworktop.bot.stream, when known from the config. */
  stream?: boolean;
}

/** WeCom polls a stream about once a second. */
const POLL_MS = 1000;

type StreamAnswer = { msgtype?: string; stream?: { id?: string; finish?: boolean; content?: string } };

/**
 * What WeCom does to an AI bot's URL, once against a running server: the GET check of "save",
 * then one encrypted text message in a private chat with the bot, then the refresh polls of its
 * stream until it is finished. Resolves true when all passed.
 */
export async function simulateBot(options: SimulateBotOptions, print: (line: string) => void): Promise<boolean> {
  const client = new AiBotClient({ url: options.url, token: options.token, encodingAesKey: options.aesKey, aibotId: 'weworktop-simulate' });
  const echo = randomEcho();
  const verifyUrl = verificationUrl(options.url, client.crypto, echo);
  print(`1. URL verification of the AI bot (what the console does when you save its URL)\n   GET ${verifyUrl}`);
  const verified = await checkVerification(verifyUrl, echo, options.timeoutMs, BOT_KEYS, print);
  if (!verified.ok) return fail(print, verified.why);
  print(
    `   ✓ verified${verified.ms > VERIFY_DEADLINE_MS ? ` (but took ${verified.ms} ms: WeCom gives up after ${VERIFY_DEADLINE_MS} ms)` : ''}`,
  );

  print(`2. A text message from ${options.user} in a private chat with the bot: ${JSON.stringify(options.text)}`);
  let answer: StreamAnswer | undefined;
  try {
    const posted = await client.post({
      msgid: randomBytes(16).toString('hex'),
      chattype: 'single',
      from: { userid: options.user },
      response_url: 'http://127.0.0.1:9/no-response-url-in-this-check',
      msgtype: 'text',
      text: { content: options.text },
    });
    print(`   → HTTP ${posted.status}, body ${JSON.stringify(posted.body.slice(0, 300))}`);
    if (posted.status !== 200) return fail(print, explainStatus({ status: posted.status, body: posted.body, ms: 0 }));
    answer = posted.answer as StreamAnswer | undefined;
  } catch (error) {
    return fail(print, `the answer is not what WeCom accepts: ${(error as Error).message}`);
  }
  if (!answer) {
    if (options.stream)
      return fail(
        print,
        'accepted with an empty answer: the bot will not answer this message (trigger rules, e.g. single_chat_prefix; the server log says why)',
      );
    print(
      '   ✓ accepted with an empty answer: with bot.stream false the answer goes through response_url, which this check cannot receive.',
    );
    print('Result: OK: the server answers AI bot callbacks with these keys.');
    return true;
  }
  if (answer.msgtype !== 'stream' || !answer.stream?.id)
    return fail(print, `the answer is not a stream: ${JSON.stringify(answer).slice(0, 300)}`);
  print(`   ✓ a stream opened (id ${answer.stream.id}); polling it as WeCom does`);
  const deadline = Date.now() + options.timeoutMs;
  let stream = answer.stream;
  while (!stream.finish && Date.now() < deadline) {
    await sleep(POLL_MS);
    try {
      const polled = (await client.refresh(options.user, answer.stream.id)).answer as StreamAnswer | undefined;
      if (polled?.msgtype !== 'stream' || !polled.stream)
        return fail(print, `a refresh got no stream: ${JSON.stringify(polled ?? null).slice(0, 300)}`);
      stream = polled.stream;
    } catch (error) {
      return fail(print, `a refresh failed: ${(error as Error).message}`);
    }
  }
  if (!stream.finish)
    return fail(print, `the stream was not finished within ${options.timeoutMs} ms (so far: ${JSON.stringify(stream.content ?? '')})`);
  print(`   ✓ finished: ${JSON.stringify(stream.content ?? '')}`);
  print('Result: OK: the server answers AI bot callbacks with these keys. You can save the URL for the AI bot.');
  return true;
}
