import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type FakeOpenAI, silentWav, startFakeOpenAI } from '../../../fakes/fake-openai.js';
import { createOpenAIClient } from '../../../src/backends/openai/client.js';
import { createLogger } from '../../../src/logger.js';
import type { AzureRecognition, AzureRecognizer } from '../../../src/media/azure-speech.js';
import { AzureSynthesizer, azureVoiceName } from '../../../src/media/azure-synthesizer.js';
import { azureTranscriber } from '../../../src/media/azure-transcriber.js';
import type { WavTranscriber } from '../../../src/media/media-engines.js';
import { mediaMessages } from '../../../src/media/media-messages.js';
import { OpenAISynthesizer } from '../../../src/media/openai-synthesizer.js';
import { openAITranscriber } from '../../../src/media/openai-transcriber.js';
import { WavSpeechRecognizer } from '../../../src/media/wav-speech-recognizer.js';
import { UserFacingError } from '../../../src/user-facing-error.js';
import { closedPort } from '../../support/closed-port.js';
import { probeAudio, tone } from './media-fixtures.js';

function recognizer(transcribe: WavTranscriber, engine = 'test') {
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', secrets: [], sink: { write: (line) => logs.push(line) } });
  return { speech: new WavSpeechRecognizer({ engine, ffmpegPath: '', transcribe, logger }), logs };
}

const rejectsWith = (userMessage: string) => (error: unknown) => error instanceof UserFacingError && error.userMessage === userMessage;

describe('WavSpeechRecognizer', () => {
  test('hands the engine 16 kHz mono WAV of the voice note and returns the trimmed transcript', async () => {
    const received: Buffer[] = [];
    const { speech } = recognizer(async (wav) => (received.push(wav), '  你好  '));
    assert.equal(await speech.transcribe(tone(2, 'amr'), 'amr'), '你好');
    const probed = probeAudio(received[0]!);
    assert.deepEqual([probed.codec, probed.sampleRate, probed.channels], ['pcm_s16le', 16000, 'mono']);
    assert.ok(Math.abs(probed.seconds - 2) < 0.1);
  });

  test("unreadable audio: one sentence for the user, ffmpeg's reason in the log, the engine never called", async () => {
    let called = false;
    const { speech, logs } = recognizer(async () => ((called = true), 'x'));
    await assert.rejects(speech.transcribe(Buffer.from('not audio, just text'), 'amr'), rejectsWith(mediaMessages.voiceUnreadable));
    assert.equal(called, false);
    assert.ok(
      logs.some((line) => line.includes('voice conversion to WAV failed') && line.includes('Invalid data found')),
      logs.join(''),
    );
  });

  test('engine failure: one sentence for the user, the cause in the log', async () => {
    const { speech, logs } = recognizer(async () => {
      throw new Error('401 invalid subscription key');
    }, 'azure');
    await assert.rejects(speech.transcribe(tone(1, 'amr'), 'amr'), rejectsWith(mediaMessages.speechFailed));
    assert.ok(
      logs.some(
        (line) =>
          line.includes('speech recognition failed') && line.includes('401 invalid subscription key') && line.includes('engine=azure'),
      ),
    );
  });

  test('nothing heard: empty transcript (the pipeline says so) and a log line', async () => {
    const { speech, logs } = recognizer(async () => ' ');
    assert.equal(await speech.transcribe(tone(1, 'amr'), 'amr'), '');
    assert.ok(logs.some((line) => line.includes('speech recognition heard nothing')));
  });
});

describe('Azure engines (SDK behind a fake)', () => {
  const fakeRecognizer = (result: AzureRecognition): AzureRecognizer & { heard: Buffer[] } => {
    const heard: Buffer[] = [];
    return { heard, recognize: async (wav) => (heard.push(wav), result) };
  };

  test('recognized speech is the transcript; the recognizer gets the WAV', async () => {
    const fake = fakeRecognizer({ reason: 'recognized', text: '明天天气怎么样？' });
    const { speech } = recognizer(azureTranscriber(fake), 'azure');
    assert.equal(await speech.transcribe(tone(1, 'amr'), 'amr'), '明天天气怎么样？');
    assert.equal(probeAudio(fake.heard[0]!).sampleRate, 16000);
  });

  test('no match is an empty transcript', async () => {
    const { speech } = recognizer(azureTranscriber(fakeRecognizer({ reason: 'no_match', text: '' })), 'azure');
    assert.equal(await speech.transcribe(tone(1, 'amr'), 'amr'), '');
  });

  test("canceled is a failure whose log line carries Azure's error details", async () => {
    const { speech, logs } = recognizer(
      azureTranscriber(
        fakeRecognizer({ reason: 'canceled', text: '', errorDetails: 'AuthenticationFailure: WebSocket upgrade failed (401)' }),
      ),
      'azure',
    );
    await assert.rejects(speech.transcribe(tone(1, 'amr'), 'amr'), rejectsWith(mediaMessages.speechFailed));
    assert.ok(logs.some((line) => line.includes('Azure recognition canceled: AuthenticationFailure: WebSocket upgrade failed (401)')));
  });

  test('synthesis: completed audio is WAV; canceled or empty is an error (the pipeline falls back to text)', async () => {
    const wav = silentWav(1);
    assert.deepEqual(await new AzureSynthesizer({ speak: async () => ({ reason: 'completed', audio: wav }) }).synthesize('你好'), {
      data: wav,
      format: 'wav',
    });
    await assert.rejects(
      new AzureSynthesizer({
        speak: async () => ({ reason: 'canceled', audio: Buffer.alloc(0), errorDetails: 'voice not found' }),
      }).synthesize('x'),
      /Azure synthesis canceled: voice not found/,
    );
    await assert.rejects(
      new AzureSynthesizer({ speak: async () => ({ reason: 'completed', audio: Buffer.alloc(0) }) }).synthesize('x'),
      /no audio/,
    );
  });

  test('an OpenAI voice name (the default "alloy") falls back to an Azure voice', () => {
    assert.equal(azureVoiceName('alloy'), 'zh-CN-XiaoxiaoNeural');
    assert.equal(azureVoiceName('en-US-JennyNeural'), 'en-US-JennyNeural');
    assert.equal(azureVoiceName('zh-CN-YunxiNeural'), 'zh-CN-YunxiNeural');
  });
});

describe('OpenAI engines against the fake server', () => {
  let openai: FakeOpenAI;
  before(async () => (openai = await startFakeOpenAI()));
  after(() => openai.close());
  const client = () =>
    createOpenAIClient(
      { open_ai_api_key: 'sk-test', open_ai_api_base: openai.url, proxy: '', request_timeout: 10, max_retries: 0 },
      createLogger({ level: 'silent', secrets: [] }),
    );

  test('transcription sends the WAV with the model and the ISO 639-1 language', async () => {
    openai.reset();
    openai.setTranscriber((request) => `${request.model}/${request.language}/${request.fileName}/${probeAudio(request.file).container}`);
    const transcribe = openAITranscriber(client(), 'whisper-large-v3', 'zh-CN');
    assert.equal(await transcribe(silentWav(1)), 'whisper-large-v3/zh/voice.wav/wav');
  });

  test('a transcription server that cannot be reached is a transient failure (the message is tried again later); a 400 is not', async () => {
    const unreachable = createOpenAIClient(
      {
        open_ai_api_key: 'sk-test',
        open_ai_api_base: `http://127.0.0.1:${await closedPort()}/v1`,
        proxy: '',
        request_timeout: 10,
        max_retries: 0,
      },
      createLogger({ level: 'silent', secrets: [] }),
    );
    const down = await recognizer(openAITranscriber(unreachable, 'whisper-1', 'zh-CN'), 'openai')
      .speech.transcribe(tone(1, 'amr'), 'amr')
      .catch((error: unknown) => error);
    assert.ok(down instanceof UserFacingError && down.userMessage === mediaMessages.speechFailed, String(down));
    assert.equal(down.transient, true);
    openai.reset();
    openai.setTranscriber(() => {
      throw new Error('unsupported audio');
    });
    const refused = await recognizer(openAITranscriber(client(), 'whisper-1', 'zh-CN'), 'openai')
      .speech.transcribe(tone(1, 'amr'), 'amr')
      .catch((error: unknown) => error);
    assert.ok(refused instanceof UserFacingError && refused.transient === false, String(refused));
  });

  test('speech: the bytes decide the format, whatever was asked for', async () => {
    openai.reset();
    const mp3 = tone(1, 'mp3');
    openai.setSpeech(() => mp3);
    const synthesizer = new OpenAISynthesizer({ client: client(), model: 'tts-1', voice: 'nova' });
    assert.deepEqual(await synthesizer.synthesize('你好'), { data: mp3, format: 'mp3' });
    assert.deepEqual(openai.speechRequests()[0], { model: 'tts-1', voice: 'nova', input: '你好', response_format: 'mp3' });
    openai.setSpeech(() => silentWav(1));
    assert.equal((await synthesizer.synthesize('x')).format, 'wav');
    openai.setSpeech(() => Buffer.from('{"status":"ok"}'));
    await assert.rejects(synthesizer.synthesize('x'), /not mp3, wav, ogg or amr/);
  });
});
