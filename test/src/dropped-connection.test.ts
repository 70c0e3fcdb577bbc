import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AxiosError } from 'axios';
import { errors } from 'undici';
import { isDroppedConnection } from '../../src/dropped-connection.js';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('isDroppedConnection: what one quick retry fixes, and what it does not', () => {
  const dropped: Array<[string, unknown]> = [
    ['a reset', coded('ECONNRESET', 'read ECONNRESET')],
    ['a write to a closed socket', coded('EPIPE')],
    ["undici's socket closed under the request", new errors.SocketError('other side closed')],
    ["Node's http client", new Error('socket hang up')],
    ['a reset inside an SDK error', new Error('Connection error.', { cause: coded('ECONNRESET') })],
    ['a reset inside an axios error', AxiosError.from(new errors.SocketError('other side closed'), 'UND_ERR_SOCKET')],
  ];
  for (const [what, error] of dropped) test(`dropped: ${what}`, () => assert.equal(isDroppedConnection(error), true));

  const outages: Array<[string, unknown]> = [
    ['a refused connection', coded('ECONNREFUSED')],
    ['a connect timeout', new errors.ConnectTimeoutError()],
    ['a headers timeout', new errors.HeadersTimeoutError()],
    ["axios's timeout", new AxiosError('timeout of 100ms exceeded', 'ECONNABORTED')],
    ['a DNS failure', coded('ENOTFOUND')],
    ['an abort', new DOMException('aborted', 'AbortError')],
    ['no error at all', undefined],
    ['a string', 'ECONNRESET'],
  ];
  for (const [what, error] of outages) test(`not dropped: ${what}`, () => assert.equal(isDroppedConnection(error), false));
});
