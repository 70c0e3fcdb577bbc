import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type FakeDify, startFakeDify } from '../../../../fakes/fake-dify.js';
import { DifyChatBot } from '../../../../src/backends/dify/dify-chat-bot.js';
import type { DifyBackendConfig } from '../../../../src/backends/dify/dify-config.js';
import { createLogger } from '../../../../src/logger.js';
import { UserFacingError } from '../../../../src/user-facing-error.js';

let dify: FakeDify;
before(async () => {
  dify = await startFakeDify({ apps: { 'app-1': { mode: 'advanced-chat' } } });
});
after(() => dify.close());

const bot = () =>
  new DifyChatBot(
    {
      dify_api_base: dify.url,
      dify_api_key: 'app-1',
      dify_app_type: 'chat',
      dify_workflow_input: 'query',
      dify_workflow_output: '',
      dify_show_thoughts: false,
      proxy: '',
      request_timeout: 5,
      max_retries: 1,
    } satisfies DifyBackendConfig,
    createLogger({ level: 'silent', secrets: [] }),
  );

describe('DifyChatBot', () => {
  test("a chatflow's answer (workflow events around the deltas) grows, and the new conversation id is saved once", async () => {
    const saves: Array<Record<string, string>> = [];
    const partials: string[] = [];
    dify.setStreaming({ chunkChars: 2 });
    const completion = await bot().complete([{ role: 'user', content: '一二三四五六' }], {
      onPartial: (text) => partials.push(text),
      session: { user: 'u1', state: {}, saveState: (state) => saves.push(state) },
    });
    assert.equal(completion.text, 'dify: 一二三四五六');
    assert.equal(completion.totalTokens, 20);
    assert.ok(partials.length >= 4 && partials.at(-1) === completion.text, JSON.stringify(partials));
    assert.deepEqual(saves, [{ dify_conversation_id: dify.conversations()[0]!.id }]);
  });

  test('a connection dropped before any answer is sent again at once (max_retries); an error event is a UserFacingError', async () => {
    dify.failNext({ raw: { drop: true } });
    const answered = await bot().complete([{ role: 'user', content: 'x' }], { session: { user: 'u2', state: {}, saveState: () => {} } });
    assert.equal(answered.text, 'dify: x');
    dify.failNext({ streamError: { status: 400, code: 'provider_quota_exceeded' }, afterChunks: 1 });
    const error = await bot()
      .complete([{ role: 'user', content: 'y' }])
      .catch((caught: unknown) => caught);
    assert.ok(error instanceof UserFacingError && !error.transient && error.kind === 'model_setup', String(error));
  });
});
