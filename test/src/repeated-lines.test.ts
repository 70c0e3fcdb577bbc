import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RepeatedLineFilter, repeatKey } from '../../src/repeated-lines.js';

const at = (seconds: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, seconds)).toISOString();
const line = (seconds: number, level: string, rest: string) => `${at(seconds)} ${level.padEnd(5)} [callback] ${rest}\n`;

function filter(windowMs = 60_000) {
  let now = Date.UTC(2025, 0, 1);
  const written: string[] = [];
  const lines = new RepeatedLineFilter({ write: (text) => written.push(text) }, { windowMs, now: () => now });
  return { lines, written, advance: (ms: number) => (now += ms) };
}

describe('repeated identical warnings and errors', () => {
  const keys: Array<{ what: string; line: string; key: string | undefined }> = [
    {
      what: 'an error, without its time',
      line: line(1, 'ERROR', 'callback failed err=disk full'),
      key: 'ERROR [callback] callback failed err=disk full\n',
    },
    { what: 'a warning', line: line(1, 'WARN', 'callback rejected status=401'), key: 'WARN  [callback] callback rejected status=401\n' },
    { what: 'info is never held back', line: line(1, 'INFO', 'message received'), key: undefined },
    { what: 'debug neither', line: line(1, 'DEBUG', 'x'), key: undefined },
    {
      what: 'a JSON error, without its time',
      line: '{"level":50,"time":1735689600000,"module":"callback","msg":"callback failed"}\n',
      key: '{"level":50,"module":"callback","msg":"callback failed"}\n',
    },
    { what: 'JSON info', line: '{"level":30,"time":1,"msg":"x"}\n', key: undefined },
  ];
  for (const { what, line: text, key } of keys) test(`key: ${what}`, () => assert.equal(repeatKey(text), key));

  test('said once, then counted; the count is written when the window is over', () => {
    const { lines, written, advance } = filter();
    for (let i = 0; i < 2977; i++) lines.write(line(i % 60, 'ERROR', 'callback failed err=SQLITE_FULL: database or disk is full'));
    assert.equal(written.length, 1);
    advance(60_000);
    lines.flush(false);
    assert.deepEqual(written.slice(1), [
      `${at(60)} ERROR [callback] callback failed err=SQLITE_FULL: database or disk is full (repeated 2,976 times in the last 60 s)\n`,
    ]);
  });

  test('lines that differ in any field are each written; info lines are never held back', () => {
    const { lines, written } = filter();
    lines.write(line(0, 'WARN', 'retrying api=message/send retry=1'));
    lines.write(line(0, 'WARN', 'retrying api=message/send retry=2'));
    lines.write(line(0, 'INFO', 'answered'));
    lines.write(line(1, 'INFO', 'answered'));
    assert.equal(written.length, 4);
  });

  test('a line that stopped repeating is written in full again after the window', () => {
    const { lines, written, advance } = filter();
    lines.write(line(0, 'WARN', 'x'));
    advance(60_000);
    lines.flush(false);
    assert.equal(written.length, 1, 'nothing to count');
    lines.write(line(60, 'WARN', 'x'));
    assert.equal(written.length, 2);
  });

  test('a flood that goes on gets a count every window; close writes what is left', () => {
    const { lines, written, advance } = filter();
    lines.write(line(0, 'ERROR', 'x'));
    lines.write(line(0, 'ERROR', 'x'));
    advance(60_000);
    lines.flush(false);
    lines.write(line(60, 'ERROR', 'x'));
    advance(12_000);
    lines.close();
    assert.deepEqual(
      written.map((text) => text.slice(25)),
      [
        'ERROR [callback] x\n',
        'ERROR [callback] x (repeated 1 time in the last 60 s)\n',
        'ERROR [callback] x (repeated 1 time in the last 12 s)\n',
      ],
    );
  });

  test('JSON lines get the count as fields', () => {
    const { lines, written, advance } = filter();
    for (let i = 0; i < 3; i++) lines.write(`{"level":50,"time":${i},"msg":"callback failed"}\n`);
    advance(60_000);
    lines.close();
    assert.deepEqual(JSON.parse(written[1]!), {
      level: 50,
      time: Date.UTC(2025, 0, 1) + 60_000,
      msg: 'callback failed',
      repeated: 2,
      in_last_s: 60,
    });
  });
});
