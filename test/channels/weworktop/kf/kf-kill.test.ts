import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { startFakeOpenAI } from '../../../../fakes/fake-openai.js';
import { startFakeWeCom } from '../../../../fakes/fake-wecom.js';
import { appClient, appSection, startAppProcess, writeConfigFile } from '../../../support/app-process.js';
import { KF } from '../../../support/kf-harness.js';
import { AGENT_ID, CORP_ID, SECRET } from '../../../support/weworktop-harness.js';

const CUSTOMERS = ['wmA', 'wmB', 'wmC', 'wmD'];
/** Sent before the kill, and while the app is down: 5 in all, as WeCom takes 5 answers after a customer's last message. */
const BEFORE_KILL = 3;
const WHILE_DOWN = 2;
const PER_CUSTOMER = BEFORE_KILL + WHILE_DOWN;

describe('微信客服: kill -9 mid-flight', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  test('every customer message is answered once after a restart, in order per customer, none twice (a send in flight reuses its msgid)', async () => {
    const wecom = await startFakeWeCom({ corpId: CORP_ID, apps: [{ agentId: AGENT_ID, secret: SECRET }] });
    wecom.kf.addAccount(KF);
    const openai = await startFakeOpenAI();
    cleanup.push(
      () => wecom.close(),
      () => openai.close(),
    );
    openai.setLatency(200);
    const configPath = writeConfigFile(
      {
        open_ai_api_key: 'sk-test-openai-key-0001',
        open_ai_api_base: openai.url,
        max_retries: 0,
        concurrency: 4,
        log_level: 'info',
        weworktop: appSection(wecom.url, { kf: { enabled: true, merge_window_ms: 0 } }),
      },
      'weworktop-kf-kill-',
    );
    const say = (customer: string, i: number) =>
      wecom.kf.customerSays(KF, customer, `${customer}-${i}`, { sendTime: Math.floor(Date.now() / 1000) + i });

    const first = await startAppProcess(configPath);
    cleanup.push(() => void first.child.kill('SIGKILL'));
    const client = appClient(first);
    for (let i = 1; i <= BEFORE_KILL; i++) {
      for (const customer of CUSTOMERS) say(customer, i);
      assert.equal((await client.kfEvent(wecom.kf.callbackToken(KF), KF)).status, 200);
    }
    await wecom.waitForKfSent(3, 10_000);
    first.child.kill('SIGKILL');
    await first.exited();
    const beforeKill = wecom.kf.sent.length;
    assert.ok(beforeKill < CUSTOMERS.length * PER_CUSTOMER, 'the kill came while answers were still due');
    // While the app is down the customers go on writing; WeCom's callbacks fail.
    for (let i = BEFORE_KILL + 1; i <= PER_CUSTOMER; i++) for (const customer of CUSTOMERS) say(customer, i);

    openai.setLatency(0);
    const second = await startAppProcess(configPath);
    cleanup.push(async () => {
      second.child.kill('SIGTERM');
      await second.exited();
    });
    await wecom.waitForKfSent(CUSTOMERS.length * PER_CUSTOMER, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500));

    const replies = wecom.kf.sent.map((message) => (message.body.text as { content: string }).content);
    for (const customer of CUSTOMERS) {
      const expected = Array.from({ length: PER_CUSTOMER }, (_, i) => `echo: ${customer}-${i + 1}`);
      assert.deepEqual(
        replies.filter((text) => text.startsWith(`echo: ${customer}-`)),
        expected,
        `${customer}: every message answered once, in order`,
      );
    }
    assert.equal(replies.length, CUSTOMERS.length * PER_CUSTOMER, `nothing twice: ${second.output()}`);
  });
});
