import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { silentWav } from '../../fakes/fake-openai.js';
import { type RunningDemo, startDemo } from '../../simulator/start-demo.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = '/usr/bin/chromium';
const OUTPUT = path.join(ROOT, 'test-output');
/** What docs/demo.png shows, in words: the texts of the page at the moment it was taken. */
const SHOWN = path.join(ROOT, 'docs', 'demo.png.json');

/** The page's visible texts that do not change from run to run (no times, ids or generated credentials); run in the page. */
const SHOWN_ON_PAGE = `(() => {
  const text = (selector) => document.querySelector(selector)?.textContent?.trim() ?? '';
  const texts = (selector) => [...document.querySelectorAll(selector)].map((node) => node.textContent.trim());
  return {
    brand: text('.brand'),
    answers: text('#llm'),
    sections: texts('.side h2'),
    chats: texts('.chat-option b'),
    title: text('#chat-title'),
    hint: text('#chat-hint'),
    facts: texts('#facts dt'),
    messages: [...document.querySelectorAll('#messages > li')].map((node) => ({ class: node.className, kind: node.dataset.kind, text: node.querySelector('.bubble')?.textContent?.trim() ?? '' })),
    composer: texts('#composer label, #composer button'),
    log: text('.server-log summary'),
  };
})()`;

const shownOnPage = (page: Page) => page.evaluate<Record<string, unknown>>(SHOWN_ON_PAGE);
// CI must run this test: there a missing browser is a failure, not a skip.
const skip =
  !existsSync(CHROMIUM) && !process.env.CI
    ? `no browser at ${CHROMIUM} (apt-get install -y chromium); set CI=true to make this a failure`
    : false;

describe('the simulator page in a real browser (headless chromium)', { skip }, () => {
  let demo: RunningDemo;
  let browser: Browser;
  let page: Page;

  before(async () => {
    demo = await startDemo({
      argv: ['--page-port', '0'],
      env: {},
      cwd: mkdtempSync(path.join(tmpdir(), 'weworktop-browser-')),
      logSink: { write: () => {} },
      print: () => {},
      pollMs: 300,
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    mkdirSync(OUTPUT, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  const botReply = (text: string) => page.locator('.msg.from-bot:not(.streaming) .bubble', { hasText: text });

  test('a private message: the welcome, the offline answer, a voice note; the payloads are one click away', async () => {
    await page.goto(demo.pageUrl);
    await page.locator('#facts dd').first().waitFor();
    await botReply('本地演示').waitFor({ timeout: 10_000 });

    await page.fill('#text', '你好，介绍一下你自己');
    await page.click('#send');
    await botReply('我不是大模型').waitFor({ timeout: 10_000 });
    assert.match(await botReply('我不是大模型').innerText(), /问题是：「你好，介绍一下你自己」/);

    await page.setInputFiles('#voice', { name: 'hello.wav', mimeType: 'audio/wav', buffer: silentWav(1) });
    await page.locator('.msg.from-user audio').waitFor({ timeout: 10_000 });

    const mine = page.locator('.msg.from-user', { hasText: '你好，介绍一下你自己' });
    await mine.locator('summary').click();
    assert.match(
      await mine.locator('.payloads').innerText(),
      /Encrypt, decrypted[\s\S]*<Content><!\[CDATA\[你好，介绍一下你自己\]\]><\/Content>/,
    );
    await page.screenshot({ path: path.join(OUTPUT, 'simulator-private.png') });
  });

  test('in the group only @bot messages reach the bot, over its long connection; its stream answer appears', async () => {
    await page.check('input[name=chat][value=group]');
    await page.locator('#chat-title', { hasText: '演示群' }).waitFor();
    await page.fill('#text', '大家好，今天谁主持站会？');
    await page.click('#send');
    await page.locator('.msg.note', { hasText: 'Not sent to the bot' }).waitFor();

    await page.fill('#text', '@bot 今天的站会几点开始？');
    await page.click('#send');
    await botReply('我不是大模型').waitFor({ timeout: 15_000 });
    const answer = await botReply('我不是大模型').innerText();
    // WeCom shows the AI bot's answer quoting the asker: no "@zhangsan" line in the text.
    assert.doesNotMatch(answer, /^@zhangsan/);
    assert.match(answer, /问题是：「今天的站会几点开始？」/);
    await page.click('.server-log summary');
    await page.locator('#log', { hasText: 'AI bot message received' }).waitFor();
    await page.screenshot({ path: path.join(OUTPUT, 'simulator-group.png') });
    // The README's picture is refreshed on request only, so a test run leaves the repo unchanged;
    // what it shows is kept beside it, and the page must still show that.
    const shown = await shownOnPage(page);
    if (process.env.UPDATE_SCREENSHOTS) {
      copyFileSync(path.join(OUTPUT, 'simulator-group.png'), path.join(ROOT, 'docs', 'demo.png'));
      writeFileSync(SHOWN, `${JSON.stringify(shown, null, 2)}\n`);
    }
    assert.deepEqual(
      shown,
      JSON.parse(readFileSync(SHOWN, 'utf8')),
      'docs/demo.png shows another page: refresh it with UPDATE_SCREENSHOTS=1 npx tsx --test test/simulator/browser.e2e.test.ts',
    );

    const reply = page.locator('.msg.from-bot', { hasText: '今天的站会' });
    await reply.locator('summary').click();
    // The demo's AI bot is on its long connection: each stream frame it wrote, as WeCom acked it.
    assert.match(
      await reply.locator('.payloads').innerText(),
      /aibot_respond_msg frame #\d+, acked errcode 0[\s\S]*"msgtype": "stream"[\s\S]*"finish": true/,
    );
  });

  test('a WeChat customer (微信客服): the welcome, the answer pulled and sent, a servicer taking over and ending the session', async () => {
    await page.check('input[name=chat][value=kf]');
    await page.locator('#chat-title', { hasText: 'WeChat customer' }).waitFor();
    await botReply('演示客服').waitFor({ timeout: 10_000 });
    await page.fill('#text', '请问怎么退货？');
    await page.click('#send');
    await botReply('怎么退货').waitFor({ timeout: 10_000 });
    await page.check('#as-servicer');
    await page.fill('#text', '您好，我来帮您处理退货');
    await page.click('#send');
    await page.locator('.msg.from-servicer', { hasText: '我来帮您处理退货' }).waitFor();
    await page.uncheck('#as-servicer');
    await page.fill('#text', '好的，谢谢');
    await page.click('#send');
    await page.locator('.msg.note', { hasText: "the session is not the bot's" }).waitFor({ timeout: 10_000 });
    await page.click('#end-session');
    await page.locator('.msg.note', { hasText: 'ended the session' }).waitFor();
    await page.screenshot({ path: path.join(OUTPUT, 'simulator-kf.png') });
  });
});
