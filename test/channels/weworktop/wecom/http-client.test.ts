import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import axios, { AxiosError } from 'axios';
import { Agent } from 'undici';
import { undiciAdapter } from '../../../../channels/weworktop/wecom/http-client.js';
import { closedPort } from '../../../support/closed-port.js';
import { type RecordingServer, startRecordingServer } from '../../../support/recording-server.js';

describe("undiciAdapter (axios on undici's request)", () => {
  const dispatcher = new Agent();
  let server: RecordingServer;
  const client = (timeout = 2000) => axios.create({ baseURL: server.base, timeout, adapter: undiciAdapter(dispatcher) });
  const last = () => server.seen.at(-1)!;

  before(async () => {
    server = await startRecordingServer((request, res) => {
      const path = request.url.split('?')[0];
      if (path === '/slow') return void setTimeout(() => res.end('{}'), 2000).unref();
      if (path === '/missing') return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"errcode":404}');
      if (path === '/bytes')
        return void res
          .writeHead(200, { 'content-type': 'image/png', 'content-disposition': 'attachment; filename="a.png"' })
          .end(Buffer.alloc(1000, 7));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"errcode":0,"errmsg":"ok","msgid":"m1"}');
    });
  });
  after(async () => {
    await dispatcher.close();
    server.close();
  });

  test('POSTs JSON with the params in the query, and answers the parsed JSON with status and headers', async () => {
    const response = await client().post(
      '/cgi-bin/message/send',
      { touser: 'zhangsan', text: { content: '你好' } },
      { params: { access_token: 'T K' } },
    );
    const request = last();
    assert.equal(request.method, 'POST');
    assert.equal(request.url, '/cgi-bin/message/send?access_token=T+K');
    assert.match(String(request.headers['content-type']), /^application\/json/);
    assert.deepEqual(JSON.parse(request.body.toString('utf8')), { touser: 'zhangsan', text: { content: '你好' } });
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-type'], 'application/json');
    assert.deepEqual(response.data, { errcode: 0, errmsg: 'ok', msgid: 'm1' });
  });

  test('form data goes as multipart with its boundary', async () => {
    const form = new FormData();
    form.append('media', new Blob([Buffer.from('AMR!')], { type: 'audio/amr' }), 'voice.amr');
    await client().post('/cgi-bin/media/upload', form, { params: { type: 'voice' } });
    const request = last();
    const parsed = await new Request('http://parse.invalid/', {
      method: 'POST',
      headers: { 'content-type': String(request.headers['content-type']) },
      body: request.body,
    }).formData();
    const file = parsed.get('media') as File;
    assert.deepEqual([file.name, file.type, Buffer.from(await file.arrayBuffer()).toString()], ['voice.amr', 'audio/amr', 'AMR!']);
  });

  test("arraybuffer answers bytes; more than maxContentLength is refused in axios's words", async () => {
    const response = await client().get('/bytes', { responseType: 'arraybuffer' });
    assert.ok(Buffer.isBuffer(response.data));
    assert.equal((response.data as Buffer).length, 1000);
    assert.equal(response.headers['content-disposition'], 'attachment; filename="a.png"');
    await assert.rejects(
      client().get('/bytes', { responseType: 'arraybuffer', maxContentLength: 999 }),
      (error: Error) => axios.isAxiosError(error) && /maxContentLength size of 999 exceeded/.test(error.message),
    );
  });

  test('a status that validateStatus refuses rejects with the response, as axios does', async () => {
    await assert.rejects(
      client().get('/missing'),
      (error: Error) => error instanceof AxiosError && error.response?.status === 404 && error.code === AxiosError.ERR_BAD_REQUEST,
    );
  });

  test('a server slower than timeout is an axios timeout error', async () => {
    await assert.rejects(
      client(100).get('/slow'),
      (error: Error) => error instanceof AxiosError && error.code === AxiosError.ETIMEDOUT && error.message === 'timeout of 100ms exceeded',
    );
  });

  test('nothing listening is an axios error with the system code', async () => {
    await assert.rejects(
      axios.get(`http://127.0.0.1:${await closedPort()}/`, { adapter: undiciAdapter(dispatcher) }),
      (error: Error) => axios.isAxiosError(error) && error.code === 'ECONNREFUSED' && /ECONNREFUSED/.test(error.message),
    );
  });

  test('a responseType it does not read is refused up front', async () => {
    await assert.rejects(client().get('/bytes', { responseType: 'stream' }), /responseType stream is not supported/);
  });
});
