import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detached } from '../../../src/runtime/detached.js';

test('detached gives back the same text, whatever it holds', () => {
  const xml = `<xml><FromUserName><![CDATA[zhang.san-会计部]]></FromUserName><Content><![CDATA[你好 👋 "quoted" \\ back\nline]]></Content></xml>`;
  for (const text of [
    '',
    'bench-user-000012345',
    /CDATA\[(.*?)\]/.exec(xml)![1]!,
    xml.slice(30),
    '\u0000\u2028\ud83d\udc4b',
    'lone \ud800 surrogate',
  ]) {
    assert.equal(detached(text), text);
  }
});
