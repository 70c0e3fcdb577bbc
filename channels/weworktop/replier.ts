import type { BurstMerging, ChannelCapabilities, DeliveredParts, Replier, ReplierContext, ReplyContext } from '../../src/channel.js';
import { createAmrEncoder } from '../../src/media/audio-codec.js';
import type { NormalizedMessage } from '../../src/message.js';
import type { PushImage, PushMessage } from '../../src/push/push-message.js';
import type { Reply } from '../../src/reply.js';
import type { AiBotMessageRaw } from './aibot/aibot-message.js';
import { AiBotReplier } from './aibot/aibot-replier.js';
import type { AiBotWsMessageRaw } from './aibot-ws/ws-message.js';
import { AiBotWsReplier } from './aibot-ws/ws-replier.js';
import type { AppMessageRaw } from './app/app-message.js';
import { AppReplier } from './app/app-replier.js';
import { appsOf, checkAiBotKeys, type WeworktopConfig, wsBotsOf } from './config.js';
import type { KfMessageRaw } from './kf/kf-message.js';
import { KfReplier } from './kf/kf-replier.js';
import { pushThroughApp } from './push/app-push.js';
import { loadPushImage } from './push/push-image.js';
import { RobotWebhooks } from './push/robot-webhook.js';
import { createWeComHttp } from './wecom/http-client.js';

/** Self-built apps send text, markdown, images, voice and files through message/send. */
const APP_CAPABILITIES: ChannelCapabilities = { voice: true, image: true, file: true, streaming: false };
/** The AI bot answers in streams of markdown and images; it cannot send voice or files. */
const AIBOT_CAPABILITIES: ChannelCapabilities = { voice: false, image: true, file: false, streaming: true };
/** On its long connection the AI bot uploads media itself: images and files too. */
const AIBOT_WS_CAPABILITIES: ChannelCapabilities = { voice: false, image: true, file: true, streaming: true };
/** 微信客服 sends text, images, voice (AMR) and files through kf/send_msg. */
const KF_CAPABILITIES: ChannelCapabilities = { voice: true, image: true, file: true, streaming: false };

type StoredRaw = AppMessageRaw | AiBotMessageRaw | AiBotWsMessageRaw | KfMessageRaw;

/** Every stored message names the room it came through: the replier answers it through the same. */
const routeOf = (message: NormalizedMessage): StoredRaw['route'] => (message.raw as StoredRaw).route;

const CAPABILITIES: Record<StoredRaw['route'], ChannelCapabilities> = {
  app: APP_CAPABILITIES,
  aibot: AIBOT_CAPABILITIES,
  'aibot-ws': AIBOT_WS_CAPABILITIES,
  kf: KF_CAPABILITIES,
};

/**
 * `channel_type: "weworktop"`, its answering half (on the answer worker): each message goes back
 * the way it came, through its app (message/send), the AI bot's callback route (stream,
 * response_url) or its long connection. Messages come here as their stored form and are rebuilt
 * with media loaders.
 */
export class WeworktopReplier implements Replier {
  readonly name = 'weworktop';
  readonly apps: AppReplier;
  readonly bursts?: BurstMerging;
  private readonly aibot: AiBotReplier | undefined;
  private readonly aibotWs: AiBotWsReplier | undefined;
  private readonly kf: KfReplier | undefined;
  private readonly robots: RobotWebhooks;
  private readonly loadImage: (image: PushImage, maxBytes: number) => Promise<Buffer>;

  constructor(context: ReplierContext) {
    const section = context.config.weworktop as WeworktopConfig;
    const apps = appsOf(section);
    this.apps = new AppReplier(context, section, apps);
    const http = () => createWeComHttp({ timeoutMs: section.api_timeout * 1000, proxy: section.proxy });
    this.loadImage = (image, maxBytes) => loadPushImage(image, maxBytes, { timeoutMs: section.api_timeout * 1000, proxy: section.proxy });
    this.robots = new RobotWebhooks(section.webhooks, section.api_base, http(), this.loadImage);
    const logger = context.logger.child({ module: 'weworktop' });
    this.aibot = checkAiBotKeys(section.bot)
      ? new AiBotReplier({ config: section.bot, groupNames: section.group_names, link: context.link, http: http(), logger })
      : undefined;
    const wsBots = wsBotsOf(section);
    this.aibotWs =
      wsBots.length > 0
        ? new AiBotWsReplier({
            bots: wsBots,
            groupNames: section.group_names,
            link: context.link,
            http: http(),
            logger,
            // Bot first, app fallback: a DM the bot cannot deliver reaches the user through the app.
            appFallback: apps.length > 0 ? (reply, userId) => this.apps.sendToUser(reply, userId) : undefined,
          })
        : undefined;
    this.kf = section.kf.enabled
      ? new KfReplier({
          config: section.kf,
          client: this.apps.apiOf(String(section.agent_id)),
          link: context.link,
          logger: context.logger,
          encodeVoice: createAmrEncoder(context.config.ffmpeg_path),
        })
      : undefined;
    if (this.kf) this.bursts = this.kf.bursts;
  }

  capabilitiesFor(message: NormalizedMessage): ChannelCapabilities {
    return CAPABILITIES[routeOf(message)];
  }

  revive(raw: unknown): NormalizedMessage | undefined {
    const stored = raw as StoredRaw | null;
    if (stored?.route === 'aibot') return this.aibot?.revive(stored);
    if (stored?.route === 'aibot-ws') return this.aibotWs?.revive(stored);
    if (stored?.route === 'kf') return this.kf?.revive(stored);
    return stored?.route === 'app' ? this.apps.revive(stored) : undefined;
  }

  async prepare(message: NormalizedMessage): Promise<'skip' | undefined> {
    const raw = message.raw as StoredRaw;
    if (raw.route === 'app') await this.apps.prepare(raw);
    if (raw.route === 'kf' && this.kf) return this.kf.prepare(message);
    return undefined;
  }

  begin(
    message: NormalizedMessage,
    job: { replayed: boolean; receivedAt: number; attempts: number },
  ): { onPartial?: (text: string) => void } {
    const route = routeOf(message);
    if (route === 'aibot-ws') return this.aibotWs?.begin(message, job) ?? {};
    if (route === 'kf') this.kf?.begin(message, job);
    return route === 'aibot' && this.aibot ? this.aibot.begin(message, job) : {};
  }

  end(message: NormalizedMessage, result: 'answered' | 'given-up'): 'delivered' | 'receiver' {
    const route = routeOf(message);
    if (route === 'aibot-ws') return this.aibotWs?.end(message) ?? 'delivered';
    return route === 'aibot' && this.aibot ? this.aibot.end(message, result) : 'delivered';
  }

  async send(reply: Reply, context: ReplyContext): Promise<void> {
    const raw = context.message.raw as StoredRaw;
    if (raw.route === 'app') return this.apps.send(reply, raw, context.message.senderId, context.parts);
    if (raw.route === 'aibot-ws') {
      if (!this.aibotWs) throw new Error(`AI bot ${raw.bot} reply without that bot configured`);
      return this.aibotWs.deliver(reply, context);
    }
    if (raw.route === 'kf') {
      if (!this.kf) throw new Error('微信客服 reply while weworktop.kf.enabled is false');
      return this.kf.send(reply, context.message, context.parts);
    }
    if (!this.aibot) throw new Error('AI bot reply without an AI bot configured');
    return this.aibot.deliver(reply, context);
  }

  /** The push API: through an app (users, departments, tags), a group robot, or the AI bot's long connection. */
  async push(message: PushMessage, parts: DeliveredParts): Promise<void> {
    const { to, content } = message;
    if ('webhook' in to) return this.robots.push(to.webhook, content, parts);
    if ('chat' in to) {
      if (!this.aibotWs) throw new Error('the AI bot cannot send first without its long connection');
      return this.aibotWs.push(to.chat, message.botId, content, parts, this.loadImage);
    }
    return pushThroughApp({ ...this.apps.pushVia(message.agentId), loadImage: this.loadImage }, to, content, parts);
  }

  async notify(raw: unknown, text: string): Promise<void> {
    const stored = raw as StoredRaw;
    if (stored.route === 'aibot') return this.aibot?.notify(stored.callback, text);
    if (stored.route === 'aibot-ws') return this.aibotWs?.notify(stored, text);
    if (stored.route === 'kf') return this.kf?.notify(stored, text);
    await this.apps.notify(stored, text);
  }

  ready(): Promise<{ ok: boolean; reason?: string }> {
    return this.apps.ready();
  }

  async close(): Promise<void> {
    this.apps.close();
    this.aibot?.close();
    this.aibotWs?.close();
  }
}
