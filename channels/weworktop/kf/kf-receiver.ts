import type { ReceiverContext } from '../../../src/channel.js';
import type { Logger } from '../../../src/logger.js';
import { OncePerWindow } from '../../../src/once-per-window.js';
import type { WeworktopConfig } from '../config.js';
import { WeComApiClient } from '../wecom/api-client.js';
import { KfApi } from './kf-api.js';
import type { KfConfig } from './kf-config.js';
import { KfNicknames } from './kf-nicknames.js';
import { KfPageIntake } from './kf-page-intake.js';
import { KfPuller } from './kf-puller.js';
import { type KfStore, MemoryKfStore } from './kf-store.js';
import { SharedKfStore } from './shared-kf-store.js';
import { SqliteKfStore } from './sqlite-kf-store.js';

/**
 * 微信客服's receiving half, on the main thread: the kf events of the app's callback, and the
 * puller they wake. The pulling runs here, beside the intake and the inbox: a page's messages are
 * stored (intake.submit) and its cursor saved by one thread, in that order, and a pull survives
 * the answer worker being replaced. It costs a second access-token cache for the primary app (WeCom
 * hands out the same token while it is valid) and its API client on this thread; every call is
 * asynchronous, made after the callback was acknowledged, so no ack waits on WeCom.
 */
export class KfReceiver {
  private readonly api: WeComApiClient;
  private readonly kfApi: KfApi;
  private readonly store: KfStore;
  private readonly puller: KfPuller;
  private readonly log: Logger;
  private readonly config: KfConfig;
  /** Accounts this app may not manage, or not configured: each said once an hour. */
  private readonly refused = new OncePerWindow(60 * 60 * 1000, 1000);
  private stopped = false;

  constructor(context: ReceiverContext, section: WeworktopConfig) {
    this.config = section.kf;
    this.log = context.logger.child({ module: 'kf' });
    this.api = new WeComApiClient({
      apiBase: section.api_base,
      corpId: section.corp_id,
      agentId: String(section.agent_id),
      secret: section.corp_secret,
      proxy: section.proxy,
      timeoutMs: section.api_timeout * 1000,
      retries: section.api_retries,
      retryBaseDelayMs: section.api_retry_delay_ms,
      logger: context.logger,
    });
    this.kfApi = new KfApi(this.api);
    this.store = context.shared
      ? new SharedKfStore(context.shared)
      : context.config.inbox_store === 'sqlite'
        ? new SqliteKfStore(context.dataDir, context.config.data_dir)
        : new MemoryKfStore();
    const pages = new KfPageIntake({
      intake: context.intake,
      rules: context.rules,
      link: context.link,
      nicknames: new KfNicknames(this.kfApi, this.log),
      welcomeMessage: this.config.welcome_message,
      logger: this.log,
    });
    this.puller = new KfPuller({
      api: this.kfApi,
      store: this.store,
      takePage: (account, messages) => pages.take(account, messages),
      logger: this.log,
      // A pull that met an outage waits as a message would (retry_delay_ms, doubling).
      retryDelayMs: context.config.retry_delay_ms,
      ...(context.turns ? { turns: context.turns } : {}),
    });
  }

  /**
   * Inside the callback, before its ack: what is needed to pull is stored (the account and the
   * callback's token, so a crash right after the ack is pulled at the next start), and the pull is
   * asked for, never awaited. A store that fails throws: no ack, WeCom retries.
   */
  async accept(fields: Record<string, string>): Promise<void> {
    if (fields.Event === 'kf_account_auth_change') {
      this.log.info(
        { added: fields.AuthAddOpenKfId ?? '', removed: fields.AuthDelOpenKfId ?? '' },
        '微信客服: the accounts this app manages changed',
      );
      if (fields.AuthAddOpenKfId && this.serves(fields.AuthAddOpenKfId)) this.pull(fields.AuthAddOpenKfId);
      return;
    }
    const token = fields.Token ? { token: fields.Token, at: Date.now() } : undefined;
    // The oldest form of the callback named no account: every account served is pulled.
    const accounts = fields.OpenKfId ? [fields.OpenKfId] : await this.store.accounts();
    for (const account of accounts) {
      if (!this.serves(account)) continue;
      if (token) await this.store.saveToken(account, token);
      this.pull(account);
    }
  }

  /**
   * Once listening: the accounts WeCom says the app may manage (kf/account/list), checked against
   * `accounts`, and one pull each, for what came while the app was down.
   */
  async start(): Promise<void> {
    // The first start with kf on: what was sent before is WeCom's backlog.
    await this.store.enabledAt(Date.now());
    const listed = await this.kfApi.accounts().catch((error: unknown) => {
      this.log.warn(
        { err: (error as Error).message },
        '微信客服: kf/account/list failed; serving the accounts configured or named by callbacks',
      );
      return undefined;
    });
    const manageable = listed?.filter((account) => account.manage_privilege).map((account) => account.open_kfid);
    for (const account of this.config.accounts) {
      if (manageable && !manageable.includes(account))
        this.log.error(
          { account },
          '微信客服: weworktop.kf.accounts names an account this app may not manage (微信客服 → API → 通过API管理会话消息 → 可管理的客服账号); it is not served',
        );
    }
    const serve =
      this.config.accounts.length > 0
        ? this.config.accounts.filter((account) => !manageable || manageable.includes(account))
        : (manageable ?? []);
    this.log.info({ accounts: serve.join(',') || 'none yet (any account a callback names)' }, '微信客服: serving');
    const known = (await this.store.accounts()).filter((account) => this.serves(account));
    for (const account of new Set([...serve, ...known])) this.pull(account);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.puller.stop();
    this.api.close();
    this.store.close();
  }

  /** Resolves once no pull is running (tests, the simulator). */
  idle(): Promise<void> {
    return this.puller.idle();
  }

  private pull(account: string): void {
    // The account list may answer after the stop (the store is closed then).
    if (this.stopped) return;
    Promise.resolve(this.store.remember(account)).catch((error: unknown) =>
      this.log.warn({ account, err: (error as Error).message }, '微信客服: the account not remembered; the next callback names it again'),
    );
    this.puller.request(account);
  }

  private serves(account: string): boolean {
    if (this.config.accounts.length === 0 || this.config.accounts.includes(account)) return true;
    if (this.refused.take(account))
      this.log.info({ account }, '微信客服: a callback for an account not in weworktop.kf.accounts; acknowledged, not pulled');
    return false;
  }
}
