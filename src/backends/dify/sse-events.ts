/** A body that is not server-sent events of JSON: a gateway or proxy answered in Dify's place. */
export class NotADifyStream extends Error {}

/**
 * Dify's server-sent events as objects. Each event is `data: {json}` with its name inside the JSON;
 * pings are a bare `event: ping` line and are skipped.
 */
export async function* sseEvents(body: AsyncIterable<Buffer | Uint8Array>): AsyncGenerator<Record<string, unknown>> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n');
    let end = buffered.indexOf('\n\n');
    while (end >= 0) {
      const event = parseEvent(buffered.slice(0, end));
      buffered = buffered.slice(end + 2);
      if (event) yield event;
      end = buffered.indexOf('\n\n');
    }
  }
  const last = parseEvent(buffered + decoder.decode());
  if (last) yield last;
}

function parseEvent(block: string): Record<string, unknown> | undefined {
  const data = block
    .split('\n')
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(5).trimStart())
    .join('\n');
  if (data === '') return undefined;
  let event: unknown;
  try {
    event = JSON.parse(data);
  } catch {
    event = undefined;
  }
  if (typeof event === 'object' && event !== null && !Array.isArray(event)) return event as Record<string, unknown>;
  throw new NotADifyStream(`an event that is not Dify's JSON: ${data.slice(0, 100)}`);
}
