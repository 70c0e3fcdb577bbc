import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { silentWav, startFakeOpenAI } from '../../../../fakes/fake-openai.js';
import { createOpenAIClient } from '../../../../src/backends/openai/client.js';
import { createLogger } from '../../../../src/logger.js';
import { openAITranscriber } from '../../../../src/media/openai-transcriber.js';
import { startConnectProxy } from '../../../support/connect-proxy.js';

describe('createOpenAIClient', () => {
  test('with `proxy`, LLM calls go through the proxy', async () => {
    const openai = await startFakeOpenAI();
    const proxy = await startConnectProxy();
    try {
      const client = createOpenAIClient(
        { open_ai_api_key: 'sk-test', open_ai_api_base: openai.url, proxy: proxy.url, request_timeout: 10, max_retries: 0 },
        createLogger({ level: 'silent', secrets: [] }),
      );
      const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: '经过代理' }] });
      assert.equal(completion.choices[0]?.message.content, 'echo: 经过代理');
      assert.ok(proxy.tunnels >= 1, 'the call was tunnelled through the proxy');
    } finally {
      await proxy.close();
      await openai.close();
    }
  });

  test("with `proxy`, a transcription arrives as multipart form data (npm undici's fetch sent it as text)", async () => {
    const openai = await startFakeOpenAI();
    const proxy = await startConnectProxy();
    try {
      const client = createOpenAIClient(
        { open_ai_api_key: 'sk-test', open_ai_api_base: openai.url, proxy: proxy.url, request_timeout: 10, max_retries: 0 },
        createLogger({ level: 'silent', secrets: [] }),
      );
      const wav = silentWav(1);
      assert.equal(await openAITranscriber(client, 'whisper-1', 'zh-CN')(wav), 'transcribed text');
      assert.deepEqual(
        openai
          .transcriptionRequests()
          .map(({ file, fileName, model, language }) => ({ same: file.equals(wav), fileName, model, language })),
        [{ same: true, fileName: 'voice.wav', model: 'whisper-1', language: 'zh' }],
      );
      assert.ok(proxy.tunnels >= 1, 'the call was tunnelled through the proxy');
    } finally {
      await proxy.close();
      await openai.close();
    }
  });
});
