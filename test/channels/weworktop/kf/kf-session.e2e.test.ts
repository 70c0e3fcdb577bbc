import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KF, startKf } from '../../../support/kf-harness.js';
import { eventually } from '../../../support/weworktop-harness.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('微信客服: sessions, welcome and human hand-over', () => {
  test('enter_session with a welcome_code: welcome_message through send_msg_on_event at once, no LLM', async () => {
    const kf = await startKf({ kf: { welcome_message: '您好，我是智能客服，请问有什么可以帮您？' } });
    try {
      kf.wecom.kf.enterSession(KF, 'wmAlice');
      kf.wecom.kf.enterSession(KF, 'wmBob', { welcome: false });
      await kf.callback();
      await eventually(() => assert.equal(kf.wecom.kf.eventSends.length, 1, 'one welcome'), 5000);
      assert.deepEqual(
        kf.wecom.kf.eventSends.map(({ purpose, touser, content }) => ({ purpose, touser, content })),
        [{ purpose: 'welcome', touser: 'wmAlice', content: '您好，我是智能客服，请问有什么可以帮您？' }],
      );
      await pause(200);
      assert.equal(kf.openai.chatRequests().length, 0, 'the welcome asks no LLM');
      assert.equal(kf.wecom.kf.sent.length, 0, 'nor goes through send_msg (no window before the customer writes)');
    } finally {
      await kf.stop();
    }
  });

  test('a servicer who writes silences the bot for that customer until the session ends; others are answered meanwhile', async () => {
    const kf = await startKf();
    try {
      await kf.say('wmAlice', '你好');
      await kf.wecom.waitForKfSent(1, 5000);
      kf.wecom.kf.servicerSays(KF, 'wmAlice', 'zhangsan', '您好，我是客服张三');
      await kf.callback();
      await kf.say('wmAlice', '张三你好，我的订单呢');
      await kf.say('wmBob', '在吗');
      await kf.wecom.waitForKfSent(2, 5000);
      await eventually(() => assert.equal(kf.lines("the session is not the bot's").length, 1, 'the silence is logged once'), 5000);
      assert.deepEqual(
        kf.wecom.kf.sent.map((message) => message.touser),
        ['wmAlice', 'wmBob'],
      );
      assert.equal(kf.openai.chatRequests().length, 2, 'the LLM is not asked for a customer a human serves');
      kf.wecom.kf.endSession(KF, 'wmAlice');
      await kf.callback();
      await kf.say('wmAlice', '还有一个问题');
      await kf.wecom.waitForKfSent(3, 5000);
      assert.equal(
        (kf.wecom.kf.sent[2]!.body.text as { content: string }).content,
        'echo: 还有一个问题',
        'the bot is back once the session ended',
      );
    } finally {
      await kf.stop();
    }
  });

  test('a hand-over keyword moves the session to the pool and tells the customer; the bot then stays silent', async () => {
    const kf = await startKf({ kf: { handoff_message: '正在为您转接人工客服，请稍候。' } });
    try {
      await kf.say('wmAlice', ' 转人工 ');
      await eventually(() => assert.equal(kf.wecom.kf.eventSends.length, 1, 'the notice'), 5000);
      assert.deepEqual(kf.wecom.kf.transfers, [{ openKfid: KF, externalUserid: 'wmAlice', state: 2 }]);
      assert.deepEqual(
        kf.wecom.kf.eventSends.map(({ purpose, content }) => ({ purpose, content })),
        [{ purpose: 'pool', content: '正在为您转接人工客服，请稍候。' }],
      );
      await kf.say('wmAlice', '人呢？');
      await eventually(() => assert.equal(kf.lines("the session is not the bot's").length, 1, 'silent in the pool'), 5000);
      assert.equal(kf.openai.chatRequests().length, 0, 'neither message went to the LLM');
      assert.equal(kf.wecom.kf.sent.length, 0);
      // A servicer takes it, answers, and ends it: the bot answers again.
      kf.wecom.kf.takeOver(KF, 'wmAlice', 'lisi');
      kf.wecom.kf.servicerSays(KF, 'wmAlice', 'lisi', '您好');
      kf.wecom.kf.endSession(KF, 'wmAlice');
      await kf.callback();
      await kf.say('wmAlice', '谢谢');
      await kf.wecom.waitForKfSent(1, 5000);
      assert.equal((kf.wecom.kf.sent[0]!.body.text as { content: string }).content, 'echo: 谢谢');
    } finally {
      await kf.stop();
    }
  });

  test('an LLM that fails for good: the customer hears why, and the session goes to the humans', async () => {
    const kf = await startKf({ config: { max_attempts: 2 } });
    try {
      kf.openai.failNext(503, 2);
      await kf.say('wmAlice', '你好');
      await eventually(() => assert.equal(kf.wecom.kf.eventSends.length, 1, 'the hand-over notice'), 5000);
      assert.equal(kf.wecom.kf.sent.length, 1, 'the apology');
      assert.match((kf.wecom.kf.sent[0]!.body.text as { content: string }).content, /AI 服务/);
      assert.deepEqual(
        kf.wecom.kf.transfers.map(({ state }) => state),
        [2],
      );
      assert.equal(kf.lines(/handed to the servicers .*why=the bot could not answer/).length, 1, kf.logs.join(''));
    } finally {
      await kf.stop();
    }
  });

  test('95018 on send_msg: the answer stops, one log line, never retried, no apology', async () => {
    const kf = await startKf();
    try {
      kf.wecom.injectError('kf/send_msg', { errcode: 95018, errmsg: 'send msg session status invalid' });
      await kf.say('wmAlice', '你好');
      await eventually(() => assert.equal(kf.lines('95018').length, 1, 'logged once'), 5000);
      await pause(300);
      assert.equal(kf.wecom.callTimes('kf/send_msg').length, 1, 'tried once');
      assert.equal(kf.lines('will retry').length, 0, 'not retried');
      assert.equal(kf.lines('given up').length, 0, 'not given up with an apology');
      assert.equal(kf.openai.chatRequests().length, 1);
    } finally {
      await kf.stop();
    }
  });

  test("msg_send_fail is logged with its reason; the customer's nickname (kf/customer/batchget) is in the log", async () => {
    const kf = await startKf();
    try {
      kf.wecom.kf.addCustomer('wmAlice', '爱丽丝');
      await kf.say('wmAlice', '你好');
      await kf.wecom.waitForKfSent(1, 5000);
      assert.equal(kf.lines(/message received .*from=wmAlice nickname=爱丽丝/).length, 1, kf.logs.join(''));
      kf.wecom.kf.sendFailed(KF, 'wmAlice', kf.wecom.kf.sent[0]!.msgid, 10);
      await kf.callback();
      await eventually(
        () =>
          assert.equal(kf.lines(/WeCom could not deliver a reply: fail_type 10: the customer refuses messages/).length, 1, 'the failure'),
        5000,
      );
    } finally {
      await kf.stop();
    }
  });
});
