import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type DifyMode, type FakeDify, type FakeDifyOptions, startFakeDify } from '../../../../fakes/fake-dify.js';
import { TINY_PNG } from '../../../../fakes/fake-openai.js';
import { AiBotClient, type AiBotResponse } from '../../../../fakes/wecom-client.js';
import { AES_KEY, startWeworktop, TOKEN, type WeworktopHarness } from '../../../support/weworktop-harness.js';

type Sent = { touser: string; msgtype: string; body: Record<string, unknown> };
const sentTexts = (h: WeworktopHarness) =>
  (h.wecom.sent as Sent[]).map((s) => (s.body[s.msgtype] as { content?: string })?.content ?? `<${s.msgtype}>`);

const GROUP = 'wrkSFfCgAAtestgroup01';
let harness: WeworktopHarness | undefined;
let dify: FakeDify | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
  await dify?.close();
  dify = undefined;
});

async function start(mode: DifyMode = 'chat', config: Record<string, unknown> = {}, apps?: FakeDifyOptions['apps']) {
  dify = await startFakeDify({ apps: apps ?? { 'app-key-1': { mode, outputKey: 'answer' } } });
  harness = await startWeworktop({
    config: { bot_type: 'dify', dify_api_key: 'app-key-1', dify_api_base: dify.url, retry_delay_ms: 50, request_timeout: 1, ...config },
    weworktop: { bot: { token: TOKEN, aes_key: AES_KEY }, group_names: { [GROUP]: '产品群' } },
  });
  return harness;
}

const streamOf = (response: AiBotResponse) => response.answer!.stream as { id: string; finish: boolean; content: string };

describe('Dify in a group, streamed; workflows; images', () => {
  test("an AI bot group answer grows as Dify's SSE deltas arrive, under the group member's scoped user", async () => {
    const h = await start('chat', { group_name_white_list: ['产品群'] });
    const text = '这是一段由 Dify 慢慢写出来的回答，会分成很多块到达。';
    dify!.setAnswer(() => text);
    dify!.setStreaming({ chunkChars: 3, chunkDelayMs: 30, pingEveryChunks: 2 });
    const bot = new AiBotClient({ url: `${h.baseUrl}/wework_bot_callback`, token: TOKEN, encodingAesKey: AES_KEY });
    const first = streamOf(await bot.sendText('zhangsan', '@bot 你好', { chatId: GROUP, responseUrl: h.wecom.responseUrl() }));
    const contents: string[] = [];
    for (let i = 0; i < 200; i++) {
      const stream = streamOf(await bot.refresh('zhangsan', first.id, { chatId: GROUP }));
      contents.push(stream.content);
      if (stream.finish) break;
      await sleep(20);
    }
    assert.equal(contents.at(-1), text);
    assert.ok(contents.filter((content) => content !== '' && content !== text).length >= 2, `grew: ${JSON.stringify(contents)}`);
    const [request] = dify!.requests('/chat-messages');
    assert.equal(request?.body.query, '你好');
    assert.equal(request?.body.user, `bot:webhook|group:${GROUP}:zhangsan`, "the webhook bot's scope");
  });

  test('a workflow app answers from its configured output variable, the question in its input variable', async () => {
    const h = await start('workflow', { dify_app_type: 'workflow', dify_workflow_output: 'answer', dify_workflow_input: 'question' });
    dify!.setAnswer((_query, request) => `workflow: ${(request.inputs as Record<string, string>).question}`);
    await h.client.sendText('zhangsan', '总结');
    await h.wecom.waitForSent(1, 5000);
    assert.deepEqual(sentTexts(h), ['workflow: 总结']);
    const [run] = dify!.requests('/workflows/run');
    assert.deepEqual(run?.body.inputs, { question: '总结' });
    assert.equal(run?.body.response_mode, 'streaming');
  });

  test('a failed workflow run, or one without the configured output, is told to the user once and logged', async () => {
    const h = await start('workflow', { dify_app_type: 'workflow', dify_workflow_output: 'missing' });
    dify!.failNext({ workflowFailed: 'Node LLM run failed: quota' });
    await h.client.sendText('zhangsan', '一');
    await h.client.sendText('lisi', '二');
    await h.wecom.waitForSent(2, 5000);
    await sleep(300);
    assert.equal(sentTexts(h).length, 2);
    assert.ok(
      sentTexts(h).every((text) => text.includes('请联系管理员查看日志')),
      sentTexts(h).join('\n'),
    );
    assert.equal(dify!.requests('/workflows/run').length, 2, 'not retried');
    assert.ok(h.logs.some((line) => line.includes('workflow failed: Node LLM run failed')));
    assert.ok(h.logs.some((line) => line.includes('no text output \\"missing\\"') || line.includes('no text output "missing"')));
  });

  test('an image sent in a private chat is uploaded for the same user and given to the chat app as a file', async () => {
    const h = await start('chat', { image_understanding: true });
    h.wecom.addMedia('MEDIA_IMG', TINY_PNG, 'image/png', 'photo.png');
    await h.client.sendImage('zhangsan', 'MEDIA_IMG');
    await h.wecom.waitForSent(1, 5000);
    const [upload] = dify!.uploads();
    assert.equal(upload?.user, 'zhangsan');
    assert.deepEqual(upload?.bytes, TINY_PNG);
    const [chat] = dify!.requests('/chat-messages');
    assert.deepEqual(chat?.body.files, [{ type: 'image', transfer_method: 'local_file', upload_file_id: upload?.id }]);
    assert.equal(sentTexts(h).length, 1);
    assert.ok(sentTexts(h)[0]?.startsWith('dify: '), sentTexts(h)[0]);
  });

  test('an app whose file upload is off gets the question without the image (its /parameters say so)', async () => {
    const h = await start('chat', { image_understanding: true }, { 'app-key-1': { mode: 'chat', images: false } });
    h.wecom.addMedia('MEDIA_IMG', TINY_PNG, 'image/png', 'photo.png');
    await h.client.sendImage('zhangsan', 'MEDIA_IMG');
    await h.wecom.waitForSent(1, 5000);
    assert.equal(dify!.uploads().length, 0);
    assert.equal(dify!.requests('/parameters').length, 1);
    assert.ok(!('files' in dify!.requests('/chat-messages')[0]!.body));
  });

  test("an agent's thoughts are hidden unless dify_show_thoughts", async () => {
    const apps: FakeDifyOptions['apps'] = { 'app-key-1': { mode: 'agent-chat', agentThoughts: ['', '先查一下天气'] } };
    let h = await start('agent-chat', {}, apps);
    await h.client.sendText('zhangsan', '天气');
    await h.wecom.waitForSent(1, 5000);
    assert.deepEqual(sentTexts(h), ['dify: 天气']);
    await harness?.stop();
    await dify?.close();
    h = await start('agent-chat', { dify_show_thoughts: true }, apps);
    await h.client.sendText('zhangsan', '天气');
    await h.wecom.waitForSent(1, 5000);
    assert.deepEqual(sentTexts(h), ['💭 先查一下天气\n\ndify: 天气']);
  });

  test("an agent's tool images (message_file, relative URLs) follow its text; one Dify no longer has is left out with a log line", async () => {
    const apps: FakeDifyOptions['apps'] = { 'app-key-1': { mode: 'agent-chat', toolImages: ['ok', 'gone'] } };
    const h = await start('agent-chat', {}, apps);
    await h.client.sendText('zhangsan', '来张猫的图');
    await h.wecom.waitForSent(2, 5000);
    assert.deepEqual(sentTexts(h), ['dify: 来张猫的图', '<image>']);
    assert.deepEqual(
      h.wecom.uploads.map((upload) => [upload.type, upload.data.equals(TINY_PNG)]),
      [['image', true]],
    );
    assert.ok(h.logs.some((line) => line.includes("an image of Dify's answer could not be fetched") && line.includes('HTTP 404')));
    assert.ok(!h.logs.some((line) => line.includes('app-key-1')), 'the key never reaches the log');
  });
});

describe("Dify's failures", () => {
  const transient = [
    ['429 too_many_requests', { error: { status: 429, code: 'too_many_requests' } }],
    ['429 rate_limit_error', { error: { status: 429, code: 'rate_limit_error' } }],
    ['500 internal_server_error', { error: { status: 500, code: 'internal_server_error' } }],
    ['502 from a proxy, in HTML', { raw: { status: 502, headers: { 'content-type': 'text/html' }, body: '<html>502 Bad Gateway</html>' } }],
    [
      'an error event in the stream (completion_request_error)',
      { streamError: { status: 400, code: 'completion_request_error' }, afterChunks: 2 },
    ],
    ['a stream cut before message_end', { cut: 2 }],
    ['silence past request_timeout', { silenceMs: 1500 }],
  ] as const;
  for (const [name, fault] of transient)
    test(`${name}: retried with the message, then answered once`, async () => {
      const h = await start();
      dify!.failNext(fault);
      await h.client.sendText('zhangsan', '再试');
      await h.wecom.waitForSent(1, 8000);
      await sleep(100);
      assert.deepEqual(sentTexts(h), ['dify: 再试']);
      assert.equal(dify!.requests('/chat-messages').length, 2);
    });

  const told = [
    ['app_unavailable', 400, 'AI 应用暂不可用'],
    ['provider_not_initialize', 400, '模型尚未配置好或额度已用完'],
    ['provider_quota_exceeded', 400, '模型尚未配置好或额度已用完'],
    ['unauthorized', 401, 'dify_api_key'],
  ] as const;
  for (const [code, status, words] of told)
    test(`${status} ${code}: the user is told once, not retried; the log has Dify's code`, async () => {
      const h = await start();
      dify!.failNext({ error: { status, code } });
      await h.client.sendText('zhangsan', '不行');
      await h.wecom.waitForSent(1, 5000);
      await sleep(300);
      assert.equal(sentTexts(h).length, 1);
      assert.ok(sentTexts(h)[0]?.includes(words), sentTexts(h)[0]);
      assert.equal(dify!.requests('/chat-messages').length, 1);
      assert.ok(
        h.logs.some((line) => line.includes('Dify call failed') && line.includes(code)),
        'logged with the code',
      );
    });
});
