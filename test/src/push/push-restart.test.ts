import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { type FakeWeCom, startFakeWeCom } from '../../../fakes/fake-wecom.js';
import { API_TOKEN, postPush, pushStatus } from '../../support/push-client.js';
import { AGENT_ID, CORP_ID, eventually, SECRET, startWeworktop } from '../../support/weworktop-harness.js';

let wecom: FakeWeCom;
after(() => wecom?.close());

it('sends what was queued through a WeCom outage and a restart, exactly once and resuming a split text at its next part', async () => {
  wecom = await startFakeWeCom({ corpId: CORP_ID, apps: [{ agentId: AGENT_ID, secret: SECRET }] });
  const config = { api_token: API_TOKEN, retry_delay_ms: 50 };
  const first = await startWeworktop({ wecom, config });
  // The first part of the long text goes out, then WeCom is down.
  wecom.injectError('message/send', { errcode: -1, errmsg: 'system busy', after: 1, times: 10_000 });
  const long = Array.from({ length: 200 }, (_, i) => `line ${i} of the nightly report, all fine`).join('\n');
  const ids: string[] = [];
  for (const body of [
    { to: { user: 'alice' }, text: long },
    { to: { user: 'alice' }, text: 'second' },
    { to: { party: '2' }, text: 'to the department' },
  ]) {
    const answer = await postPush(first.baseUrl, body);
    assert.equal(answer.status, 202);
    ids.push(String(answer.body.id));
  }
  await eventually(() => assert.ok(wecom.callTimes('message/send').length >= 4, 'tried during the outage'));
  assert.equal(wecom.sent.length, 1);
  assert.equal((await pushStatus(first.baseUrl, ids[0]!)).body.status, 'queued');
  await first.stop();

  wecom.reset();
  const second = await startWeworktop({ wecom, config, dataDir: first.dataDir });
  try {
    await eventually(async () => {
      for (const id of ids) assert.equal((await pushStatus(second.baseUrl, id)).body.status, 'sent', `${id} sent`);
    }, 5000);
    const toAlice = wecom.sent
      .filter((message) => message.touser === 'alice')
      .map((message) => (message.body.text as { content: string }).content);
    // The part sent before the outage is not sent again: the rest follows, then the next message.
    assert.equal(toAlice.at(-1), 'second');
    const partsAfterRestart = toAlice.slice(0, -1);
    assert.ok(partsAfterRestart.length >= 1);
    assert.ok(!partsAfterRestart[0]!.startsWith('line 0 '), 'the first part is not repeated');
    assert.ok(long.endsWith(partsAfterRestart.at(-1)!));
    assert.equal(wecom.sent.filter((message) => message.body.toparty === '2').length, 1);
  } finally {
    await second.stop();
  }
});
