import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assistantFor } from '../../../src/assistants/by-scope.js';

describe('assistantFor: the assistant of a message by its scope', () => {
  const assistants = [{ scope: '' }, { scope: 'app:1000003' }, { scope: 'kf' }, { scope: 'bot:aib1' }, { scope: 'bot:aib1:x' }];
  const table: Array<[string | undefined, string]> = [
    [undefined, ''],
    ['', ''],
    ['app:1000003', 'app:1000003'],
    ['app:10000031', ''],
    ['kf:wkAJ2GCAAASSm4', 'kf'],
    ['kfx', ''],
    ['bot:aib1', 'bot:aib1'],
    ['bot:aib1:x', 'bot:aib1:x'],
    ['bot:aib2', ''],
  ];
  for (const [scope, expected] of table)
    test(`${JSON.stringify(scope)} → ${JSON.stringify(expected)}`, () => assert.equal(assistantFor(assistants, scope).scope, expected));
});
