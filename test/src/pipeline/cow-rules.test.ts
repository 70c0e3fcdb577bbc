import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  applyTriggerRules,
  ConfiguredRules,
  groupAllowed,
  groupSharesSession,
  matchPrefix,
  type TriggerInput,
  type TriggerRules,
} from '../../../src/pipeline/cow-rules.js';

const rules: TriggerRules = {
  single_chat_prefix: [''],
  group_chat_prefix: ['@bot'],
  group_chat_keyword: [],
  group_at_off: false,
  nick_name_black_list: [],
  image_create_prefix: ['画', 'draw'],
};
const single = (text: string, extra: Partial<TriggerInput> = {}): TriggerInput => ({
  chatType: 'single',
  text,
  isAt: false,
  senderId: 'zhangsan',
  fromVoice: false,
  ...extra,
});
const group = (text: string, extra: Partial<TriggerInput> = {}): TriggerInput => ({ ...single(text), chatType: 'group', ...extra });

describe('matchPrefix', () => {
  test('returns the first match in list order, "" matches everything', () => {
    assert.equal(matchPrefix('@bot hi', ['@b', '@bot']), '@b');
    assert.equal(matchPrefix('hello', ['']), '');
    assert.equal(matchPrefix('hello', []), undefined);
    assert.equal(matchPrefix('botany', ['bot']), 'bot', 'no word boundary, as in CoW');
  });
});

describe('private chats', () => {
  test('[""] triggers every message and strips nothing', () => {
    assert.deepEqual(applyTriggerRules(single(' hello '), rules), { triggered: true, content: 'hello', imageRequest: false });
  });
  test('[] triggers nothing', () => {
    const decision = applyTriggerRules(single('hello'), { ...rules, single_chat_prefix: [] });
    assert.equal(decision.triggered, false);
  });
  test('a listed prefix is required and stripped once', () => {
    const prefixed = { ...rules, single_chat_prefix: ['bot', '@bot'] };
    assert.deepEqual(applyTriggerRules(single('bot bot hi'), prefixed), { triggered: true, content: 'bot hi', imageRequest: false });
    assert.equal(applyTriggerRules(single('hi bot'), prefixed).triggered, false);
  });
  test('prefix order matters like CoW: ["@b","@bot"] leaves "ot hi"', () => {
    assert.deepEqual(applyTriggerRules(single('@bot hi'), { ...rules, single_chat_prefix: ['@b', '@bot'] }), {
      triggered: true,
      content: 'ot hi',
      imageRequest: false,
    });
  });
  test('a transcribed voice note needs no prefix', () => {
    const prefixed = { ...rules, single_chat_prefix: ['bot'] };
    assert.deepEqual(applyTriggerRules(single('你好', { fromVoice: true }), prefixed), {
      triggered: true,
      content: '你好',
      imageRequest: false,
    });
  });
  test('black-listed senders are dropped by id or name', () => {
    assert.equal(applyTriggerRules(single('hi'), { ...rules, nick_name_black_list: ['zhangsan'] }).triggered, false);
    assert.equal(applyTriggerRules(single('hi', { senderName: '张三' }), { ...rules, nick_name_black_list: ['张三'] }).triggered, false);
  });
});

describe('group chats', () => {
  test('the group prefix triggers and is stripped', () => {
    assert.deepEqual(applyTriggerRules(group('@bot 你好'), rules), { triggered: true, content: '你好', imageRequest: false });
  });
  test('no prefix, keyword or @ means no trigger', () => {
    assert.deepEqual(applyTriggerRules(group('你好'), rules), {
      triggered: false,
      reason: 'no group_chat_prefix, group_chat_keyword or @-mention matched',
      code: 'not_triggered',
    });
  });
  test('a keyword triggers and is kept in the text', () => {
    assert.deepEqual(applyTriggerRules(group('请问天气怎么样'), { ...rules, group_chat_keyword: ['天气'] }), {
      triggered: true,
      content: '请问天气怎么样',
      imageRequest: false,
    });
  });
  test('an @-mention triggers unless group_at_off', () => {
    assert.equal(applyTriggerRules(group('hello', { isAt: true }), rules).triggered, true);
    assert.equal(applyTriggerRules(group('hello', { isAt: true }), { ...rules, group_at_off: true }).triggered, false);
  });
  test('black list applies to prefix triggers too (CoW only checked @-mentions)', () => {
    assert.equal(applyTriggerRules(group('@bot hi'), { ...rules, nick_name_black_list: ['zhangsan'] }).triggered, false);
  });
  test('voice transcripts in groups still need the prefix', () => {
    assert.equal(applyTriggerRules(group('你好', { fromVoice: true }), rules).triggered, false);
    assert.equal(applyTriggerRules(group('@bot 你好', { fromVoice: true }), rules).triggered, true);
  });
});

describe('image requests', () => {
  test('the image prefix is matched after the trigger prefix and stripped', () => {
    assert.deepEqual(applyTriggerRules(group('@bot 画一只猫'), rules), { triggered: true, content: '一只猫', imageRequest: true });
    assert.deepEqual(applyTriggerRules(single('draw a cat'), rules), { triggered: true, content: 'a cat', imageRequest: true });
  });
  test('a Latin prefix is a whole word: "drawbacks" is a question, "draw:" and "draw" requests (CoW matched without a boundary)', () => {
    assert.deepEqual(applyTriggerRules(single('drawbacks of SQLite?'), rules), {
      triggered: true,
      content: 'drawbacks of SQLite?',
      imageRequest: false,
    });
    assert.deepEqual(applyTriggerRules(single('draw:一只猫'), rules), { triggered: true, content: ':一只猫', imageRequest: true });
    assert.deepEqual(applyTriggerRules(single('draw'), rules), { triggered: true, content: '', imageRequest: true });
    // A prefix ending in anything else matches as before.
    assert.deepEqual(applyTriggerRules(single('画猫'), rules), { triggered: true, content: '猫', imageRequest: true });
    assert.deepEqual(applyTriggerRules(single('img:cat'), { ...rules, image_create_prefix: ['img:'] }), {
      triggered: true,
      content: 'cat',
      imageRequest: true,
    });
  });
  test('an empty image prefix never makes an image request', () => {
    assert.deepEqual(applyTriggerRules(single('画一只猫'), { ...rules, image_create_prefix: [''] }), {
      triggered: true,
      content: '画一只猫',
      imageRequest: false,
    });
  });
});

describe('group white list', () => {
  test('matches exact names or chat ids, ALL_GROUP, or keywords', () => {
    assert.equal(groupAllowed({ id: 'wrk1', name: '测试群' }, ['测试群'], []), true);
    assert.equal(groupAllowed({ id: 'wrk1' }, ['wrk1'], []), true);
    assert.equal(groupAllowed({ id: 'wrk1', name: '其他' }, ['测试群'], []), false);
    assert.equal(groupAllowed({ id: 'wrk1' }, ['ALL_GROUP'], []), true);
    assert.equal(groupAllowed({ id: 'wrk1', name: 'AI 交流群' }, [], ['AI']), true);
    assert.equal(groupAllowed({ id: 'wrk1', name: '闲聊' }, [], ['AI']), false);
    assert.equal(groupAllowed({ id: 'wrk1' }, [], []), false, 'an empty list blocks every group');
  });
  test('shared group sessions by name, id or ALL_GROUP', () => {
    assert.equal(groupSharesSession({ id: 'wrk1' }, ['wrk1']), true);
    assert.equal(groupSharesSession({ id: 'wrk1', name: 'n' }, ['ALL_GROUP']), true);
    assert.equal(groupSharesSession({ id: 'wrk1', name: 'n' }, []), false);
  });
});

describe('wouldAnswer (the AI bot asks before it opens a stream)', () => {
  const configured = new ConfiguredRules({
    ...rules,
    group_chat_in_one_session: [],
    group_name_white_list: ['ALL_GROUP'],
    group_name_keyword_white_list: [],
    speech_recognition: false,
    group_speech_recognition: false,
  });
  const message = (text: string, isAt: boolean) => ({
    id: 'm1',
    channel: 'weworktop',
    chatType: 'group' as const,
    senderId: 'zhangsan',
    groupId: 'wr1',
    isAt,
    kind: 'text' as const,
    text,
    time: new Date(),
    raw: {},
  });
  test('a bare @-mention or prefix leaves nothing to answer: no', () => {
    assert.equal(configured.wouldAnswer(message('', true)), false);
    assert.equal(configured.wouldAnswer(message('@bot', false)), false);
    assert.equal(configured.wouldAnswer(message('@bot   ', false)), false);
  });
  test('with a question after it: yes', () => {
    assert.equal(configured.wouldAnswer(message('你好', true)), true);
    assert.equal(configured.wouldAnswer(message('@bot 你好', false)), true);
  });
});

describe('session keys', () => {
  test('a message with a scope (the app or bot it came through) has its own conversation', () => {
    const configured = new ConfiguredRules({
      ...rules,
      group_chat_in_one_session: [],
      group_name_white_list: [],
      group_name_keyword_white_list: [],
      speech_recognition: true,
      group_speech_recognition: false,
    });
    const base = {
      id: 'm',
      channel: 'weworktop',
      chatType: 'single' as const,
      senderId: 'zhangsan',
      isAt: false,
      kind: 'text' as const,
      text: 'hi',
      time: new Date(),
      raw: {},
    };
    assert.equal(configured.sessionKey(base), 'zhangsan');
    assert.equal(configured.sessionKey({ ...base, scope: 'bot:B1' }), 'bot:B1|zhangsan');
    assert.notEqual(configured.sessionKey({ ...base, scope: 'bot:B1' }), configured.sessionKey({ ...base, scope: 'bot:B2' }));
  });
});
