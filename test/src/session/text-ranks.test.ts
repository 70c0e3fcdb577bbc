import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { countTokens as countCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens as countO200k } from 'gpt-tokenizer/encoding/o200k_base';
import { readBpeRanks } from '../../../src/session/bpe-ranks.js';
import { TextRanks, TokenCounter } from '../../../src/session/tokens.js';

describe('TextRanks', () => {
  for (const encoding of ['o200k_base', 'cl100k_base'] as const) {
    test(`${encoding}: every text token is found with its rank, the byte tokens are left to gpt-tokenizer, and other text is not found`, () => {
      const ranks = readBpeRanks(encoding);
      const { text, bytes } = TextRanks.read(encoding);
      let texts = 0;
      ranks.forEach((token, rank) => {
        if (typeof token === 'string') {
          texts += 1;
          assert.equal(text.get(token), rank, `rank ${rank}`);
          assert.equal(bytes[rank], undefined);
        } else assert.deepEqual(bytes[rank], token);
      });
      assert.ok(texts > 0.9 * ranks.length);
      const known = new Set(ranks.filter((token) => typeof token === 'string'));
      for (const other of ['', 'not-a-token-at-all-xyz', '你好世界你好世界你好', ' WeCom企业微信', '\u0000\u0001', '😀😀😀😀']) {
        assert.equal(text.get(other), known.has(other) ? ranks.indexOf(other) : undefined, JSON.stringify(other));
      }
    });
  }

  test('counts as gpt-tokenizer does with its own ranks, for both encodings', () => {
    const samples = [
      '请帮我把这段话翻译成英文：下周一的项目评审会改到下午三点，地点在三楼大会议室。',
      'How do I reset my VPN password if I am travelling? Call 8000 or open https://vpn.example.com/reset?x=1&y=2',
      '```ts\nconst x: Record<string, number> = { a: 1 }; // 注释\n```\n- item 1\n- **bold** _it_',
      '😀👍🏽🇨🇳 emoji, Ünïcödé, русский текст, العربية, हिन्दी, 日本語のテキスト、한국어',
      '\t\n\r  spaces   and\u00a0odd\u2028separators\ufeff',
      Array.from({ length: 50 }, (_, i) => `第${i}条：报销差旅费需要哪些单据？`).join(' '),
    ];
    const o200k = new TokenCounter('gpt-4o-mini');
    const cl100k = new TokenCounter('gpt-4');
    for (const sample of samples) {
      assert.equal(o200k.count(sample), countO200k(sample), sample);
      assert.equal(cl100k.count(sample), countCl100k(sample), sample);
    }
  });
});
