import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Agent } from 'undici';
import { createUndiciFetch } from '../../../../src/backends/openai/client.js';
import { type RecordingServer, startRecordingServer } from '../../../support/recording-server.js';

describe("createUndiciFetch (the OpenAI SDK's fetch)", () => {
  const dispatcher = new Agent();
  const fetch = createUndiciFetch(dispatcher);
  let server: RecordingServer;
  let base = '';
  const last = () => server.seen.at(-1)!;

  before(async () => {
    server = await startRecordingServer((request, res) => {
      if (request.url === '/slow') return void setTimeout(() => res.end('late'), 2000).unref();
      if (request.url === '/stream') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: 1\n\n');
        return void setTimeout(() => res.end('data: 2\n\n'), 20);
      }
      res.writeHead(201, 'Made', [
        ['content-type', 'application/json'],
        ['x-multi', 'a'],
        ['x-multi', 'b'],
      ]);
      res.end(JSON.stringify({ answer: '好的' }));
    });
    base = server.base;
  });
  after(async () => {
    await dispatcher.close();
    server.close();
  });

  test('sends the method, the headers and a JSON string; answers status, headers and a readable body', async () => {
    const response = await fetch(`${base}/json`, {
      method: 'POST',
      headers: new Headers({ authorization: 'Bearer sk-x', 'content-type': 'application/json' }),
      body: '{"q":"你好"}',
    });
    assert.equal(last().method, 'POST');
    assert.equal(last().headers.authorization, 'Bearer sk-x');
    assert.equal(last().body.toString('utf8'), '{"q":"你好"}');
    assert.deepEqual([response.ok, response.status, response.statusText, response.url], [true, 201, 'Made', `${base}/json`]);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.equal(response.headers.get('x-multi'), 'a, b');
    assert.deepEqual(await response.json(), { answer: '好的' });
  });

  test("form data goes as multipart with its boundary (npm undici's fetch would send it as text/plain)", async () => {
    const form = new FormData();
    form.append('model', 'whisper-1');
    form.append('file', new Blob([Buffer.from('RIFF....')], { type: 'audio/wav' }), 'voice.wav');
    const response = await fetch(`${base}/form`, { method: 'POST', headers: { authorization: 'Bearer sk-x' }, body: form });
    await response.text();
    const request = last();
    assert.match(String(request.headers['content-type']), /^multipart\/form-data; boundary=/);
    assert.equal(request.headers.authorization, 'Bearer sk-x');
    const parsed = await new Request('http://parse.invalid/', {
      method: 'POST',
      headers: { 'content-type': String(request.headers['content-type']) },
      body: request.body,
    }).formData();
    assert.equal(parsed.get('model'), 'whisper-1');
    const file = parsed.get('file') as File;
    assert.equal(file.name, 'voice.wav');
    assert.equal(Buffer.from(await file.arrayBuffer()).toString(), 'RIFF....');
  });

  test('a streamed body reads as an async iterable of bytes, chunk by chunk', async () => {
    const response = await fetch(`${base}/stream`, { method: 'GET' });
    const chunks: string[] = [];
    for await (const chunk of response.body as unknown as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk).toString('utf8'));
    assert.deepEqual(chunks, ['data: 1\n\n', 'data: 2\n\n']);
  });

  test('an abort rejects with an AbortError (the SDK reads it as its timeout)', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(
      fetch(`${base}/slow`, { method: 'POST', body: '{}', signal: controller.signal }),
      (error: Error) => error.name === 'AbortError',
    );
  });

  test('a Request object is refused with a clear error', async () => {
    await assert.rejects(fetch(new Request(`${base}/json`)), /call it with a URL/);
  });
});
