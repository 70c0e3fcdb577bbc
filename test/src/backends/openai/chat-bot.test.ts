import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { type FakeOpenAI, startFakeOpenAI } from '../../../../fakes/fake-openai.js';
import type { FakeResponse } from '../../../../fakes/http-fake.js';
import { createOpenAIClient, OpenAIChatBot } from '../../../../src/backends/openai/client.js';
import { createLogger } from '../../../../src/logger.js';
import { UserFacingError } from '../../../../src/user-facing-error.js';
import { closedPort } from '../../../support/closed-port.js';

const logs: string[] = [];
const logger = createLogger({ level: 'debug', secrets: [], sink: { write: (line) => logs.push(line) } });
const botFor = (base: string, options: { request_timeout?: number; max_retries?: number } = {}) =>
  new OpenAIChatBot({
    client: createOpenAIClient(
      {
        open_ai_api_key: 'sk-test',
        open_ai_api_base: base,
        proxy: '',
        request_timeout: options.request_timeout ?? 10,
        max_retries: options.max_retries ?? 0,
      },
      logger,
    ),
    model: 'gpt-4o-mini',
    temperature: 0.9,
    logger,
  });
const ask = [{ role: 'user' as const, content: '你好' }];

async function userFacing(promise: Promise<unknown>): Promise<UserFacingError> {
  const error = await promise.then(
    () => assert.fail('expected a failure'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof UserFacingError, `a UserFacingError, got ${String(error)}`);
  return error;
}

describe('OpenAIChatBot over the SDK and its undici fetch, against a fake OpenAI server', () => {
  let openai: FakeOpenAI;
  before(async () => (openai = await startFakeOpenAI()));
  beforeEach(() => openai.reset());
  after(() => openai.close());

  test('answers with the completion and its token usage; the request carries the model, temperature and messages', async () => {
    const completion = await botFor(openai.url).complete(ask);
    assert.deepEqual(completion, { text: 'echo: 你好', totalTokens: 2 });
    assert.deepEqual(
      openai.chatRequests().map(({ model, temperature, messages }) => ({ model, temperature, messages })),
      [{ model: 'gpt-4o-mini', temperature: 0.9, messages: ask }],
    );
  });

  test('streams: each partial is the whole text so far', async () => {
    openai.setStreaming({ chunkChars: 3, chunkDelayMs: 5 });
    const partials: string[] = [];
    const completion = await botFor(openai.url).complete(ask, { onPartial: (text) => partials.push(text) });
    assert.equal(completion.text, 'echo: 你好');
    assert.deepEqual(partials, ['ech', 'echo: ', 'echo: 你好']);
  });

  test('a 5xx is not retried inside the call, whatever max_retries: one request, a transient error for the answer runner', async () => {
    openai.failNext(503, 3);
    const error = await userFacing(botFor(openai.url, { max_retries: 2 }).complete(ask));
    assert.equal(error.transient, true);
    assert.equal(error.userMessage, 'AI 服务暂时不可用，请稍后再试。');
    assert.equal(openai.chatRequests().length, 1);
  });

  for (const stream of [false, true]) {
    test(`a dropped connection is sent again at once (max_retries), and the retry answers${stream ? ' (streaming)' : ''}`, async () => {
      openai.dropNext(1);
      const before = logs.length;
      const completion = await botFor(openai.url, { max_retries: 1 }).complete(ask, stream ? { onPartial: () => {} } : {});
      assert.equal(completion.text, 'echo: 你好');
      assert.equal(openai.chatRequests().length, 2);
      const lines = logs.slice(before);
      assert.equal(lines.length, 1, lines.join(''));
      assert.match(lines[0]!, /WARN .*connection to the LLM server dropped; sending again/);
    });
  }

  test('a connection that keeps dropping: 1 + max_retries requests, then a transient "cannot connect"', async () => {
    openai.dropNext(10);
    const error = await userFacing(botFor(openai.url, { max_retries: 2 }).complete(ask));
    assert.equal(error.transient, true);
    assert.match(error.userMessage, /连接不上/);
    assert.equal(openai.chatRequests().length, 3);
    openai.reset();
    openai.dropNext(1);
    await userFacing(botFor(openai.url, { max_retries: 0 }).complete(ask));
    assert.equal(openai.chatRequests().length, 1, 'max_retries 0: no quick retry');
  });

  test('a 404 from a base URL without /v1: the log names the URL called and the missing /v1, never the key', async () => {
    openai.requireV1();
    logs.length = 0;
    const root = openai.url.replace(/\/v1$/, '');
    const error = await userFacing(botFor(root).complete(ask));
    assert.equal(error.userMessage, 'AI 服务的地址或模型配置有误（HTTP 404），请联系管理员查看日志。');
    assert.equal(error.transient, false);
    const line = logs.find((text) => text.includes('LLM call failed'));
    assert.ok(
      line?.includes(
        `LLM call failed: POST ${root}/chat/completions answered 404; open_ai_api_base ${root} has no /v1 at its end, which most OpenAI-compatible servers need (try ${root}/v1)`,
      ),
      line,
    );
    assert.doesNotMatch(logs.join(''), /sk-test/);
  });

  test('a 404 for an unknown model names the model', async () => {
    openai.failNext(404, 1, 'model_not_found');
    logs.length = 0;
    await userFacing(botFor(openai.url).complete(ask));
    const line = logs.find((text) => text.includes('LLM call failed'));
    assert.ok(
      line?.includes(`POST ${openai.url}/chat/completions answered 404: the server does not know model "gpt-4o-mini" (check model)`),
      line,
    );
  });

  test('a 429 is a transient "too fast" message', async () => {
    openai.failNext(429, 1);
    const error = await userFacing(botFor(openai.url).complete(ask));
    assert.match(error.userMessage, /提问太快/);
    assert.equal(error.transient, true);
  });

  test('an LLM slower than request_timeout is a transient timeout message', async () => {
    openai.setLatency(1500);
    const error = await userFacing(botFor(openai.url, { request_timeout: 0.2 }).complete(ask));
    assert.match(error.userMessage, /响应超时/);
    assert.equal(error.transient, true);
    assert.ok(logs.some((line) => line.includes('LLM call timed out')));
  });

  test('a server that is not there is a transient "cannot connect" message, and the log says what to check', async () => {
    const error = await userFacing(botFor(`http://127.0.0.1:${await closedPort()}/v1`).complete(ask));
    assert.match(error.userMessage, /连接不上/);
    assert.equal(error.transient, true);
    assert.ok(logs.some((line) => line.includes('cannot reach the LLM server')));
  });

  const cutShort: Array<{ what: string; stream: boolean; answer: FakeResponse }> = [
    {
      what: 'a JSON answer',
      stream: false,
      answer: { headers: { 'content-type': 'application/json', 'content-length': '200' }, body: '{"id":"chatcmpl-1","choi', cut: true },
    },
    {
      what: 'a stream',
      stream: true,
      answer: {
        headers: { 'content-type': 'text/event-stream' },
        chunks: [
          'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"半"},"finish_reason":null}]}\n\n',
        ],
        cut: true,
      },
    },
  ];
  for (const { what, stream, answer } of cutShort) {
    test(`a connection dropped in the middle of ${what} is a transient failure, not sent again (the answer had begun)`, async () => {
      openai.answerNextRaw(answer);
      const before = logs.length;
      const error = await userFacing(botFor(openai.url, { max_retries: 1 }).complete(ask, stream ? { onPartial: () => {} } : {}));
      assert.equal(error.transient, true, error.userMessage);
      assert.match(error.userMessage, /连接不上/);
      assert.equal(openai.chatRequests().length, 1);
      const lines = logs.slice(before);
      assert.equal(lines.length, 1, lines.join(''));
      assert.match(lines[0]!, /WARN .*connection to the LLM server dropped in the middle of the answer/);
    });
  }

  const garbled: Array<{ what: string; stream: boolean; answer: { headers: Record<string, string>; body: string }; logged: RegExp }> = [
    {
      what: 'an HTML error page',
      stream: false,
      answer: { headers: { 'content-type': 'text/html' }, body: '<html><body>502 Bad Gateway</body></html>' },
      logged: /text\/html\): <html><body>502 Bad Gateway/,
    },
    {
      what: 'broken JSON',
      stream: false,
      answer: { headers: { 'content-type': 'application/json' }, body: '{"id":"chatcmpl-1","choices":[{"mess' },
      logged: /JSON/,
    },
    {
      what: 'JSON that is not a completion',
      stream: false,
      answer: { headers: { 'content-type': 'application/json' }, body: '{"code":502,"msg":"upstream busy"}' },
      logged: /upstream busy/,
    },
    {
      what: 'an HTML page instead of a stream',
      stream: true,
      answer: { headers: { 'content-type': 'text/html' }, body: '<html>gateway timeout</html>' },
      logged: /<html>gateway timeout/,
    },
    {
      what: 'a stream of broken JSON',
      stream: true,
      answer: { headers: { 'content-type': 'text/event-stream' }, body: 'data: {"choices":[{"del\n\n' },
      logged: /JSON/,
    },
  ];
  for (const { what, stream, answer, logged } of garbled) {
    test(`an HTTP 200 with ${what}${stream ? ' (streaming)' : ''} is a transient failure, logged in one line with the body's first bytes`, async () => {
      openai.answerNextRaw({ status: 200, ...answer });
      const before = logs.length;
      const error = await userFacing(botFor(openai.url).complete(ask, stream ? { onPartial: () => {} } : {}));
      assert.equal(error.transient, true, error.userMessage);
      assert.match(error.userMessage, /无法识别/);
      const lines = logs.slice(before);
      assert.equal(lines.length, 1, lines.join(''));
      assert.match(lines[0]!, /WARN .*not the OpenAI API/);
      assert.match(lines[0]!, logged);
    });
  }
});
