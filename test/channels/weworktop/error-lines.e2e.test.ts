import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { eventually, startWeworktop, type WeworktopHarness } from '../../support/weworktop-harness.js';

let harness: WeworktopHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

test('a message given up after a 60020 makes one line each, no stack (log_level info)', async () => {
  harness = await startWeworktop({ config: { log_level: 'info', retry_delay_ms: 20 }, weworktop: { api_retries: 0 } });
  const errmsg =
    'not allow to access from your ip, hint: [1700000000_1_abc], from ip: 203.0.113.7, more info at https://open.work.weixin.qq.com/devtool/query?e=60020';
  harness.wecom.injectError('message/send', { errcode: 60020, errmsg, times: 5 });
  await harness.client.sendText('zhangsan', '你好');
  await eventually(
    () =>
      assert.ok(
        harness!.logs.some((line) => line.includes('message given up')),
        'given up',
      ),
    8000,
  );
  for (const line of harness.logs) assert.equal(line.split('\n').length, 2, `more than one line:\n${line}`);
  const givenUp = harness.logs.find((line) => line.includes('message given up'))!;
  assert.match(
    givenUp,
    /ERROR \[answers\] message given up; telling the user .*err=WeCom message\/send failed: errcode 60020: not allow to access from your ip/,
  );
  assert.ok(
    harness.logs.some((line) => /ERROR .*refused this server's IP 203\.0\.113\.7.*\(errcode 60020\)/.test(line)),
    harness.logs.join(''),
  );
});
