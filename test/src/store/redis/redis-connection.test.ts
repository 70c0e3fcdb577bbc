import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../../../../src/config/config-error.js';
import { createLogger } from '../../../../src/logger.js';
import { openRedis } from '../../../../src/store/redis/redis-connection.js';
import { StoreUnavailableError } from '../../../../src/store/store-unavailable.js';
import { closedPort } from '../../../support/closed-port.js';

describe('redis connection', () => {
  test("redis_url's password never reaches a log line; a Redis that does not answer is one error line, and a 503", async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', sink: { write: (line) => lines.push(line) } });
    const port = await closedPort();
    const url = `redis://:pa%24%24-word-1234@127.0.0.1:${port}/0`;
    const connection = openRedis({ redis_url: url, redis_prefix: 't:', lease_seconds: 1 }, logger, 'inbox');
    await new Promise((resolve) => setTimeout(resolve, 500));
    logger.info({ url }, 'a line that names the url');
    assert.throws(() => connection.whenAvailable(), StoreUnavailableError);
    assert.equal(connection.available(), false);
    await connection.close();
    const text = lines.join('');
    assert.ok(!text.includes('pa$$-word-1234') && !text.includes('pa%24%24-word-1234'), text);
    assert.equal(lines.filter((line) => line.includes('redis unavailable: callbacks get 503')).length, 1, text);
  });

  test('store "redis" without redis_url is a config error naming redis_url', () => {
    const logger = createLogger({ level: 'silent' });
    assert.throws(
      () => openRedis({ redis_url: '', redis_prefix: 't:', lease_seconds: 1 }, logger, 'inbox'),
      (error: unknown) => error instanceof ConfigError && error.key === 'redis_url',
    );
  });
});
