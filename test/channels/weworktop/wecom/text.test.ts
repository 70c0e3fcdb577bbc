import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { markdownToText, splitUtf8 } from '../../../../channels/weworktop/wecom/text.js';

describe('splitUtf8', () => {
  test('short text is one part; empty text is none', () => {
    assert.deepEqual(splitUtf8('hello', 2048), ['hello']);
    assert.deepEqual(splitUtf8('', 2048), []);
  });

  test('prefers line breaks and keeps order', () => {
    const lines = Array.from({ length: 10 }, (_, i) => `line ${i} ${'x'.repeat(90)}`);
    const parts = splitUtf8(lines.join('\n'), 300);
    assert.ok(parts.every((part) => Buffer.byteLength(part) <= 300));
    assert.ok(
      parts.every((part) => part.startsWith('line ')),
      'every part starts at a line',
    );
    assert.equal(parts.join('\n'), lines.join('\n'));
  });

  test('never cuts a character: CJK, emoji and surrogate pairs, with no break to prefer', () => {
    const text = '中文😀𠮷'.repeat(500);
    const parts = splitUtf8(text, 2048);
    assert.ok(parts.every((part) => Buffer.byteLength(part) <= 2048 && !part.includes('\uFFFD')));
    assert.equal(parts.join(''), text);
  });

  test('property: every part fits, no character is cut, and the text survives (up to cut whitespace)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 3000 }), fc.integer({ min: 4, max: 600 }), (text, max) => {
        const parts = splitUtf8(text, max);
        for (const part of parts) {
          assert.ok(Buffer.byteLength(part) <= max);
          assert.equal(Buffer.from(part, 'utf8').toString('utf8'), part);
        }
        assert.equal(parts.join('').replace(/\s/g, ''), text.replace(/\s/g, ''));
      }),
      { numRuns: 300 },
    );
  });
});

describe('markdownToText', () => {
  test('drops markup, keeps content', () => {
    const markdown = [
      '## 标题',
      '**重点** 和 `code`, *斜体* and __bold__ ~~old~~',
      '- one',
      '* two',
      '1. three',
      '> quoted',
      '[docs](https://example.com)',
      '```js',
      'const a = 1 * 2;',
      '```',
      '---',
      '| a | b |',
      '|---|---|',
      '| 1 | 2 |',
    ].join('\n');
    assert.equal(
      markdownToText(markdown),
      [
        '标题',
        '重点 和 code, 斜体 and bold old',
        '• one',
        '• two',
        '1. three',
        'quoted',
        'docs (https://example.com)',
        'const a = 1 * 2;',
        '────────',
        'a  b',
        '',
        '1  2',
      ].join('\n'),
    );
  });

  test('leaves plain text and arithmetic alone', () => {
    assert.equal(markdownToText('2 * 3 = 6 and 4 * 5 = 20'), '2 * 3 = 6 and 4 * 5 = 20');
    assert.equal(markdownToText('snake_case_name stays'), 'snake_case_name stays');
  });
});
