import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { readBpeRanks } from '../../../src/session/bpe-ranks.js';

const require = createRequire(import.meta.url);

describe('readBpeRanks', () => {
  for (const encoding of ['o200k_base', 'cl100k_base'] as const) {
    test(`reads ${encoding} from the .tiktoken file exactly as gpt-tokenizer's own ranks module has it`, () => {
      const shipped = (require(`gpt-tokenizer/bpeRanks/${encoding}`) as { default: Array<string | number[]> }).default;
      const read = readBpeRanks(encoding);
      assert.equal(read.length, shipped.length);
      // Every entry, text or bytes (a deepEqual of 200,000 entries reports the first that differs).
      assert.deepEqual(read, shipped);
    });
  }
});
