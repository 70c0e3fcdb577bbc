import { WeComCrypto } from '../channels/weworktop/wecom/crypto.js';
import { parseEnvelope } from '../channels/weworktop/wecom/xml.js';
import { WeComAppClient } from '../fakes/wecom-client.js';
import type { ChatEntry, ChatLog, RawPayload } from './chat-log.js';
import type { DemoCredentials } from './demo-config.js';

/** How the page labels a callback's request line and encrypted body. */
export interface CallbackLabels {
  request: string;
  body: string;
}

/**
 * Posts callbacks to the app's URL encrypted and signed exactly as WeCom does, and shows both
 * sides on the page: the request, the body, what it decrypts to, and the app's answer.
 */
export class AppCallbackPoster {
  private readonly client: WeComAppClient;
  /** Decrypts what the client encrypted, to show both sides on the page. */
  private readonly crypto: WeComCrypto;

  constructor(
    callbackUrl: string,
    credentials: DemoCredentials,
    private readonly log: ChatLog,
  ) {
    this.client = new WeComAppClient({
      url: callbackUrl,
      token: credentials.token,
      encodingAesKey: credentials.aesKey,
      corpId: credentials.corpId,
      agentId: credentials.agentId,
    });
    this.crypto = new WeComCrypto({ token: credentials.token, encodingAesKey: credentials.aesKey, receiveId: credentials.corpId });
  }

  async post(entry: ChatEntry, fields: Record<string, string>, labels: CallbackLabels): Promise<void> {
    const { log } = this;
    const { url, body } = this.client.encode(fields);
    const request = new URL(url);
    const raw: RawPayload[] = [
      { label: labels.request, content: `POST ${request.pathname}${request.search}` },
      { label: labels.body, content: body },
      { label: 'Encrypt, decrypted', content: this.crypto.decrypt(parseEnvelope(body).encrypt) },
    ];
    try {
      const response = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'text/xml' } });
      const answer = await response.text();
      log.update(entry, {
        raw: [
          ...raw,
          { label: 'answer', content: `HTTP ${response.status}${answer ? `\n${answer}` : ' (empty body: the acknowledgement)'}` },
        ],
      });
      if (response.status !== 200) log.note(entry.chat, `the callback was refused: HTTP ${response.status} ${answer}`);
    } catch (error) {
      log.update(entry, { raw });
      log.note(entry.chat, `the callback could not be sent: ${(error as Error).message}`);
    }
  }
}
