import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildXml, parseEnvelope, parseMessageXml, WeComXmlError } from '../../../../channels/weworktop/wecom/xml.js';

describe('WeCom XML', () => {
  test('reads the envelope by tag in any order', () => {
    const envelope = parseEnvelope(
      '<xml><ToUserName><![CDATA[wx1]]></ToUserName><Encrypt><![CDATA[abc+/=]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>',
    );
    assert.deepEqual(envelope, { encrypt: 'abc+/=', toUserName: 'wx1', agentId: '218' });
    assert.equal(parseEnvelope('<xml>\n<Encrypt>abc</Encrypt>\n</xml>').encrypt, 'abc');
  });

  test('keeps MsgId as a string beyond 2^53 and text exactly as sent', () => {
    const fields = parseMessageXml(
      '<xml><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[ a < b & "c" ]]></Content><MsgId>4561255354251345929</MsgId><CreateTime>1409659813</CreateTime></xml>',
    );
    assert.equal(fields.MsgId, '4561255354251345929');
    assert.equal(fields.Content, ' a < b & "c" ');
    assert.equal(fields.CreateTime, '1409659813');
  });

  test('decodes only the predefined entities and never expands a DOCTYPE', () => {
    assert.equal(parseMessageXml('<xml><MsgType>text</MsgType><Content>1 &lt; 2 &amp;&amp; 3</Content></xml>').Content, '1 < 2 && 3');
    assert.throws(
      () => parseMessageXml('<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><MsgType>text</MsgType><Content>&a;</Content></xml>'),
      WeComXmlError,
    );
  });

  test('rejects malformed, nested, repeated, missing and oversized input', () => {
    for (const bad of [
      '<xml><Encrypt>unterminated',
      'garbage',
      '<xml><Encrypt><A>1</A></Encrypt></xml>',
      '<xml><Encrypt>1</Encrypt><Encrypt>2</Encrypt></xml>',
      '<xml><ToUserName>x</ToUserName></xml>',
      '<other><Encrypt>x</Encrypt></other>',
      `<xml><Encrypt>${'a'.repeat(1024 * 1024 + 1)}</Encrypt></xml>`,
    ]) {
      assert.throws(() => parseEnvelope(bad), WeComXmlError, bad.slice(0, 60));
    }
    assert.throws(() => parseMessageXml('<xml><Content>no type</Content></xml>'), /MsgType/);
  });

  test('buildXml round-trips, including "]]>" inside text', () => {
    const fields = { MsgType: 'text', Content: 'tricky ]]> text 中文', CreateTime: 1 };
    assert.deepEqual(parseMessageXml(buildXml(fields)), { MsgType: 'text', Content: 'tricky ]]> text 中文', CreateTime: '1' });
  });
});
