import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type FakeOpenAI, silentWav, startFakeOpenAI, TINY_PNG } from '../../fakes/fake-openai.js';
import type { ChatEntry } from '../../simulator/chat-log.js';
import { DEMO_GROUP } from '../../simulator/demo-config.js';
import { type RunningDemo, startDemo } from '../../simulator/start-demo.js';

interface Running {
  demo: RunningDemo;
  url: string;
  logs: string[];
  printed: string[];
}

async function start(env: NodeJS.ProcessEnv = {}, argv: string[] = []): Promise<Running> {
  const logs: string[] = [];
  const printed: string[] = [];
  const demo = await startDemo({
    argv: ['--page-port', '0', ...argv],
    env,
    cwd: mkdtempSync(path.join(tmpdir(), 'weworktop-demo-test-')),
    logSink: { write: (line) => logs.push(line) },
    print: (text) => printed.push(text),
    pollMs: 50,
  });
  return { demo, url: demo.pageUrl, logs, printed };
}

async function post(
  run: Running,
  route: string,
  body: unknown,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(new URL(route, run.url), {
    method: 'POST',
    headers,
    body: Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const entries = async (run: Running): Promise<ChatEntry[]> =>
  ((await (await fetch(new URL('/api/history', run.url))).json()) as { entries: ChatEntry[] }).entries;

/** Polls the page's history until `find` returns something. */
async function waitFor<T>(run: Running, find: (all: ChatEntry[]) => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find(await entries(run));
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(await entries(run)).slice(0, 3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The first stream in `chat` after entry `after`, once finished, with every text it showed on the way. */
async function growingStream(run: Running, chat: string, after: string): Promise<{ entry: ChatEntry; seen: Set<string> }> {
  const seen = new Set<string>();
  const entry = await waitFor(
    run,
    (all) => {
      const stream = all.find((item) => item.chat === chat && item.kind === 'stream' && Number(item.id.slice(1)) > Number(after.slice(1)));
      if (stream) seen.add(stream.text);
      return stream && !stream.streaming ? stream : undefined;
    },
    'the finished stream',
  );
  return { entry, seen };
}

const botIn = (chat: string, after: string) => (all: ChatEntry[]) =>
  all.find(
    (entry) => entry.chat === chat && entry.from === 'bot' && Number(entry.id.slice(1)) > Number(after.slice(1)) && !entry.streaming,
  );
const label = (entry: ChatEntry, text: string) => entry.raw.find((payload) => payload.label.includes(text))?.content ?? '';

describe('the local WeCom simulator, offline (no LLM configured)', () => {
  let run: Running;
  before(async () => {
    run = await start();
  });
  after(() => run.demo.stop());

  test('prints the page URL, serves the page and its assets, and nothing else from disk', async () => {
    assert.match(run.printed.join(''), new RegExp(`Open the chat page:\\s+${run.url.replace(/[.]/g, '\\.')}`));
    assert.match(run.printed.join(''), /Ctrl\+C to stop/);
    const page = await fetch(run.url);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await page.text(), /<title>weworktop simulator<\/title>/);
    assert.equal((await fetch(new URL('/assets/client.js', run.url))).status, 200);
    assert.equal((await fetch(new URL('/assets/start-demo.ts', run.url))).status, 404);
    assert.equal((await fetch(new URL('/assets/..%2F..%2F..%2F..%2Fpackage.json', run.url))).status, 404);
  });

  test('a private message travels as an encrypted callback and the reply arrives through message/send', async () => {
    const sent = await post(run, '/api/send', { user: 'zhangsan', chat: 'single', text: '<b>你好</b>' });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    const reply = await waitFor(run, botIn('single:zhangsan', String(sent.body.id)), 'the private reply');
    assert.equal(reply.kind, 'markdown');
    assert.match(reply.text, /^\[离线模式\] 我不是大模型/);
    assert.match(reply.html ?? '', /「&lt;b&gt;你好&lt;\/b&gt;」/, 'the quoted HTML is escaped');
    assert.match(label(reply, 'message/send'), /"touser": "zhangsan"/);

    const mine = (await entries(run)).find((entry) => entry.id === sent.body.id)!;
    assert.match(label(mine, 'encrypted'), /^<xml><ToUserName><!\[CDATA\[ww[0-9a-f]{16}\]\]><\/ToUserName><Encrypt>/);
    assert.match(label(mine, 'decrypted'), /<Content><!\[CDATA\[<b>你好<\/b>\]\]><\/Content>/);
    assert.equal(label(mine, 'answer'), 'HTTP 200 (empty body: the acknowledgement)');
  });

  test('"@bot ..." in the demo group goes down the AI bot\'s long connection and the stream is shown as its frames arrive', async () => {
    const chat = `group:${DEMO_GROUP.chatId}`;
    const sent = await post(run, '/api/send', { user: 'lisi', chat: 'group', chatId: DEMO_GROUP.chatId, text: '@bot 群里好' });
    assert.equal(sent.status, 200);
    const reply = await growingStream(run, chat, String(sent.body.id));
    // The AI bot shows whom it answers; no "@lisi" line in front.
    assert.match(reply.entry.text, /^\[离线模式\]/);
    assert.match(reply.entry.text, /问题是：「群里好」/, 'the @-mention is stripped before the pipeline');
    assert.ok(reply.seen.size >= 2, `saw the stream grow: ${[...reply.seen].map((text) => text.length).join(' → ')}`);
    assert.match(reply.entry.raw.at(-1)!.label, /^aibot_respond_msg frame #\d+, acked errcode 0$/);
    assert.match(reply.entry.raw.at(-1)!.content, /"finish": true/);
    const mine = (await entries(run)).find((entry) => entry.id === sent.body.id)!;
    assert.match(label(mine, "callback frame, pushed down the bot's long connection"), /"chatid": "wrkSFfCgAAdemogroup01"/);
    assert.match(run.printed.join(''), /the AI bot dials its long connection at ws:\/\/127\.0\.0\.1:\d+/);
  });

  test('a group message without the @-mention never reaches the bot, as in WeCom', async () => {
    const sent = await post(run, '/api/send', { user: 'lisi', chat: 'group', chatId: DEMO_GROUP.chatId, text: 'just chatting' });
    const note = await waitFor(
      run,
      (all) => all.find((entry) => entry.from === 'note' && Number(entry.id.slice(1)) > Number(String(sent.body.id).slice(1))),
      'the note',
    );
    assert.match(note.text, /only messages that @-mention it/);
  });

  test('a group outside group_name_white_list gets no answer, and #chatid tells its id', async () => {
    const silent = await post(run, '/api/send', { user: 'lisi', chat: 'group', chatId: 'wrkOtherGroup', text: '@bot hello?' });
    const note = await waitFor(
      run,
      (all) =>
        all.find(
          (entry) =>
            entry.chat === 'group:wrkOtherGroup' &&
            entry.from === 'note' &&
            Number(entry.id.slice(1)) > Number(String(silent.body.id).slice(1)),
        ),
      'the no-answer note',
    );
    assert.equal(
      note.text,
      'No answer (nothing came back over the long connection): group wrkOtherGroup is not in group_name_white_list / group_name_keyword_white_list (send #chatid there to learn its id)',
    );
    const asked = await post(run, '/api/send', { user: 'lisi', chat: 'group', chatId: 'wrkOtherGroup', text: '@bot #chatid' });
    const reply = await waitFor(run, botIn('group:wrkOtherGroup', String(asked.body.id)), 'the #chatid answer');
    assert.match(reply.text, /wrkOtherGroup/);
  });

  test('any audio is sent as AMR voice; offline, the log says why it is not transcribed', async () => {
    const sent = await post(run, '/api/voice?user=wangwu', silentWav(1), { 'content-type': 'audio/wav' });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    const mine = (await entries(run)).find((entry) => entry.id === sent.body.id)!;
    assert.equal(mine.kind, 'voice');
    assert.match(
      label(mine, 'decrypted'),
      /<MsgType><!\[CDATA\[voice\]\]><\/MsgType><MediaId><!\[CDATA\[sim-[0-9a-f]+\]\]><\/MediaId><Format><!\[CDATA\[amr\]\]>/,
    );
    const played = await fetch(new URL(mine.media![0]!.url, run.url));
    assert.equal(played.headers.get('content-type'), 'audio/mpeg', 'AMR is converted for the browser');
    assert.ok((await played.arrayBuffer()).byteLength > 100);
    await waitFor(
      run,
      () => (run.logs.some((line) => /voice note while speech_recognition is off/.test(line)) ? true : undefined),
      'the log line',
    );
    const note = await waitFor(
      run,
      (all) =>
        all.find(
          (entry) =>
            entry.chat === 'single:wangwu' && entry.from === 'note' && Number(entry.id.slice(1)) > Number(String(sent.body.id).slice(1)),
        ),
      'the note in the chat',
    );
    assert.equal(
      note.text,
      'No answer: voice note while speech_recognition is off (offline, the demo turns speech_recognition off: nothing could transcribe)',
    );
  });

  test('offline, "画 ..." is answered at once instead of waiting on an image model that is not there', async () => {
    const sent = await post(run, '/api/send', { user: 'wangwu', chat: 'single', text: '画一只猫' });
    const reply = await waitFor(run, botIn('single:wangwu', String(sent.body.id)), 'the offline answer', 5000);
    assert.match(reply.text, /问题是：「画一只猫」/);
  });

  test('an image is uploaded to the fake API and the bot says it cannot see images', async () => {
    const sent = await post(run, '/api/image?user=wangwu', TINY_PNG, { 'content-type': 'image/png' });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    const reply = await waitFor(run, botIn('single:wangwu', String(sent.body.id)), 'the image answer');
    assert.match(reply.text, /看不了图片/);
  });

  test('a WeChat customer (微信客服): the welcome, kf_msg_or_event then the pull, the answer through kf/send_msg; a servicer silences the bot until the session ends', async () => {
    const customer = 'wmDemoCustomerXiaoming';
    const chat = `kf:${customer}`;
    const opened = await post(run, '/api/kf/enter', { user: customer });
    const welcome = await waitFor(run, botIn(chat, String(opened.body.id)), 'the welcome');
    assert.match(welcome.text, /演示客服/);
    assert.match(label(welcome, 'send_msg_on_event'), /"code": "CODE_welcome_/);
    const sent = await post(run, '/api/send', { user: customer, chat: 'kf', text: '我的快递到哪了' });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    const reply = await waitFor(run, botIn(chat, String(sent.body.id)), 'the answer');
    assert.match(reply.text, /问题是：「我的快递到哪了」/);
    assert.match(label(reply, 'kf/send_msg'), /"msgid": "wt[\w-]+"/);
    const mine = (await entries(run)).find((entry) => entry.id === sent.body.id)!;
    assert.match(label(mine, 'decrypted'), /<Event><!\[CDATA\[kf_msg_or_event\]\]><\/Event><Token>/);
    assert.ok(
      run.logs.some((line) => /微信客服: message received .*nickname=小明/.test(line)),
      'the nickname from customer/batchget',
    );

    await post(run, '/api/kf/servicer', { user: customer, text: '您好，我是人工客服' });
    const asked = await post(run, '/api/send', { user: customer, chat: 'kf', text: '好的谢谢' });
    const note = await waitFor(
      run,
      (all) =>
        all.find(
          (entry) => entry.chat === chat && entry.from === 'note' && Number(entry.id.slice(1)) > Number(String(asked.body.id).slice(1)),
        ),
      'the silence note',
    );
    assert.match(note.text, /the session is not the bot's/);
    const ended = await post(run, '/api/kf/end', { user: customer });
    const again = await post(run, '/api/send', { user: customer, chat: 'kf', text: '还在吗' });
    assert.ok(Number(String(again.body.id).slice(1)) > Number(String(ended.body.id).slice(1)));
    const back = await waitFor(run, botIn(chat, String(again.body.id)), 'the bot answering again');
    assert.match(back.text, /问题是：「还在吗」/);
  });

  test('opening a private chat sends enter_agent, answered with the welcome message', async () => {
    const opened = await post(run, '/api/enter', { user: 'zhaoliu' });
    const welcome = await waitFor(run, botIn('single:zhaoliu', String(opened.body.id)), 'the welcome');
    assert.match(welcome.text, /本地演示/);
  });

  test('bad requests are refused with the reason', async () => {
    assert.match(
      String((await post(run, '/api/send', { user: 'a b', chat: 'single', text: 'x' })).body.error),
      /user must be a WeCom user id/,
    );
    assert.match(String((await post(run, '/api/send', { user: 'a', chat: 'single', text: ' ' })).body.error), /text must be/);
    assert.match(
      String((await post(run, '/api/image?user=a', Buffer.from('x'), { 'content-type': 'text/plain' })).body.error),
      /expected an image/,
    );
    const notAudio = await post(run, '/api/voice?user=a', Buffer.from('not audio at all'), { 'content-type': 'audio/wav' });
    assert.equal(notAudio.status, 400);
    assert.match(String(notAudio.body.error), /could not convert this file to AMR/);
  });

  test('the page gets every new entry as a server-sent event', async () => {
    const controller = new AbortController();
    const response = await fetch(new URL('/api/events', run.url), { signal: controller.signal });
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = response.body!.getReader();
    await post(run, '/api/send', { user: 'zhangsan', chat: 'single', text: 'via sse' });
    let text = '';
    while (!text.includes('via sse')) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    assert.match(text, /data: \{"type":"entry","entry":\{/);
  });
});

describe("the simulator with --bot-mode webhook: the AI bot's callback URL", () => {
  let run: Running;
  before(async () => {
    run = await start({}, ['--bot-mode', 'webhook']);
  });
  after(() => run.demo.stop());

  test('"@bot ..." goes as an encrypted callback and the stream is shown as WeCom\'s polls read it', async () => {
    const chat = `group:${DEMO_GROUP.chatId}`;
    const sent = await post(run, '/api/send', { user: 'lisi', chat: 'group', chatId: DEMO_GROUP.chatId, text: '@bot 群里好' });
    const reply = await growingStream(run, chat, String(sent.body.id));
    assert.match(reply.entry.text, /问题是：「群里好」/);
    assert.ok(reply.seen.size >= 2, `saw the stream grow: ${[...reply.seen].map((text) => text.length).join(' → ')}`);
    assert.match(label(reply.entry, 'answer, decrypted'), /"finish": true/);
    const mine = (await entries(run)).find((entry) => entry.id === sent.body.id)!;
    assert.match(label(mine, 'encrypt, decrypted'), /"chatid": "wrkSFfCgAAdemogroup01"/);
    assert.match(run.printed.join(''), /and http:\/\/127\.0\.0\.1:\d+\/wework_bot_callback \(AI bot\)/);
  });

  test('a mode that is neither is refused with the flag named', async () => {
    await assert.rejects(
      start({}, ['--bot-mode', 'socket']),
      /--bot-mode: expected "websocket" \(the long connection, the default\) or "webhook" \(the callback URL\), found "socket"/,
    );
  });
});

describe("the simulator's usual page port taken", () => {
  test('the page moves to a free port and the banner says so', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    const printed: string[] = [];
    const demo = await startDemo({
      argv: ['--page-port', String(port)],
      env: {},
      cwd: mkdtempSync(path.join(tmpdir(), 'weworktop-demo-port-')),
      logSink: { write: () => {} },
      print: (text) => printed.push(text),
    });
    try {
      assert.notEqual(new URL(demo.pageUrl).port, String(port));
      assert.match(
        printed.join(''),
        new RegExp(
          `\\(port ${port} is taken, another demo still running\\? So the page is on ${new URL(demo.pageUrl).port}; --page-port chooses\\)`,
        ),
      );
    } finally {
      await demo.stop();
      blocker.close();
    }
  });
});

describe('the simulator with an OpenAI-compatible server configured', () => {
  let openai: FakeOpenAI;
  let run: Running;
  before(async () => {
    openai = await startFakeOpenAI();
    run = await start({
      OPEN_AI_API_KEY: 'sk-demo-test-key-0001',
      OPEN_AI_API_BASE: openai.url,
      WEWORKTOP_PORT: '1',
      WECHATCOMAPP_PORT: '1',
      WECHATCOMAPP_TOKEN: 'NotTheDemos',
      CHANNEL_TYPE: 'terminal',
    });
  });
  after(async () => {
    await run.demo.stop();
    await openai.close();
  });

  test('answers come from the model, voice is transcribed, and WEWORKTOP_* / WECHATCOMAPP_* / CHANNEL_TYPE cannot redirect the demo', async () => {
    assert.match(run.printed.join(''), /Answers come from: gpt-4o-mini at http:\/\/127\.0\.0\.1:\d+\/v1/);
    const sent = await post(run, '/api/send', { user: 'zhangsan', chat: 'single', text: 'hello model' });
    const reply = await waitFor(run, botIn('single:zhangsan', String(sent.body.id)), 'the model answer');
    assert.equal(reply.text, 'echo: hello model');

    const voice = await post(run, '/api/voice?user=zhangsan', silentWav(1), { 'content-type': 'audio/wav' });
    const heard = await waitFor(run, botIn('single:zhangsan', String(voice.body.id)), 'the voice answer');
    assert.match(heard.text, /transcribed text/);
    assert.doesNotMatch(run.logs.join(''), /sk-demo-test-key-0001/);
  });
});
