import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { eventually, startWeworktop, type WeworktopHarness } from '../../support/weworktop-harness.js';

let harness: WeworktopHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

/** Which of the data_dir's files hold `text` anywhere in their bytes (free pages and WAL frames included). */
function filesHolding(dataDir: string, text: string): string[] {
  const needle = Buffer.from(text);
  return ['weworktop.db', 'weworktop.db-wal', 'sessions.db', 'sessions.db-wal'].filter(
    (file) => existsSync(path.join(dataDir, file)) && readFileSync(path.join(dataDir, file)).includes(needle),
  );
}

describe("#清除记忆 removes the user's history from disk, not only from memory", () => {
  test("the conversation leaves sessions.db and its WAL, the inbox keeps no text of it; another user's stays", async () => {
    harness = await startWeworktop({ config: { log_level: 'info' } });
    const { client, wecom, dataDir } = harness;
    await client.sendText('zhangsan', 'my locker code is SECRET-ZS-4711');
    await client.sendText('lisi', 'my locker code is SECRET-LS-0815');
    await wecom.waitForSent(2);
    // Folded into the files by the answer worker's checkpoints (once a second).
    await eventually(
      () =>
        assert.deepEqual(
          filesHolding(dataDir, 'SECRET-ZS-4711')
            .filter((file) => !file.endsWith('-wal'))
            .sort(),
          ['sessions.db', 'weworktop.db'],
          'stored',
        ),
      5000,
    );

    await client.sendText('zhangsan', '#清除记忆');
    await wecom.waitForSent(3);
    await eventually(() => assert.deepEqual(filesHolding(dataDir, 'SECRET-ZS-4711'), [], 'gone from every file while the app runs'), 5000);
    assert.ok(filesHolding(dataDir, 'SECRET-LS-0815').includes('sessions.db'), "the other user's conversation is kept");

    // The next message starts from an empty history: the LLM sees no trace either.
    await client.sendText('zhangsan', 'what was my code?');
    await wecom.waitForSent(4);
    const asked = harness.openai.chatRequests().at(-1)!;
    assert.doesNotMatch(JSON.stringify(asked.messages), /SECRET-ZS-4711/);
    const stopping = harness;
    harness = undefined;
    await stopping.stop();
    assert.deepEqual(filesHolding(dataDir, 'SECRET-ZS-4711'), [], 'nor after a stop');
  });
});
