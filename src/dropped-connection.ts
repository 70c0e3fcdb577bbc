/**
 * Codes of a connection that broke under a call: a reset, a closed keep-alive socket reused just as
 * the server dropped it. One quick retry on a fresh connection fixes these; refused connections,
 * timeouts and DNS failures are outages, which the message-level backoff owns (docs/reliability.md).
 */
const DROPPED = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

/** Whether the error, or one of its causes, is a dropped connection. */
export function isDroppedConnection(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    if (typeof current !== 'object') return false;
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && DROPPED.has(code)) return true;
    if (typeof message === 'string' && /socket hang up|other side closed/i.test(message)) return true;
  }
  return false;
}
