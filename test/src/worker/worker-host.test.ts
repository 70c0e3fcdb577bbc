import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { channelRegistry } from '../../../channels/registry.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/logger.js';
import { CORE_METRICS } from '../../../src/metrics/core-metrics.js';
import { MetricsRegistry } from '../../../src/metrics/metrics-registry.js';
import { runtimeTuning } from '../../../src/runtime/tuning.js';
import { MemoryInbox } from '../../../src/store/memory-inbox.js';
import { AnswerWorkerHost } from '../../../src/worker/worker-host.js';
import { eventually } from '../../support/weworktop-harness.js';

async function start(
  maxInWorker?: number,
  inbox = new MemoryInbox(),
  metrics?: MetricsRegistry,
): Promise<{ answers: AnswerWorkerHost; inbox: MemoryInbox; logs: string[]; said: Array<{ said: string; to: string }> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'answer-worker-'));
  writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({ channel_type: 'terminal', inbox_store: 'memory', session_store: 'memory', character_desc: '' }),
  );
  const { config } = await loadConfig({ argv: [], env: {}, cwd: dir, channels: channelRegistry });
  const logs: string[] = [];
  const logSink = { write: (line: string) => void logs.push(line) };
  const answers = AnswerWorkerHost.start({
    entry: new URL('../../support/crash-once-worker.ts', import.meta.url),
    config: { ...config, channel_type: 'crash-once', crash_marker: path.join(dir, 'crashed'), metrics: metrics !== undefined },
    cwd: dir,
    inbox,
    logger: createLogger({ level: 'info', sink: logSink }),
    logSink,
    tuning: runtimeTuning(true),
    ...(maxInWorker === undefined ? {} : { maxInWorker }),
    ...(metrics ? { metrics } : {}),
  });
  await answers.started;
  const said: Array<{ said: string; to: string }> = [];
  answers.link.onMessage((message) => said.push(message as { said: string; to: string }));
  return { answers, inbox, logs, said };
}

async function give(answers: AnswerWorkerHost, inbox: MemoryInbox, id: string, text: string, handed = text): Promise<void> {
  await inbox.add({ id, channel: 'crash-once', sessionKey: id, rawJson: JSON.stringify({ id, text }), receivedAt: Date.now() });
  answers.answer({
    id,
    sessionKey: id,
    rawJson: JSON.stringify({ id, text: handed }),
    receivedAt: Date.now(),
    attempts: 0,
    replayed: false,
  });
}

describe('AnswerWorkerHost', () => {
  test('messages given before the worker runs wait for it and are answered, in order', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'answer-worker-'));
    writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({ channel_type: 'terminal', inbox_store: 'memory', session_store: 'memory', character_desc: '' }),
    );
    const { config } = await loadConfig({ argv: [], env: {}, cwd: dir, channels: channelRegistry });
    const inbox = new MemoryInbox();
    const answers = AnswerWorkerHost.start({
      entry: new URL('../../support/crash-once-worker.ts', import.meta.url),
      config: { ...config, channel_type: 'crash-once', crash_marker: path.join(dir, 'crashed') },
      cwd: dir,
      inbox,
      logger: createLogger({ level: 'silent' }),
      logSink: { write: () => undefined },
      tuning: runtimeTuning(true),
    });
    const said: string[] = [];
    answers.link.onMessage((message) => said.push((message as { to: string }).to));
    assert.deepEqual(await answers.ready(), { ok: false, reason: 'the answer worker is starting' });
    await give(answers, inbox, 'early-1', '一');
    await give(answers, inbox, 'early-2', '二');
    await answers.started;
    await answers.whenIdle();
    assert.deepEqual(said, ['early-1', 'early-2']);
    await answers.stop();
  });

  test('answers what it is given and settles it in the inbox', async () => {
    const { answers, inbox, said } = await start();
    await give(answers, inbox, 'm1', '你好');
    await answers.whenIdle();
    assert.equal(said.length, 1);
    assert.match(said[0]!.said, /你好/);
    assert.deepEqual(inbox.pending('crash-once'), []);
    await answers.stop();
  });

  test('a worker that dies is started again, and the messages it held are answered by the new one', async () => {
    const metrics = new MetricsRegistry(CORE_METRICS);
    const { answers, inbox, logs, said } = await start(undefined, new MemoryInbox(), metrics);
    await give(answers, inbox, 'before', '先来的');
    await answers.whenIdle();
    await give(answers, inbox, 'doomed', 'crash');
    await give(answers, inbox, 'queued', '后来的');
    await eventually(
      () =>
        assert.ok(
          logs.some((line) => line.includes('answer worker stopped unexpectedly')),
          'the crash is logged',
        ),
      10_000,
    );
    // Given while the new worker starts (it is started 0.5 s after the crash and takes longer to
    // boot): the message waits for it with the others, and is answered once.
    await sleep(600);
    await give(answers, inbox, 'meanwhile', '重启时来的');
    await eventually(
      () =>
        assert.ok(
          ['doomed', 'queued', 'meanwhile'].every((id) => said.some((line) => line.to === id)),
          'all answered after the restart',
        ),
      10_000,
    );
    await answers.whenIdle();
    assert.deepEqual(inbox.pending('crash-once'), [], 'nothing is left unsettled');
    // A second answer would come right after the first.
    await sleep(500);
    assert.deepEqual(
      ['before', 'doomed', 'queued', 'meanwhile'].map((id) => said.filter((line) => line.to === id).length),
      [1, 1, 1, 1],
      'each answered exactly once',
    );
    await answers.stop();
    // The new worker's counts came in its batches (the dead one's last second of them is lost with it).
    const text = await metrics.render();
    assert.match(text, /^weworktop_worker_restarts_total 1$/m);
    assert.ok(Number(/^weworktop_answers_total\{outcome="answered",reason=""\} (\d+)$/m.exec(text)?.[1]) >= 3, text);
  });

  test('past its fill the worker is given no more: the rest wait as ids, each read back from the inbox when there is room', async () => {
    const { answers, inbox, said } = await start(2);
    // What the inbox holds is what gets answered for a waiting message: only its id stayed in memory.
    for (let i = 1; i <= 6; i++) await give(answers, inbox, `m${i}`, `slow 第${i}条`, 'held in memory');
    assert.equal(answers.outstanding, 6, 'waiting messages count as outstanding (for max_queue)');
    await answers.whenIdle();
    assert.deepEqual(
      said.map((line) => line.to),
      ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'],
      'oldest first, each once',
    );
    assert.deepEqual(
      said.slice(0, 2).map((line) => /held in memory/.test(line.said)),
      [true, true],
      'the first two went over as given',
    );
    assert.ok(
      said.slice(2).every((line) => new RegExp(`第${line.to.slice(1)}条`).test(line.said)),
      'the others were read from the inbox',
    );
    assert.deepEqual(inbox.pending('crash-once'), []);
    await answers.stop();
  });

  test('a drain leaves what waits in the backlog pending in the inbox, for the next start', async () => {
    const { answers, inbox, said } = await start(1);
    await give(answers, inbox, 'running', 'slow 在回答');
    await give(answers, inbox, 'next', '还在等');
    await give(answers, inbox, 'last', '也在等');
    assert.equal(await answers.drain(2000), true, 'the running answer finished');
    assert.deepEqual(
      said.map((line) => line.to),
      ['running'],
    );
    assert.deepEqual(
      inbox.pending('crash-once').map((entry) => entry.id),
      ['next', 'last'],
    );
    await answers.stop();
  });

  test('a waiting message the inbox fails to give back keeps its place and is tried again', async () => {
    let failures = 1;
    const inbox = new (class extends MemoryInbox {
      override entry(id: string) {
        if (failures-- > 0) throw new Error('SQLITE_IOERR: disk I/O error');
        return super.entry(id);
      }
    })();
    const { answers, logs, said } = await start(1, inbox);
    await give(answers, inbox, 'first', 'slow 第一条');
    await give(answers, inbox, 'second', '第二条');
    await answers.whenIdle();
    assert.deepEqual(
      said.map((line) => line.to),
      ['first', 'second'],
    );
    assert.ok(
      logs.some((line) => line.includes('could not read a waiting message from the inbox') && line.includes('SQLITE_IOERR')),
      logs.join(''),
    );
    await answers.stop();
  });
});
