import type { FastifyInstance } from 'fastify';
import type { PendingMessage, Receiver, ReceiverContext } from '../../src/channel.js';
import type { Logger } from '../../src/logger.js';
import { AiBotReceiver } from './aibot/aibot-receiver.js';
import { AppReceiver } from './app/app-receiver.js';
import { appsOf, checkAiBotKeys, type WeworktopConfig } from './config.js';
import { consoleHint } from './console-hint.js';

/**
 * `channel_type: "weworktop"`, its receiving half: the callback routes of the WeCom self-built
 * apps (自建应用, private chats), one or more per process, and of the AI bot (智能机器人, group
 * chats). Everything here is fast and in memory or the inbox; answers are written and sent by
 * the replier (replier.ts) on the answer worker.
 */
export class WeworktopReceiver implements Receiver {
  readonly name = 'weworktop';
  private readonly section: WeworktopConfig;
  private readonly apps: AppReceiver;
  private readonly aibot: AiBotReceiver | undefined;
  private readonly log: Logger;

  constructor(private readonly context: ReceiverContext) {
    this.section = context.config.weworktop as WeworktopConfig;
    this.log = context.logger.child({ module: 'weworktop' });
    this.apps = new AppReceiver(context, this.section, appsOf(this.section));
    this.aibot = checkAiBotKeys(this.section.bot)
      ? new AiBotReceiver({
          config: this.section.bot,
          groupNames: this.section.group_names,
          welcomeMessage: this.section.welcome_message,
          maxClockSkew: this.section.max_clock_skew,
          intake: context.intake,
          rules: context.rules,
          link: context.link,
          logger: this.log,
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
    this.log.info(`weworktop: serving ${[...this.apps.paths, ...(this.aibot ? [this.aibot.path] : [])].join(',')} agents=${appSection.map((app) => app.agent_id).join(',')}`);
    this.log.info(consoleHint({ port, apps: appSection, cowPath: this.section.cow_callback_path, botPath: this.aibot?.path, configFile: this.context.configFile, publicUrl: this.context.config.public_url }));
  }

  async stop(): Promise<void> {
    this.aibot?.stop();
  }
}
