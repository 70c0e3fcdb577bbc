import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectionEvent } from '../../../../fakes/fake-wecom-ws.js';
import { BOT_ID, contentOf, startWsBot, type WsHarness, type WsHarnessOptions } from '../../../support/aibot-ws-harness.js';
import { eventually } from '../../../support/weworktop-harness.js';

let harness: WsHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

async function start(options: WsHarnessOptions = {}): Promise<WsHarness> {
  harness = await startWsBot(options);
  await harness.ws.waitFor(() => harness!.ws.subscribed(BOT_ID), 'the subscription');
  return harness;
}

const times = (events: ConnectionEvent[], kind: ConnectionEvent['event']) =>
  events.filter((event) => event.event === kind).map((event) => event.at);
const readyz = async (h: WsHarness) => {
  const response = await fetch(`${h.baseUrl}/readyz`);
  return { status: response.status, body: (await response.json()) as { status: string; reason?: string } };
};
const lines = (h: WsHarness, text: string) => h.logs.filter((line) => line.includes(text));

describe('AI bot long connection: heartbeats, reconnects, take-overs', () => {
  test('the server closes the connection: reconnected after the first backoff step (0.5 to 1 s) and answering again', async () => {
    const h = await start();
    h.ws.closeConnection(BOT_ID);
    await h.ws.waitFor(() => times(h.ws.events, 'closed').length === 1, 'the close');
    const down = await readyz(h);
    assert.equal(down.status, 503);
    assert.match(down.body.reason ?? '', new RegExp(`AI bot ${BOT_ID}: not connected`));
    await h.ws.waitFor(() => times(h.ws.events, 'subscribed').length === 2, 'the second subscription', 3000);
    const gap = times(h.ws.events, 'open')[1]! - times(h.ws.events, 'closed')[0]!;
    assert.ok(gap >= 450 && gap <= 1300, `reconnected ${gap} ms after the close`);
    assert.equal(lines(h, 'aibot ws: connection lost; reconnecting').length, 1);
    await eventually(() => assert.equal(lines(h, 'aibot ws: reconnected').length, 1, 'the reconnected line'));
    assert.equal(contentOf(await h.finished(h.text('zhangsan', 'back?'))), 'echo: back?');
    assert.equal((await readyz(h)).status, 200);
  });

  test('metrics: weworktop_aibot_connected is 1 while the bot is subscribed, 0 while it is down', async () => {
    const h = await start({ config: { metrics: true } });
    const gauge = async () => {
      const text = await (await fetch(`${h.baseUrl}/metrics`)).text();
      return new RegExp(`weworktop_aibot_connected\\{bot="${BOT_ID}"\\} (\\d)`).exec(text)?.[1];
    };
    assert.equal(await gauge(), '1');
    h.ws.setRefuseConnections(true);
    h.ws.closeConnection(BOT_ID);
    await h.ws.waitFor(() => times(h.ws.events, 'closed').length === 1, 'the close');
    await eventually(async () => assert.equal(await gauge(), '0', 'down'));
    h.ws.setRefuseConnections(false);
    await h.ws.waitFor(() => times(h.ws.events, 'subscribed').length === 2, 'the second subscription', 5000);
    await eventually(async () => assert.equal(await gauge(), '1', 'up again'));
  });

  test('WeCom unreachable: tries back off 1 s, 2 s, 4 s (with jitter), and the log goes quiet after the third', async () => {
    const h = await start();
    h.ws.setRefuseConnections(true);
    h.ws.closeConnection(BOT_ID);
    await h.ws.waitFor(() => times(h.ws.events, 'open').length >= 4, 'three reconnect tries', 9000);
    const opens = times(h.ws.events, 'open');
    const closes = times(h.ws.events, 'closed');
    const gaps = [1, 2, 3].map((i) => opens[i]! - closes[i - 1]!);
    const bounds = [
      [450, 1300],
      [950, 2300],
      [1950, 4300],
    ];
    for (const [i, [min, max]] of bounds.entries())
      assert.ok(gaps[i]! >= min! && gaps[i]! <= max!, `try ${i + 1} after ${gaps[i]} ms (expected ${min}..${max}): ${gaps.join(', ')}`);
    await eventually(() => assert.equal(lines(h, 'still not connected').length, 1, 'the going-quiet line'));
    assert.equal(lines(h, 'cannot connect; trying again').length, 1, 'the second try is logged; the third says it goes quiet');
  });

  test('a connection that answers nothing for two heartbeats is ended and replaced', async () => {
    const h = await start({ bot: { heartbeat_seconds: 1 } });
    await h.ws.waitFor(() => h.ws.frames.some((seen) => seen.frame.cmd === 'ping'), 'a heartbeat', 2000);
    const ping = h.ws.frames.find((seen) => seen.frame.cmd === 'ping')!.frame;
    assert.match(ping.headers.req_id, /^ping_/);
    assert.equal(ping.body, undefined);
    const silentFrom = Date.now();
    h.ws.setSilent(BOT_ID, true);
    await h.ws.waitFor(() => times(h.ws.events, 'closed').length === 1, 'the client ending the silent connection', 5000);
    const after = times(h.ws.events, 'closed')[0]! - silentFrom;
    assert.ok(after >= 1500 && after <= 3800, `ended ${after} ms into the silence (2 to 3 heartbeats)`);
    h.ws.setSilent(BOT_ID, false);
    await h.ws.waitFor(() => times(h.ws.events, 'subscribed').length === 2, 'the new subscription', 3000);
    assert.equal(lines(h, 'no answer to 2 heartbeats in a row').length, 1);
    assert.equal(contentOf(await h.finished(h.text('zhangsan', 'alive?'))), 'echo: alive?');
  });

  test('disconnected_event: logged as a take-over; no reconnect for the long pause (no kick-back loop); /readyz says why', async () => {
    const h = await start();
    h.ws.takeOver(BOT_ID);
    await h.ws.waitFor(() => times(h.ws.events, 'closed').length === 1, 'the close after the event');
    await sleep(2500);
    assert.equal(times(h.ws.events, 'open').length, 1, 'no new connection within the pause');
    assert.equal(lines(h, 'another connection took this bot over (disconnected_event').length, 1);
    assert.ok(
      lines(h, 'took this bot over').some((line) => line.includes('pause=60 s')),
      h.logs.join(''),
    );
    assert.equal(lines(h, 'connection lost').length, 0, 'a take-over is no lost connection');
    const ready = await readyz(h);
    assert.equal(ready.status, 503);
    assert.match(ready.body.reason ?? '', /taken over by another connection \(disconnected_event\); connecting again at /);
  });

  test('a wrong secret: one clear line, /readyz says why, start-up does not wait on it, and it is not retried', async () => {
    const started = Date.now();
    harness = await startWsBot({ bot: { secret: 'not-the-right-secret' } });
    const h = harness;
    await h.ws.waitFor(() => times(h.ws.events, 'refused').length === 1, 'the refused subscription');
    assert.ok(Date.now() - started < 10_000);
    await sleep(1500);
    assert.equal(times(h.ws.events, 'open').length, 1, 'not retried');
    const refused = lines(h, 'WeCom refused the subscription');
    assert.equal(refused.length, 1, h.logs.join(''));
    assert.match(
      refused[0]!,
      /ERROR .*invalid bot_id or secret\. Check weworktop\.bot\.bot_id and weworktop\.bot\.secret .* errcode=853000/,
    );
    assert.ok(!h.logs.some((line) => line.includes('not-the-right-secret')), 'the secret is not logged');
    const ready = await readyz(h);
    assert.equal(ready.status, 503);
    assert.match(ready.body.reason ?? '', /WeCom refused the subscription \(errcode 853000: invalid bot_id or secret\)/);
  });
});
