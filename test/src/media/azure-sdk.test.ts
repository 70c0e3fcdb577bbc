import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { silentWav } from '../../../fakes/fake-openai.js';
import { createSdkRecognizer, createSdkSpeaker } from '../../../src/media/azure-sdk.js';

// The real SDK against a local server that refuses its WebSocket the way Azure refuses a bad key.
let server: http.Server;
let upgrades: string[];
let endpoint: (path: string) => URL;
before(async () => {
  upgrades = [];
  server = http.createServer((_request, response) => response.writeHead(404).end());
  server.on('upgrade', (request, socket) => {
    upgrades.push(request.url ?? '');
    socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  endpoint = (path) => new URL(`ws://127.0.0.1:${port}${path}`);
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('Azure SDK adapters', () => {
  test("a refused recognition resolves as canceled with the service's reason, in the configured language", async () => {
    const recognizer = createSdkRecognizer(
      { key: 'bad-key-0000', region: 'eastasia', endpoint: endpoint('/speech/recognition/conversation/cognitiveservices/v1') },
      'zh-CN',
    );
    const started = Date.now();
    const result = await recognizer.recognize(silentWav(1));
    assert.equal(result.reason, 'canceled');
    assert.match(result.errorDetails ?? '', /401/);
    assert.ok(Date.now() - started < 10_000);
    assert.ok(upgrades.some((url) => url.includes('language=zh-CN')));
  });

  test('a refused synthesis resolves as canceled with no audio', async () => {
    const speaker = createSdkSpeaker(
      { key: 'bad-key-0000', region: 'eastasia', endpoint: endpoint('/cognitiveservices/websocket/v1') },
      'zh-CN-XiaoxiaoNeural',
    );
    const result = await speaker.speak('你好');
    assert.equal(result.reason, 'canceled');
    assert.equal(result.audio.length, 0);
    assert.match(result.errorDetails ?? '', /401|Unable to contact server/);
  });
});
