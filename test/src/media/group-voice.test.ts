import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type FakeOpenAI, startFakeOpenAI } from '../../../fakes/fake-openai.js';
import { createOpenAIClient } from '../../../src/backends/openai/client.js';
import { createLogger } from '../../../src/logger.js';
import { openAITranscriber } from '../../../src/media/openai-transcriber.js';
import { WavSpeechRecognizer } from '../../../src/media/wav-speech-recognizer.js';
import { createHarness } from '../../support/pipeline-harness.js';
import { answerAndSend, RecordingChannel, textMessage } from '../../support/recording-channel.js';
import { tone } from './media-fixtures.js';

let openai: FakeOpenAI;
before(async () => (openai = await startFakeOpenAI()));
after(() => openai.close());

test('group voice (group_speech_recognition on): the transcript must pass the group trigger, which is stripped', async () => {
  const client = createOpenAIClient(
    { open_ai_api_key: 'sk-test', open_ai_api_base: openai.url, proxy: '', request_timeout: 10, max_retries: 0 },
    createLogger({ level: 'silent', secrets: [] }),
  );
  const speech = new WavSpeechRecognizer({
    engine: 'openai',
    ffmpegPath: '',
    transcribe: openAITranscriber(client, 'whisper-1', 'zh-CN'),
    logger: createLogger({ level: 'silent', secrets: [] }),
  });
  const { pipeline, logs } = await createHarness({
    openaiUrl: openai.url,
    speech,
    config: {
      group_speech_recognition: true,
      group_name_white_list: ['ALL_GROUP'],
      group_chat_prefix: ['小助手'],
      group_chat_keyword: ['天气'],
    },
  });
  const channel = new RecordingChannel();
  const transcripts = ['小助手 帮我订会议室', '大家中午吃什么', '明天天气如何'];
  openai.setTranscriber(() => transcripts.shift() ?? '');
  const voice = () =>
    textMessage('', {
      kind: 'voice',
      chatType: 'group',
      groupId: 'g1',
      groupName: '产品群',
      media: { format: 'amr', load: async () => tone(1, 'amr') },
    });
  for (let i = 0; i < 3; i++) await answerAndSend(pipeline, voice(), channel);
  assert.deepEqual(channel.texts, [
    '@zhangsan\n「小助手 帮我订会议室」\n\necho: 帮我订会议室',
    '@zhangsan\n「明天天气如何」\n\necho: 明天天气如何',
  ]);
  assert.equal(openai.transcriptionRequests().length, 3, 'every group voice note is transcribed before the rules');
  assert.ok(
    logs.some((line) => line.includes('ignored:')),
    'the untriggered one is logged',
  );
});
