import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConversationStore } from '../../../src/session/conversation-store.js';
import { fitHistory, TokenCounter } from '../../../src/session/tokens.js';
import type { Turn } from '../../../src/session/turn.js';

describe('ConversationStore', () => {
  test('forgets idle conversations after expires_in_seconds (sliding)', () => {
    let now = 0;
    const store = new ConversationStore({ maxSessions: 10, ttlSeconds: 60, now: () => now });
    store.get('a').turns.push({ message: { role: 'user', content: 'hi' }, tokens: 4 });
    now = 50_000;
    assert.equal(store.get('a').turns.length, 1, 'still there, and touched');
    now = 100_000;
    assert.equal(store.get('a').turns.length, 1, 'touch at 50 s slid the expiry');
    now = 161_000;
    assert.equal(store.get('a').turns.length, 0, 'expired after 60 idle seconds');
  });
  test('never expires when ttl is 0', () => {
    let now = 0;
    const store = new ConversationStore({ maxSessions: 10, ttlSeconds: 0, now: () => now });
    store.get('a').turns.push({ message: { role: 'user', content: 'hi' }, tokens: 4 });
    now = 10 ** 12;
    assert.equal(store.get('a').turns.length, 1);
  });
  test('stays bounded: the least recently used conversation goes first', () => {
    const store = new ConversationStore({ maxSessions: 3, ttlSeconds: 0 });
    for (const id of ['a', 'b', 'c']) store.get(id).turns.push({ message: { role: 'user', content: id }, tokens: 1 });
    store.get('a');
    store.get('d');
    assert.equal(store.size, 3);
    assert.equal(store.get('b').turns.length, 0, 'b was the least recently used');
    assert.equal(store.get('a').turns.length, 1);
  });
  test('holds 100k users within maxSessions', () => {
    const store = new ConversationStore({ maxSessions: 1000, ttlSeconds: 0 });
    for (let i = 0; i < 100_000; i++) store.get(`user${i}`);
    assert.equal(store.size, 1000);
  });
});

describe('token budget', () => {
  const counter = new TokenCounter('gpt-4o-mini');
  const turn = (role: 'user' | 'assistant', content: string): Turn => ({
    message: { role, content },
    tokens: counter.countMessage({ role, content }),
  });

  test('counts with the real tokenizer, not characters/4', () => {
    assert.equal(counter.count('hello world'), 2);
    assert.equal(counter.count('你好，世界'), new TokenCounter('gpt-4o').count('你好，世界'));
    assert.notEqual(counter.count('antidisestablishmentarianism'), Math.ceil('antidisestablishmentarianism'.length / 4));
    assert.ok(new TokenCounter('gpt-3.5-turbo').count('hello world') === 2);
  });
  test('drops the oldest turns until the prompt fits', () => {
    const system = turn('user', 'system prompt');
    const history = [
      turn('user', 'one '.repeat(50)),
      turn('assistant', 'two '.repeat(50)),
      turn('user', 'three'),
      turn('assistant', 'four'),
    ];
    const next = turn('user', 'five');
    const all = fitHistory(system, history, next, 10_000);
    assert.equal(all.dropped, 0);
    const budget = all.totalTokens - history[0]!.tokens;
    const fitted = fitHistory(system, history, next, budget);
    assert.equal(fitted.dropped, 1);
    assert.deepEqual(fitted.kept, history.slice(1));
    assert.ok(fitted.totalTokens <= budget);
    const tight = fitHistory(system, history, next, system.tokens + next.tokens + 3);
    assert.equal(tight.kept.length, 0, 'everything but system and the new message can go');
  });
});
