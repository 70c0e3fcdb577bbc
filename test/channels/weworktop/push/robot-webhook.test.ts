import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { SendPacer } from '../../../../channels/weworktop/app/app-replier.js';
import { RobotWebhooks } from '../../../../channels/weworktop/push/robot-webhook.js';
import { createWeComHttp } from '../../../../channels/weworktop/wecom/http-client.js';
import { type FakeWeCom, startFakeWeCom } from '../../../../fakes/fake-wecom.js';

const KEY = '0d7c2a9e-1111-4bbb-8ccc-0123456789ab';
let wecom: FakeWeCom;
before(async () => {
  wecom = await startFakeWeCom({ corpId: 'wxcorp', apps: [] });
});
after(() => wecom.close());

const counting = () => {
  let index = 0;
  return { alreadySent: () => index++ < 0, sent: () => {} };
};

it('keeps a group robot under 20 messages a minute: the 21st waits for the window instead of meeting 45009', async () => {
  let clock = 0;
  const waits: number[] = [];
  const pacer = new SendPacer({
    maxPerWindow: 20,
    windowMs: 60_000,
    now: () => clock,
    sleep: async (ms) => {
      waits.push(ms);
      clock += ms;
      // The fake's own minute passes too.
      wecom.robotMessages.length = 0;
    },
  });
  const robots = new RobotWebhooks(
    { ops: KEY },
    wecom.url,
    createWeComHttp({ timeoutMs: 2000, proxy: '' }),
    async () => Buffer.alloc(0),
    pacer,
  );
  for (let i = 0; i < 21; i++) await robots.push('ops', { text: `message ${i}` }, counting());
  assert.equal(waits.length, 1);
  assert.ok(waits[0]! >= 60_000, `waited ${waits[0]} ms`);
  assert.deepEqual(
    wecom.robotMessages.map((message) => (message.body.text as { content: string }).content),
    ['message 20'],
  );
});

it('sends to a robot given as its whole webhook URL', async () => {
  wecom.reset();
  const robots = new RobotWebhooks(
    { ops: `${wecom.url}/cgi-bin/webhook/send?key=${KEY}` },
    'https://unused.example',
    createWeComHttp({ timeoutMs: 2000, proxy: '' }),
    async () => Buffer.alloc(0),
  );
  await robots.push('ops', { text: 'via URL' }, counting());
  assert.equal(wecom.robotMessages[0]!.key, KEY);
});
