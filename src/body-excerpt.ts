/** Characters of a foreign body quoted in an error (and so in a log line). */
const EXCERPT_CHARS = 100;

/** The first bytes of an HTTP body as one short line: enough to recognize a proxy's error page. */
export function bodyExcerpt(data: unknown): string {
  const bytes = data instanceof ArrayBuffer ? Buffer.from(data) : data;
  const text = Buffer.isBuffer(bytes)
    ? bytes.toString('utf8', 0, EXCERPT_CHARS * 4)
    : typeof bytes === 'string'
      ? bytes
      : (JSON.stringify(bytes) ?? String(bytes));
  const line = text.replace(/\s+/g, ' ').trim();
  if (line === '') return '(empty body)';
  return line.length > EXCERPT_CHARS ? `${line.slice(0, EXCERPT_CHARS)}…` : line;
}
