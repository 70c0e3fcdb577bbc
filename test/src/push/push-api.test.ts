import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { API_TOKEN, postPush, pushStatus } from '../../support/push-client.js';
import { startRecordingServer } from '../../support/recording-server.js';
import { eventually, startWeworktop, type WeworktopHarness } from '../../support/weworktop-harness.js';

const ROBOT_KEY = '693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa';

describe('push API: POST /api/messages through the self-built app', () => {
  let h: WeworktopHarness;
  before(async () => {
    h = await startWeworktop({
      config: { api_token: API_TOKEN, retry_delay_ms: 20, metrics: true },
      weworktop: {
        webhooks: { ops: ROBOT_KEY },
        agents: [{ agent_id: 1000003, corp_secret: 'second-app-secret-0001', token: 'token2', aes_key: 'k'.repeat(43) }],
      },
      extraApps: [{ agentId: '1000003', secret: 'second-app-secret-0001' }],
    });
  });
  after(() => h.stop());
  beforeEach(() => h.wecom.reset());

  it('answers 202 once stored and sends the text to the user; GET tells it was sent', async () => {
    const answer = await postPush(h.baseUrl, { to: { user: 'alice' }, text: 'backup done' });
    assert.equal(answer.status, 202);
    assert.equal(answer.body.status, 'queued');
    const [sent] = await h.wecom.waitForSent(1);
    assert.equal(sent!.touser, 'alice');
    assert.deepEqual(sent!.body.text, { content: 'backup done' });
    await eventually(async () => assert.equal((await pushStatus(h.baseUrl, String(answer.body.id))).body.status, 'sent', 'status sent'));
  });

  it('takes a body sent without a JSON content type (curl -d)', async () => {
    const answer = await postPush(h.baseUrl, JSON.stringify({ to: { user: 'carol' }, text: 'from curl' }), {
      contentType: 'application/x-www-form-urlencoded',
    });
    assert.equal(answer.status, 202);
    await h.wecom.waitForSent(1);
  });

  it('sends to several users, a department and a tag, through the app agent_id names', async () => {
    for (const body of [
      { to: { users: ['alice', 'bob'] }, text: 'a' },
      { to: { party: '2' }, text: 'b' },
      { to: { tag: 1 }, text: 'c', agent_id: '1000003' },
    ])
      assert.equal((await postPush(h.baseUrl, body)).status, 202);
    const sent = await h.wecom.waitForSent(3);
    const byText = new Map(sent.map((message) => [(message.body.text as { content: string }).content, message.body]));
    assert.equal(byText.get('a')!.touser, 'alice|bob');
    assert.equal(byText.get('b')!.toparty, '2');
    assert.equal(byText.get('c')!.totag, '1');
    assert.equal(byText.get('c')!.agentid, 1000003);
    assert.equal(byText.get('a')!.agentid, 1000002);
  });

  it('turns markdown into text for app users (personal WeChat cannot show it)', async () => {
    await postPush(h.baseUrl, { to: { user: 'alice' }, markdown: '**Disk** at `90%`' });
    const [sent] = await h.wecom.waitForSent(1);
    assert.equal(sent!.msgtype, 'text');
    assert.deepEqual(sent!.body.text, { content: 'Disk at 90%' });
  });

  it('splits a long text into 2048-byte parts, sent in order, and counts them', async () => {
    const text = Array.from({ length: 300 }, (_, i) => `第${i}行：磁盘使用率正常`).join('\n');
    const answer = await postPush(h.baseUrl, { to: { user: 'dave' }, text });
    await eventually(async () => assert.equal((await pushStatus(h.baseUrl, String(answer.body.id))).body.status, 'sent', 'sent'));
    const sent = h.wecom.sent;
    assert.ok(sent.length >= 3, 'several parts');
    for (const message of sent) assert.ok(Buffer.byteLength((message.body.text as { content: string }).content) <= 2048, 'part fits');
    assert.equal(sent.map((message) => (message.body.text as { content: string }).content).join('\n'), text);
    assert.equal((await pushStatus(h.baseUrl, String(answer.body.id))).body.parts, sent.length);
  });

  it('sends an image given as base64: uploaded, then sent by media_id', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    await postPush(h.baseUrl, { to: { user: 'alice' }, image: { base64: png.toString('base64') } });
    const [sent] = await h.wecom.waitForSent(1);
    assert.equal(sent!.msgtype, 'image');
    assert.deepEqual(h.wecom.uploads[0]!.data, png);
  });

  it('gives the first id back for an idempotency key seen before, and sends once', async () => {
    const body = { to: { user: 'erin' }, text: 'once', idempotency_key: 'job-42' };
    const first = await postPush(h.baseUrl, body);
    const second = await postPush(h.baseUrl, body);
    assert.equal(first.status, 202);
    assert.equal(second.status, 200);
    assert.equal(second.body.id, first.body.id);
    await h.wecom.waitForSent(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(h.wecom.sent.length, 1);
  });

  it('fails a message WeCom refuses for good with its errcode and words, without retrying', async () => {
    h.wecom.injectError('message/send', { errcode: 81013, errmsg: 'user & party & tag all invalid' });
    const answer = await postPush(h.baseUrl, { to: { user: 'nobody' }, text: 'x' });
    await eventually(async () => {
      const status = await pushStatus(h.baseUrl, String(answer.body.id));
      assert.equal(status.body.status, 'failed', 'failed');
      assert.deepEqual(status.body.error, { errcode: 81013, errmsg: 'user & party & tag all invalid' });
    });
    assert.equal(h.wecom.callTimes('message/send').length, 1);
  });

  it('retries through a WeCom outage with backoff and sends exactly once', async () => {
    h.wecom.injectError('message/send', { errcode: -1, errmsg: 'system busy', times: 3 });
    const answer = await postPush(h.baseUrl, { to: { user: 'frank' }, text: 'after the outage' });
    await h.wecom.waitForSent(1, 5000);
    const times = h.wecom.callTimes('message/send');
    assert.equal(times.length, 4);
    assert.ok(times[3]! - times[2]! >= times[1]! - times[0]!, 'the waits grow');
    await eventually(async () => assert.equal((await pushStatus(h.baseUrl, String(answer.body.id))).body.status, 'sent', 'sent'));
    assert.equal(h.wecom.sent.length, 1);
  });

  it('keeps the order of a push without agent_id and one naming the same (first) app', async () => {
    // The first push's first call fails: the second, to the same user through the same app, waits for it.
    h.wecom.injectError('message/send', { errcode: -1, errmsg: 'system busy', times: 1 });
    await postPush(h.baseUrl, { to: { user: 'hana' }, text: 'default app' });
    await postPush(h.baseUrl, { to: { user: 'hana' }, text: 'named app', agent_id: '1000002' });
    const sent = await h.wecom.waitForSent(2, 5000);
    assert.deepEqual(
      sent.map((message) => [(message.body.text as { content: string }).content, message.body.agentid]),
      [
        ['default app', 1000002],
        ['named app', 1000002],
      ],
    );
  });

  it('keeps one target in order while another goes on', async () => {
    h.wecom.injectError('message/send', { errcode: -1, errmsg: 'system busy', times: 2 });
    await postPush(h.baseUrl, { to: { user: 'gina' }, text: 'one' });
    await postPush(h.baseUrl, { to: { user: 'gina' }, text: 'two' });
    await postPush(h.baseUrl, { to: { user: 'gina' }, text: 'three' });
    const sent = await h.wecom.waitForSent(3, 5000);
    assert.deepEqual(
      sent.map((message) => (message.body.text as { content: string }).content),
      ['one', 'two', 'three'],
    );
  });

  it('refuses a missing or wrong token with 401', async () => {
    assert.equal((await postPush(h.baseUrl, { to: { user: 'a' }, text: 'x' }, { token: null })).status, 401);
    const wrong = await postPush(h.baseUrl, { to: { user: 'a' }, text: 'x' }, { token: 'not-the-token' });
    assert.equal(wrong.status, 401);
    assert.match(String(wrong.body.error), /^authorization:/);
    const get = await fetch(`${h.baseUrl}/api/messages/x`);
    assert.equal(get.status, 401);
  });

  it('refuses bad requests with 400 naming the field', async () => {
    const cases: Array<[unknown, RegExp]> = [
      ['{not json', /^body: not valid JSON/],
      [[1, 2], /^body: expected a JSON object/],
      [{ to: { user: 'a b' }, text: 'x' }, /^to\.user: expected a WeCom user id/],
      [{ to: { users: ['ok', ''] }, text: 'x' }, /^to\.users\[1\]: expected a WeCom user id/],
      [{ to: { party: 'sales' }, text: 'x' }, /^to\.party: expected a department id/],
      [{ to: { fax: '1' }, text: 'x' }, /^to: expected an object with one of/],
      [{ to: { user: 'a' } }, /^text: expected exactly one of text, markdown, image/],
      [{ to: { user: 'a' }, text: 'x', markdown: 'y' }, /^markdown: expected exactly one of/],
      [{ to: { user: 'a' }, text: '' }, /^text: expected a non-empty string/],
      [{ to: { user: 'a' }, image: { base64: '%%%' } }, /^image\.base64: expected base64 data/],
      [{ to: { user: 'a' }, text: 'x', agent_id: '999' }, /^agent_id: no app with AgentId 999/],
      [{ to: { user: 'a' }, text: 'x', colour: 'red' }, /^colour: unknown field/],
      [{ to: { webhook: 'nope' }, text: 'x' }, /^to\.webhook: no group robot named "nope"/],
      [{ to: { chat: 'wrk123' }, text: 'x' }, /^to\.chat: no AI bot on a long connection/],
      [{ to: { user: 'a' }, text: 'x', idempotency_key: '' }, /^idempotency_key: expected a string/],
    ];
    for (const [body, error] of cases) {
      const answer = await postPush(h.baseUrl, body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.match(String(answer.body.error), error);
    }
    assert.equal(h.wecom.sent.length, 0);
  });

  it('refuses a body over the limit with 413', async () => {
    const answer = await postPush(h.baseUrl, { to: { user: 'a' }, image: { base64: 'A'.repeat(1_100_000) } });
    assert.equal(answer.status, 413);
    assert.match(String(answer.body.error), /^body: over/);
  });

  it('shows a push waiting out an outage in weworktop_push_pending, and 0 once it is sent', async () => {
    const pending = async () => /weworktop_push_pending (\d+)/.exec(await (await fetch(`${h.baseUrl}/metrics`)).text())?.[1];
    h.wecom.injectError('message/send', { errcode: -1, errmsg: 'system busy', times: 1000 });
    const answer = await postPush(h.baseUrl, { to: { user: 'waiting' }, text: 'after the outage' });
    assert.equal(answer.status, 202);
    await eventually(async () => assert.equal(await pending(), '1'));
    h.wecom.reset();
    await h.wecom.waitForSent(1, 5000);
    await eventually(async () => assert.equal(await pending(), '0'));
  });

  it('counts pushes sent, retried and failed in weworktop_outbound_total', async () => {
    const metrics = await (await fetch(`${h.baseUrl}/metrics`)).text();
    assert.match(metrics, /weworktop_outbound_total\{kind="push",result="sent"\} [1-9]/);
    assert.match(metrics, /weworktop_outbound_total\{kind="push",result="retried"\} [1-9]/);
    assert.match(metrics, /weworktop_outbound_total\{kind="push",result="failed"\} [1-9]/);
  });

  it('answers 404 for an id it does not know', async () => {
    assert.equal((await pushStatus(h.baseUrl, 'no-such-id')).status, 404);
  });
});

describe('push API: a group robot (weworktop.webhooks)', () => {
  let h: WeworktopHarness;
  before(async () => {
    h = await startWeworktop({ config: { api_token: API_TOKEN, retry_delay_ms: 20 }, weworktop: { webhooks: { ops: ROBOT_KEY } } });
  });
  after(() => h.stop());
  beforeEach(() => h.wecom.reset());

  it('posts text and markdown to webhook/send with the robot key', async () => {
    await postPush(h.baseUrl, { to: { webhook: 'ops' }, text: 'deploy started' });
    await postPush(h.baseUrl, { to: { webhook: 'ops' }, markdown: '**deploy** done' });
    const posted = await h.wecom.waitForRobotMessages(2);
    assert.equal(posted[0]!.key, ROBOT_KEY);
    assert.deepEqual(posted[0]!.body, { msgtype: 'text', text: { content: 'deploy started' } });
    assert.deepEqual(posted[1]!.body, { msgtype: 'markdown', markdown: { content: '**deploy** done' } });
  });

  it('splits markdown at 4096 bytes and sends an image with its md5', async () => {
    const markdown = Array.from({ length: 600 }, (_, i) => `- 第${i}项`).join('\n');
    await postPush(h.baseUrl, { to: { webhook: 'ops' }, markdown });
    const parts = await h.wecom.waitForRobotMessages(2);
    for (const part of parts) assert.ok(Buffer.byteLength((part.body.markdown as { content: string }).content) <= 4096, 'fits');
    h.wecom.reset();
    const data = Buffer.from('image bytes');
    await postPush(h.baseUrl, { to: { webhook: 'ops' }, image: { base64: data.toString('base64') } });
    const [image] = await h.wecom.waitForRobotMessages(1);
    assert.deepEqual(image!.body, {
      msgtype: 'image',
      image: { base64: data.toString('base64'), md5: createHash('md5').update(data).digest('hex') },
    });
  });

  it('fails with the robot errcode when WeCom refuses the key', async () => {
    h.wecom.injectError('webhook/send', { errcode: 93000, errmsg: 'invalid webhook url' });
    const answer = await postPush(h.baseUrl, { to: { webhook: 'ops' }, text: 'x' });
    await eventually(async () => {
      const status = await pushStatus(h.baseUrl, String(answer.body.id));
      assert.equal(status.body.status, 'failed', 'failed');
      assert.deepEqual(status.body.error, { errcode: 93000, errmsg: 'invalid webhook url' });
    });
  });
});

describe('push API: an image given by URL', () => {
  let h: WeworktopHarness;
  let images: Awaited<ReturnType<typeof startRecordingServer>>;
  const png = Buffer.from('89504e470d0a1a0a0000000d494844520000', 'hex');
  before(async () => {
    images = await startRecordingServer((request, res) => {
      if (request.url === '/chart.png') res.writeHead(200, { 'content-type': 'image/png' }).end(png);
      else res.writeHead(404).end();
    });
    h = await startWeworktop({ config: { api_token: API_TOKEN, retry_delay_ms: 20 } });
  });
  after(async () => {
    await h.stop();
    images.close();
  });

  it('fetches the image when it sends, uploads it and sends it by media_id', async () => {
    await postPush(h.baseUrl, { to: { user: 'alice' }, image: { url: `${images.base}/chart.png` } });
    const [sent] = await h.wecom.waitForSent(1);
    assert.equal(sent!.msgtype, 'image');
    assert.deepEqual(h.wecom.uploads[0]!.data, png);
  });

  it('fails the message when the image URL answers 404, naming it', async () => {
    const answer = await postPush(h.baseUrl, { to: { user: 'alice' }, image: { url: `${images.base}/gone.png` } });
    await eventually(async () => {
      const status = await pushStatus(h.baseUrl, String(answer.body.id));
      assert.equal(status.body.status, 'failed', 'failed');
      assert.match(String((status.body.error as { message: string }).message), /^image\.url: GET 127\.0\.0\.1:\d+ answered HTTP 404/);
    });
  });
});
