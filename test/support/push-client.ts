import { channelRegistry } from '../../channels/registry.js';
import { runSend } from '../../src/push/send-command.js';

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

/** `weworktop send --config FILE ...` in this process: its exit code and what it printed. */
export async function sendCommand(configFile: string, ...args: string[]): Promise<{ code: number; output: string }> {
  let output = '';
  const code = await runSend({
    channels: channelRegistry,
    argv: ['--config', configFile, ...args],
    env: {},
    print: (text) => (output += text),
  });
  return { code, output };
}
