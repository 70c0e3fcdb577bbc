import OpenAI from 'openai';
import { isDroppedConnection } from '../../dropped-connection.js';

/**
 * An SDK failure that a later try may not meet: no connection, a timeout, 408, 409, 429 or a 5xx.
 * It goes up as transient, and the answer runner retries the message (docs/reliability.md).
 */
export function isOutage(error: unknown): boolean {
  if (error instanceof OpenAI.APIConnectionError) return true;
  if (error instanceof OpenAI.APIError) return [408, 409, 429].includes(error.status ?? 0) || (error.status ?? 0) >= 500;
  return isDroppedConnection(error);
}
