import type { AxiosInstance, AxiosResponse } from 'axios';
import { bodyExcerpt } from '../../../src/body-excerpt.js';
import { learnSecret } from '../../../src/learned-secrets.js';
import { TRANSIENT_ERRCODES } from '../wecom/api-error.js';
import { isWeComAnswer, withoutSecrets } from '../wecom/http-client.js';

/** A response_url post that failed; `transient` ones (network, 5xx, an answer that is not WeCom's JSON) are worth retrying. */
export class ResponseUrlError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
    this.name = 'ResponseUrlError';
  }
}

/**
 * The AI bot's proactive reply: one POST of plain JSON per response_url, valid for an hour
 * (https://developer.work.weixin.qq.com/document/path/101138). In a group the reply quotes the user's message.
 * WeCom answers JSON with an errcode; anything else (a proxy's HTML page, broken JSON) is not a
 * delivery.
 */
export async function postToResponseUrl(http: AxiosInstance, url: string, body: object): Promise<void> {
  // The response_code is the URL's key: the loggers learn it, so an error that echoes it hides it.
  const code = responseCodeOf(url);
  if (code) learnSecret('aibot-response-code', code, 32);
  const quote = (data: unknown) => withoutSecrets(bodyExcerpt(data), [code]);
  let response: AxiosResponse;
  try {
    response = await http.post(url, body, { headers: { 'content-type': 'application/json' } });
  } catch (error) {
    throw new ResponseUrlError(`response_url: network: ${(error as Error).message}`, true);
  }
  if (response.status >= 400)
    throw new ResponseUrlError(
      `response_url answered HTTP ${response.status}: ${quote(response.data)}`,
      response.status >= 500 || response.status === 429,
    );
  const answer: unknown = response.data;
  if (!isWeComAnswer(answer)) {
    throw new ResponseUrlError(
      `response_url answered HTTP ${response.status} with what is not WeCom's JSON (${String(response.headers['content-type'] ?? 'no content type')}): ${quote(answer)}`,
      true,
    );
  }
  if (answer.errcode !== 0)
    throw new ResponseUrlError(
      `response_url answered errcode ${answer.errcode}: ${withoutSecrets(answer.errmsg ?? '', [code])}`,
      TRANSIENT_ERRCODES.has(answer.errcode),
    );
}

function responseCodeOf(url: string): string | undefined {
  try {
    return new URL(url).searchParams.get('response_code') ?? undefined;
  } catch {
    return undefined;
  }
}
