import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { TokenCounter } from '../../../src/session/tokens.js';

const exact = { encode };

describe('TokenCounter', () => {
  const counter = new TokenCounter('gpt-4o-mini');

  test('counts with the real tokenizer: long text with spaces exactly as one encode would', () => {
    const text = Array.from({ length: 400 }, (_, i) => `Sentence number ${i} talks about tokens, budgets and WeCom.`).join(' ');
    assert.ok(text.length > 10_000);
    assert.equal(counter.count(text), exact.encode(text).length);
    assert.equal(counter.count('你好，世界'), exact.encode('你好，世界').length);
  });

  test('a 100,000-character run without spaces is counted in linear time and close to the truth', () => {
    // One pre-token this long takes minutes in one encode call (quadratic BPE); a hang here fails by timeout.
    const run = 'x'.repeat(100_000);
    const perChunk = exact.encode('x'.repeat(64)).length;
    const count = counter.count(run);
    assert.ok(Math.abs(count - perChunk * (100_000 / 64)) <= 200, `${count}`);
    const chinese = '长'.repeat(50_000);
    assert.ok(counter.count(chinese) > 0);
  });

  test('special-token text typed by a user is counted as plain text, not refused', () => {
    assert.ok(counter.count('hi <|endoftext|> there') > 4);
  });

  test('surrogate pairs are never cut', () => {
    const emoji = '😀'.repeat(3000);
    assert.equal(counter.count(emoji), counter.count(emoji.slice(0, 3000)) + counter.count(emoji.slice(3000)));
  });
});
