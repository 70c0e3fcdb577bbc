import OpenAI from 'openai';
import { safeUrl } from '../../config/cow-providers.js';
import { UserFacingError } from '../../user-facing-error.js';

/** A base URL without a version segment (/v1, /v4, /v1beta...), which most OpenAI-compatible servers need. */
const VERSIONED = /\/v\d+[a-z0-9]*(\/|$)/i;

/** An HTTP 404 from an OpenAI-compatible server. */
export function isNotFound(error: unknown): error is InstanceType<typeof OpenAI.APIError> {
  return error instanceof OpenAI.APIError && error.status === 404;
}

/**
 * For the log line of a 404: the URL called (never a key or query string) and, when
 * open_ai_api_base has no version segment, that this is the likely cause.
 */
export function notFoundAt(baseURL: string, path: string): { text: string; versionMissing: boolean } {
  const base = safeUrl(baseURL);
  const versionMissing = !VERSIONED.test(new URL(baseURL).pathname);
  const hint = versionMissing
    ? `; open_ai_api_base ${base} has no /v1 at its end, which most OpenAI-compatible servers need (try ${base}/v1)`
    : '';
  return { text: `POST ${base}${path} answered 404${hint}`, versionMissing };
}

/** Whether a 404 says the model is unknown (OpenAI's code, or the words of compatible servers). */
export function isUnknownModel(error: InstanceType<typeof OpenAI.APIError>): boolean {
  return error.code === 'model_not_found' || /model/i.test(error.message);
}

/**
 * A feature the server does not offer (a 404 from its endpoint): no retry, the user hears it in
 * one sentence, the log names the URL and the key that turns the feature off.
 */
export class EndpointMissing extends UserFacingError {
  constructor(
    userMessage: string,
    readonly explanation: string,
    cause: unknown,
  ) {
    super(userMessage, { cause });
    this.name = 'EndpointMissing';
  }
}

/** An EndpointMissing for a 404 from `path`, or undefined for any other failure. */
export function endpointMissing(
  error: unknown,
  call: { baseURL: string; path: string; what: string; turnOff: string; userMessage: string },
): EndpointMissing | undefined {
  if (!isNotFound(error)) return undefined;
  const at = notFoundAt(call.baseURL, call.path);
  const meaning = at.versionMissing ? '' : `: this server has no ${call.what}; ${call.turnOff}`;
  return new EndpointMissing(call.userMessage, `${at.text}${meaning}`, error);
}
