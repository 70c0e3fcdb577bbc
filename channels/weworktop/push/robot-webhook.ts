import { createHash } from 'node:crypto';
import type { AxiosInstance } from 'axios';
import type { DeliveredParts } from '../../../src/channel.js';
import { learnSecret } from '../../../src/learned-secrets.js';
import type { PushContent } from '../../../src/push/push-message.js';
import { SendPacer } from '../app/app-replier.js';
import { WeComApiError } from '../wecom/api-error.js';
import { wecomJson } from '../wecom/http-client.js';
import { splitUtf8 } from '../wecom/text.js';

/** A group robot's (群机器人) limits: https://developer.work.weixin.qq.com/document/path/91770 */
const TEXT_BYTES = 2048;
const MARKDOWN_BYTES = 4096;
const IMAGE_BYTES = 2 * 1024 * 1024;
const PER_MINUTE = 20;

/** The robot's send URL: a key goes to api_base's /cgi-bin/webhook/send. */
export function robotUrl(robot: string, apiBase: string): string {
  const url = /^https?:\/\//.test(robot) ? robot : `${apiBase.replace(/\/$/, '')}/cgi-bin/webhook/send?key=${encodeURIComponent(robot)}`;
  learnSecret(`wecom-robot:${robot}`, new URL(url).searchParams.get('key') ?? robot);
  return url;
}

/** Group robots: POST /cgi-bin/webhook/send?key=…, split to their limits, under 20 messages a minute each. */
export class RobotWebhooks {
  constructor(
    private readonly robots: Record<string, string>,
    private readonly apiBase: string,
    private readonly http: AxiosInstance,
    private readonly loadImage: (image: Extract<PushContent, { image: unknown }>['image'], maxBytes: number) => Promise<Buffer>,
    /** Each robot's 20 a minute (a clock of its own in tests). */
    private readonly pacer = new SendPacer({ maxPerWindow: PER_MINUTE, windowMs: 60_000 }),
  ) {}

  async push(name: string, content: PushContent, parts: DeliveredParts): Promise<void> {
    const robot = this.robots[name];
    if (robot === undefined) throw new WeComApiError('webhook/send', 93000, `no group robot named "${name}" in weworktop.webhooks`);
    const url = robotUrl(robot, this.apiBase);
    if ('image' in content) {
      if (parts.alreadySent()) return;
      const data = await this.loadImage(content.image, IMAGE_BYTES);
      await this.send(name, url, {
        msgtype: 'image',
        image: { base64: data.toString('base64'), md5: createHash('md5').update(data).digest('hex') },
      });
      return parts.sent();
    }
    const [msgtype, text, limit] =
      'text' in content ? (['text', content.text, TEXT_BYTES] as const) : (['markdown', content.markdown, MARKDOWN_BYTES] as const);
    for (const part of splitUtf8(text, limit)) {
      if (parts.alreadySent()) continue;
      await this.send(name, url, { msgtype, [msgtype]: { content: part } });
      parts.sent();
    }
  }

  private async send(name: string, url: string, body: Record<string, unknown>): Promise<void> {
    await this.pacer.acquire(name);
    let answer: { errcode: number; errmsg?: string };
    try {
      answer = wecomJson('webhook/send', await this.http.post(url, body));
    } catch (error) {
      if (error instanceof WeComApiError) throw error;
      throw new WeComApiError('webhook/send', -1, `network: ${(error as Error).message}`);
    }
    if (answer.errcode !== 0) throw new WeComApiError('webhook/send', answer.errcode, answer.errmsg ?? '');
  }
}
