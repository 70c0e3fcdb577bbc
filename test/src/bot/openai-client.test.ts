import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createOpenAIClient } from '../../../src/bot/openai-client.js';
import { startFakeOpenAI } from '../../fakes/fake-openai.js';
import { startConnectProxy } from '../../support/connect-proxy.js';

describe('createOpenAIClient', () => {
  test('with `proxy`, LLM calls go through the proxy (undici loaded on the first call)', async () => {
    const openai = await startFakeOpenAI();
    const proxy = await startConnectProxy();
    try {
      const client = createOpenAIClient({ open_ai_api_key: 'sk-test', open_ai_api_base: openai.url, proxy: proxy.url, request_timeout: 10, max_retries: 0 });
      const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: '经过代理' }] });
      assert.equal(completion.choices[0]?.message.content, 'echo: 经过代理');
      assert.ok(proxy.tunnels >= 1, 'the call was tunnelled through the proxy');
    } finally {
      await proxy.close();
      await openai.close();
    }
  });
});
