import type { AxiosInstance } from 'axios';

export class ResponseUrlError extends Error {}

/**
 * The AI bot's proactive reply: one POST of plain JSON per response_url, valid for an hour
 * (spec §4c). In a group the reply quotes the user's message.
 */
export async function postToResponseUrl(http: AxiosInstance, url: string, body: object): Promise<void> {
  const response = await http.post(url, body, { headers: { 'content-type': 'application/json' } });
  const answer = response.data as { errcode?: number; errmsg?: string } | undefined;
  if (response.status >= 400) throw new ResponseUrlError(`response_url answered HTTP ${response.status}`);
  if (answer?.errcode) throw new ResponseUrlError(`response_url answered errcode ${answer.errcode}: ${answer.errmsg ?? ''}`);
}
