import type { FastifyInstance } from 'fastify';
import type { PendingMessage, Receiver, ReceiverContext } from '../../src/channel.js';
import type { Logger } from '../../src/logger.js';
import { AiBotReceiver } from './aibot/aibot-receiver.js';
import { AiBotWsReceiver } from './aibot-ws/ws-receiver.js';
import { AppReceiver } from './app/app-receiver.js';
import { appsOf, checkAiBotKeys, type WeworktopConfig, wsBotsOf } from './config.js';
import { consoleHint } from './console-hint.js';
import type { KfReceiver } from './kf/kf-receiver.js';

/**
 * `channel_type: "weworktop"`, its receiving half: the callback routes of the WeCom self-built
 * apps (自建应用, private chats), one or more per process, and of the AI bot (智能机器人, group
 * chats), or the AI bots' long connections. Everything here is fast and in memory or the inbox;
 * answers are written and sent by the replier (replier.ts) on the answer worker.
 */
export class WeworktopReceiver implements Receiver {
  readonly name = 'weworktop';
  private readonly section: WeworktopConfig;
  private readonly apps: AppReceiver;
  private readonly aibot: AiBotReceiver | undefined;
  private readonly aibotWs: AiBotWsReceiver | undefined;
  private readonly log: Logger;

  constructor(
    private readonly context: ReceiverContext,
    /** 微信客服 (weworktop.kf), when on. */
    private readonly kf?: KfReceiver,
  ) {
    this.section = context.config.weworktop as WeworktopConfig;
    this.log = context.logger.child({ module: 'weworktop' });
    this.apps = new AppReceiver(context, this.section, appsOf(this.section), kf);
    const shared = {
      groupNames: this.section.group_names,
      welcomeMessage: this.section.welcome_message,
      intake: context.intake,
      rules: context.rules,
      link: context.link,
      logger: this.log,
    };
    this.aibot = checkAiBotKeys(this.section.bot)
      ? new AiBotReceiver({
          ...shared,
          config: this.section.bot,
          maxClockSkew: this.section.max_clock_skew,
          ...(context.shared ? { shared: context.shared } : {}),
        })
      : undefined;
    const wsBots = wsBotsOf(this.section);
    this.aibotWs =
      wsBots.length > 0
        ? new AiBotWsReceiver({
            ...shared,
            bots: wsBots,
            metrics: context.metrics,
            ...(context.exclusive ? { exclusive: context.exclusive } : {}),
          })
        : undefined;
  }

  routes(server: FastifyInstance): void {
    this.apps.routes(server);
    this.aibot?.routes(server);
  }

  resume(pending: readonly PendingMessage[]): void {
    this.aibot?.resume(pending);
  }

  async start({ port }: { port: number }): Promise<void> {
    const appSection = appsOf(this.section);
    const paths = [...this.apps.paths, ...(this.aibot ? [this.aibot.path] : [])];
    if (paths.length > 0) {
      this.log.info(`weworktop: serving ${paths.join(',')} agents=${appSection.map((app) => app.agent_id).join(',')}`);
      this.log.info(
        consoleHint({
          port,
          apps: appSection,
          cowPath: this.section.cow_callback_path,
          botPath: this.aibot?.path,
          configFile: this.context.configFile,
          publicUrl: this.context.config.public_url,
        }),
      );
    }
    if (this.aibotWs)
      this.log.info(
        {
          bots: wsBotsOf(this.section)
            .map((bot) => bot.bot_id)
            .join(','),
        },
        'weworktop: AI bot over its long connection (no callback URL needed); connecting',
      );
    this.aibotWs?.start();
    // In the background: listing the accounts and the catch-up pulls never hold up the start.
    void this.kf
      ?.start()
      .catch((error: Error) => this.log.error({ err: error.message }, '微信客服: starting the pulls failed; callbacks start them'));
  }

  async stop(): Promise<void> {
    this.aibot?.stop();
    await this.kf?.stop();
  }

  /**
   * The long connections close after the answers drained: the answers in flight go out on them,
   * and what WeCom pushes meanwhile is stored and answered after the restart.
   */
  async close(): Promise<void> {
    await this.aibotWs?.stop();
  }

  async ready(): Promise<{ ok: boolean; reason?: string }> {
    return this.aibotWs?.ready() ?? { ok: true };
  }
}
