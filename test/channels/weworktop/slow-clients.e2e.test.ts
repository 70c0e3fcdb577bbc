import assert from 'node:assert/strict';
import net from 'node:net';
import { afterEach, describe, test } from 'node:test';
import { startWeworktop, type WeworktopHarness } from '../../support/weworktop-harness.js';

/**
 * The callback server against clients that send a request slower than WeCom ever would: WeCom
 * waits 5 s for an answer, so the server closes a connection whose headers or body trickle in
 * past callback_headers_timeout / callback_request_timeout, not after Node's 60 / 300 s.
 */

let harness: WeworktopHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

/** Opens a connection, sends `head`, then one byte of `trickle` every 200 ms; resolves when the server closes it. */
function trickle(port: number, head: string, drip: string, giveUpMs: number): Promise<{ closedAfterMs: number; answer: string }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    let sent = 0;
    const timer = setInterval(() => {
      if (!socket.writable) return;
      socket.write(drip[sent % drip.length]!);
      sent++;
    }, 200);
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`still open after ${giveUpMs} ms`));
    }, giveUpMs);
    socket.on('connect', () => socket.write(head));
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ closedAfterMs: Date.now() - started, answer });
    });
  });
}

const HEAD = 'POST /wework_callback?msg_signature=x&timestamp=1&nonce=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n';

describe('slow clients', () => {
  test('headers that trickle in are cut off after callback_headers_timeout, with 408 and one log line', async () => {
    harness = await startWeworktop({ weworktop: { callback_headers_timeout: 1, callback_request_timeout: 2 } });
    const { closedAfterMs, answer } = await trickle(
      harness.port,
      HEAD,
      'X-Slow-Header: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      10_000,
    );
    assert.ok(closedAfterMs >= 900 && closedAfterMs < 3000, `closed after ${closedAfterMs} ms`);
    assert.match(answer, /^HTTP\/1\.1 408/);
    const lines = harness.logs.filter((line) => line.includes('connection closed'));
    assert.equal(lines.length, 1, harness.logs.join(''));
    assert.match(lines[0]!, /WARN .*did not arrive in time .*headers_timeout_s=1/);
  });

  test('a body that trickles in is cut off after callback_request_timeout', async () => {
    harness = await startWeworktop({ weworktop: { callback_headers_timeout: 1, callback_request_timeout: 2 } });
    const { closedAfterMs, answer } = await trickle(
      harness.port,
      `${HEAD}Content-Type: text/xml\r\nContent-Length: 100000\r\n\r\n<xml>`,
      'x',
      10_000,
    );
    assert.ok(closedAfterMs >= 1900 && closedAfterMs < 4000, `closed after ${closedAfterMs} ms`);
    assert.match(answer, /^HTTP\/1\.1 408/);
  });

  test("by default a connection that trickles its headers is closed within WeCom's own seconds, not Node's minute", async () => {
    harness = await startWeworktop();
    const { closedAfterMs } = await trickle(harness.port, HEAD, 'X-Slow-Header: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 15_000);
    assert.ok(closedAfterMs >= 4900 && closedAfterMs < 7500, `closed after ${closedAfterMs} ms`);
  });

  test('a headers timeout over the request timeout is a config error naming the key', async () => {
    await assert.rejects(startWeworktop({ weworktop: { callback_headers_timeout: 20, callback_request_timeout: 10 } }), {
      message:
        'config error: weworktop.callback_headers_timeout (callback_headers_timeout): expected at most callback_request_timeout (10), found 20',
    });
  });
});
