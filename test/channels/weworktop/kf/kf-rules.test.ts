import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { channelRegistry } from '../../../../channels/registry.js';
import { type KfMessageRaw, toKfMessage } from '../../../../channels/weworktop/kf/kf-message.js';
import { replyMsgid } from '../../../../channels/weworktop/kf/kf-msgid.js';
import { burstsOf } from '../../../../channels/weworktop/kf/kf-replier.js';
import { KfSendBudget, SEND_WINDOW_MS } from '../../../../channels/weworktop/kf/kf-send-budget.js';
import { planText } from '../../../../channels/weworktop/kf/kf-text.js';
import { SqliteKfStore } from '../../../../channels/weworktop/kf/sqlite-kf-store.js';
import { ConfigError } from '../../../../src/config/config-error.js';
import { loadConfig } from '../../../../src/config/load-config.js';
import { loadedByTheReplier } from '../../../../src/message.js';
import { AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN } from '../../../support/weworktop-harness.js';

const customerText = (text: string, sendTime: number, msgid = `m${sendTime}${text}`) =>
  toKfMessage(
    {
      route: 'kf',
      openKfid: 'wkA',
      externalUserid: 'wmAlice',
      msg: { msgid, send_time: sendTime, origin: 3, msgtype: 'text', text: { content: text } },
    } satisfies KfMessageRaw,
    loadedByTheReplier,
  );

describe('微信客服 rules', () => {
  test('planText: plain text in parts of at most 2048 bytes, at most 4, the same parts every time', () => {
    assert.deepEqual(planText('**你好**'), ['你好']);
    const long = planText('好'.repeat(4000));
    assert.equal(long.length, 4);
    assert.ok(long.every((part) => Buffer.byteLength(part) <= 2048));
    assert.match(long[3]!, /截断/);
    assert.deepEqual(planText('好'.repeat(4000)), long);
    assert.equal(planText('好'.repeat(1364)).length, 2, '1364 × 3 bytes: two parts of 682');
  });

  test('replyMsgid: at most 32 bytes of [0-9a-zA-Z_-], the same for a message and part, unique otherwise', () => {
    const ids = ['kf:a', 'kf:b'].flatMap((message) => [0, 1, 2, 'handoff'].map((part) => replyMsgid(message, part)));
    assert.ok(ids.every((id) => Buffer.byteLength(id) <= 32 && /^[0-9a-zA-Z_-]+$/.test(id)));
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(replyMsgid('kf:a', 1), ids[1]);
  });

  test('the send budget: 5 after the newest customer message, counted across answers, closed after 48 hours', () => {
    let now = 1_000_000;
    const budget = new KfSendBudget(10, () => now);
    budget.wrote('alice', 'm1', now);
    budget.wrote('alice', 'm2', now);
    const results = Array.from({ length: 6 }, () => budget.take('alice', { msgid: 'm1', atMs: now }));
    assert.deepEqual(results, ['ok', 'ok', 'ok', 'ok', 'ok', 'used up']);
    budget.wrote('alice', 'm2', now);
    assert.equal(budget.take('alice', { msgid: 'm2', atMs: now }), 'used up', 'news of the same message again is no new budget');
    budget.wrote('alice', 'm3', now + 1);
    assert.equal(budget.take('alice', { msgid: 'm3', atMs: now }), 'ok');
    budget.giveBack('alice');
    now += SEND_WINDOW_MS + 10;
    assert.equal(budget.take('alice', { msgid: 'm3', atMs: now }), 'window closed');
    assert.equal(
      budget.take('bob', { msgid: 'b1', atMs: now }),
      'ok',
      'a customer not heard of since the start is budgeted from the message answered',
    );
  });

  test('bursts: text sent within the window of the previous one continues it; the merge keeps the first id and every text', () => {
    const bursts = burstsOf(1500);
    const [a, b, c] = [customerText('你好', 100), customerText('在吗', 101), customerText('退货', 103)];
    assert.equal(bursts.windowMs(a), 1500);
    assert.equal(bursts.continues(a, b), true);
    assert.equal(bursts.continues(b, c), false, '2 s later');
    const merged = bursts.merge([a, b]);
    assert.equal(merged.id, a.id);
    assert.equal(merged.text, '你好\n在吗');
    assert.deepEqual((merged.raw as KfMessageRaw).burst, ['你好', '在吗']);
    const image = toKfMessage(
      {
        route: 'kf',
        openKfid: 'wkA',
        externalUserid: 'wmAlice',
        msg: { msgid: 'i', send_time: 101, origin: 3, msgtype: 'image', image: { media_id: 'x' } },
      },
      loadedByTheReplier,
    );
    assert.equal(bursts.continues(a, image), false, 'only text merges');
    assert.equal(burstsOf(0).windowMs(a), 0);
  });

  test('the SQLite store keeps cursors, tokens and when kf was first enabled across a reopen', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kf-store-'));
    const store = new SqliteKfStore(dir, dir);
    assert.equal(store.enabledAt(1000), 1000);
    assert.equal(store.cursor('wkA'), undefined);
    store.saveCursor('wkA', 'CURSOR1');
    store.saveToken('wkB', { token: 'T', at: 5 });
    store.close();
    const again = new SqliteKfStore(dir, dir);
    assert.equal(again.enabledAt(9999), 1000, 'the first time stays');
    assert.equal(again.cursor('wkA'), 'CURSOR1');
    assert.deepEqual(again.token('wkB'), { token: 'T', at: 5 });
    assert.deepEqual(again.accounts(), ['wkA', 'wkB']);
    again.close();
  });

  test('weworktop.kf: off by default; a malformed account is one error line naming the key', async () => {
    const load = (kf: Record<string, unknown>) => {
      const dir = mkdtempSync(path.join(tmpdir(), 'kf-config-'));
      writeFileSync(
        path.join(dir, 'config.json'),
        JSON.stringify({
          channel_type: 'weworktop',
          weworktop: { corp_id: CORP_ID, corp_secret: SECRET, agent_id: AGENT_ID, token: TOKEN, aes_key: AES_KEY, kf },
        }),
      );
      return loadConfig({ argv: [], env: {}, cwd: dir, channels: channelRegistry });
    };
    const { config } = await load({});
    assert.deepEqual((config.weworktop as { kf: unknown }).kf, {
      enabled: false,
      accounts: [],
      welcome_message: '',
      handoff_keywords: ['人工', '转人工', '人工客服'],
      handoff_message: '正在为您转接人工客服，请稍候。',
      merge_window_ms: 1500,
    });
    await assert.rejects(
      load({ enabled: true, accounts: ['kf-1'] }),
      (error: Error) =>
        error instanceof ConfigError &&
        /^config error: weworktop\.kf\.accounts: expected accounts\[0\] to be an open_kfid/.test(error.message),
    );
    await assert.rejects(load({ merge_window_ms: -1 }), /weworktop\.kf\.merge_window_ms: expected a whole number >= 0/);
  });
});
