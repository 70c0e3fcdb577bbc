import { type FakeOpenAI, startFakeOpenAI } from '../../fakes/fake-openai.js';
import { type FakeWeCom, startFakeWeCom } from '../../fakes/fake-wecom.js';
import { AGENT_ID, CORP_ID, SECRET, startWeworktop, type WeworktopHarness } from './weworktop-harness.js';

/** The 客服账号 of the tests. */
export const KF = 'wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q';

export interface KfHarness extends WeworktopHarness {
  /** A customer's text: into the fake's log, then the callback WeCom sends for it. Its msgid. */
  say(customer: string, text: string): Promise<string>;
  /** kf_msg_or_event for the account, with a fresh token (as WeCom sends after any new message or event). */
  callback(token?: string): Promise<{ status: number; body: string }>;
  /** Log lines containing `text`. */
  lines(text: string | RegExp): string[];
  /** Stops the app; the fakes stay up (for a restart). */
  stopApp(): Promise<void>;
  /** Stops the app and the fakes. */
  stop(): Promise<void>;
}

export interface KfHarnessOptions {
  /** Keys of weworktop.kf over { enabled: true, merge_window_ms: 0 }. */
  kf?: Record<string, unknown>;
  config?: Record<string, unknown>;
  /** Running fakes and data_dir of an earlier start: a restart. */
  wecom?: FakeWeCom;
  openai?: FakeOpenAI;
  dataDir?: string;
}

/** The real app with 微信客服 on, against the fake WeCom (one 客服账号, KF) and the fake OpenAI. */
export async function startKf(options: KfHarnessOptions = {}): Promise<KfHarness> {
  const wecom = options.wecom ?? (await startFakeWeCom({ corpId: CORP_ID, apps: [{ agentId: AGENT_ID, secret: SECRET }] }));
  if (!options.wecom) wecom.kf.addAccount(KF, { name: '在线客服' });
  const openai = options.openai ?? (await startFakeOpenAI());
  const harness = await startWeworktop({
    wecom,
    openai,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    config: { retry_delay_ms: 50, ...options.config },
    weworktop: { kf: { enabled: true, merge_window_ms: 0, ...options.kf } },
  });
  const callback = (token = wecom.kf.callbackToken(KF)) => harness.client.kfEvent(token, KF);
  return {
    ...harness,
    async say(customer, text) {
      const msgid = wecom.kf.customerSays(KF, customer, text);
      await callback();
      return msgid;
    },
    callback,
    lines: (text) => harness.logs.filter((line) => (typeof text === 'string' ? line.includes(text) : text.test(line))),
    stopApp: () => harness.app.stop(),
    async stop() {
      await harness.app.stop();
      await wecom.close();
      await openai.close();
    },
  };
}
