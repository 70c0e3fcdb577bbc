import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { PushRequestError, parsePushRequest } from '../../../src/push/push-request.js';

const KNOWN = ['to', 'text', 'markdown', 'image', 'agent_id', 'idempotency_key', 'body'];

it('any JSON body is either a push request or a refusal naming a field of the body, never a crash', () => {
  const target = fc.oneof(
    fc.record({ user: fc.oneof(fc.string(), fc.integer()) }),
    fc.record({ users: fc.array(fc.oneof(fc.string(), fc.constant(null)), { maxLength: 3 }) }),
    fc.record({ party: fc.oneof(fc.string(), fc.integer()) }),
    fc.record({ tag: fc.oneof(fc.string(), fc.integer()) }),
    fc.record({ chat: fc.string() }),
    fc.record({ webhook: fc.string() }),
    fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 2 }),
  );
  const body = fc.oneof(
    fc.jsonValue(),
    fc.record(
      {
        to: target,
        text: fc.oneof(fc.string(), fc.jsonValue()),
        markdown: fc.string(),
        image: fc.oneof(fc.record({ base64: fc.string() }), fc.record({ url: fc.string() }), fc.jsonValue()),
        agent_id: fc.oneof(fc.string(), fc.integer()),
        idempotency_key: fc.oneof(fc.string(), fc.integer()),
      },
      { requiredKeys: ['to'] },
    ),
  );
  fc.assert(
    fc.property(body, fc.boolean(), (value, asText) => {
      try {
        const request = parsePushRequest(asText ? JSON.stringify(value) : value);
        assert.equal(Object.keys(request.message.to).length, 1);
      } catch (error) {
        assert.ok(error instanceof PushRequestError, String(error));
        const root = error.field.split(/[.[]/)[0]!;
        const unknownKey = typeof value === 'object' && value !== null && error.field in value && error.reason === 'unknown field';
        assert.ok(KNOWN.includes(root) || unknownKey, error.message);
      }
    }),
    { numRuns: 2000 },
  );
});
