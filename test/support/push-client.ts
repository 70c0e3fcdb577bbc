/** The push API as a script calls it: real HTTP to the app. */
export const API_TOKEN = 'push-api-token-for-tests-0001';

export interface PushAnswer {
  status: number;
  body: Record<string, unknown>;
}

export async function postPush(
  baseUrl: string,
  body: unknown,
  options: { token?: string | null; contentType?: string } = {},
): Promise<PushAnswer> {
  const token = options.token === undefined ? API_TOKEN : options.token;
  const response = await fetch(`${baseUrl}/api/messages`, {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/json',
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export async function pushStatus(baseUrl: string, id: string): Promise<PushAnswer> {
  const response = await fetch(`${baseUrl}/api/messages/${id}`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
