import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NotADifyStream, sseEvents } from '../../../../src/backends/dify/sse-events.js';

async function parse(chunks: Array<string | Buffer>): Promise<Array<Record<string, unknown>>> {
  async function* body() {
    for (const chunk of chunks) yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
  }
  const events: Array<Record<string, unknown>> = [];
  for await (const event of sseEvents(body())) events.push(event);
  return events;
}

describe("Dify's server-sent events", () => {
  test('events split anywhere (inside a character too), CRLF lines, pings and both JSON spacings', async () => {
    const whole = Buffer.from(
      'data: {"event":"message","answer":"你好"}\r\n\r\nevent: ping\n\ndata: {"event": "message_end", "id": "1"}\n\n',
    );
    const cut = whole.indexOf(Buffer.from('好')) + 1;
    const events = await parse([whole.subarray(0, 5), whole.subarray(5, cut), whole.subarray(cut)]);
    assert.deepEqual(events, [
      { event: 'message', answer: '你好' },
      { event: 'message_end', id: '1' },
    ]);
  });

  test('a last event without its blank line is still read; a body that is not JSON is refused', async () => {
    assert.deepEqual(await parse(['data: {"event":"message_end"}']), [{ event: 'message_end' }]);
    await assert.rejects(parse(['data: <html>502</html>\n\n']), NotADifyStream);
  });
});
