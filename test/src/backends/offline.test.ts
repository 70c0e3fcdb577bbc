import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OfflineBot } from '../../../src/backends/offline.js';

const countChars = (text: string) => text.length;

describe('OfflineBot', () => {
  test('says it is not an LLM and shows the question after the trigger, its tokens and the context size', async () => {
    const bot = new OfflineBot(countChars, { stepDelayMs: 0 });
    const { text } = await bot.complete([
      { role: 'system', content: 'prompt' },
      { role: 'user', content: 'earlier' },
      { role: 'assistant', content: 'answer' },
      { role: 'user', content: '你好' },
    ]);
    assert.match(text, /^\[离线模式\] 我不是大模型/);
    assert.match(text, /触发规则已匹配，触发前缀已去掉，问题是：「你好」/);
    assert.match(text, /问题 2 tokens；加上系统提示和 2 条历史消息，共 21 tokens/);
    assert.match(text, /open_ai_api_key/);
  });

  test('writes the answer line by line to a streaming listener, each partial the whole text so far', async () => {
    const partials: string[] = [];
    const { text } = await new OfflineBot(countChars, { stepDelayMs: 1 }).complete([{ role: 'user', content: 'hi' }], {
      onPartial: (soFar) => partials.push(soFar),
    });
    assert.equal(partials.length, 4);
    partials.reduce((previous, current) => (assert.ok(current.startsWith(previous)), current));
    assert.equal(partials.at(-1), text);
  });
});
