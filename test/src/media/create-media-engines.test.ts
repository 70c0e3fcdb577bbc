import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { channelRegistry } from '../../../channels/registry.js';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/logger.js';
import { AzureSynthesizer } from '../../../src/media/azure-synthesizer.js';
import { createMediaEngines } from '../../../src/media/create-media-engines.js';
import { imageEngineNamed, imageEngines, synthesizers, transcribers } from '../../../src/media/engine-registries.js';
import { OpenAIImageGenerator } from '../../../src/media/openai-image-generator.js';
import { OpenAISynthesizer } from '../../../src/media/openai-synthesizer.js';
import { WavSpeechRecognizer } from '../../../src/media/wav-speech-recognizer.js';

async function enginesFor(keys: Record<string, unknown>) {
  const dir = mkdtempSync(path.join(tmpdir(), 'weworktop-media-'));
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(keys));
  const { config } = await loadConfig({ argv: [], env: {}, cwd: dir, channels: channelRegistry });
  return createMediaEngines(config, createLogger({ level: 'silent', secrets: [] }));
}

const configError = (key: string, expected: RegExp) => (error: unknown) =>
  error instanceof ConfigError && error.key === key && expected.test(error.message);

describe('createMediaEngines', () => {
  test('defaults: OpenAI speech recognition and images, no synthesizer until a voice reply is wanted', async () => {
    const engines = await enginesFor({});
    assert.ok(engines.speech instanceof WavSpeechRecognizer);
    assert.ok(engines.images instanceof OpenAIImageGenerator);
    assert.equal(engines.synthesizer, undefined);
    assert.ok((await enginesFor({ voice_reply_voice: true })).synthesizer instanceof OpenAISynthesizer);
    assert.ok((await enginesFor({ always_reply_voice: true })).synthesizer instanceof OpenAISynthesizer);
  });

  test('no speech engine when both recognition gates are off', async () => {
    assert.equal((await enginesFor({ speech_recognition: false })).speech, undefined);
    assert.ok((await enginesFor({ speech_recognition: false, group_speech_recognition: true })).speech);
  });

  test('Azure without a key or region is a ConfigError naming the key and the setting that needs it', async () => {
    await assert.rejects(
      enginesFor({ voice_to_text: 'azure' }),
      configError('azure_voice_api_key', /expected an Azure Speech key \(voice_to_text is "azure"\), found nothing/),
    );
    await assert.rejects(
      enginesFor({ voice_to_text: 'azure', azure_voice_api_key: 'k'.repeat(32) }),
      configError('azure_voice_region', /region/),
    );
    await assert.rejects(
      enginesFor({ text_to_voice: 'azure', voice_reply_voice: true }),
      configError('azure_voice_api_key', /text_to_voice is "azure"/),
    );
  });

  test('Azure credentials are only needed by engines that are used', async () => {
    const engines = await enginesFor({ voice_to_text: 'azure', speech_recognition: false, text_to_voice: 'azure' });
    assert.equal(engines.speech, undefined);
    assert.equal(engines.synthesizer, undefined);
    const azure = await enginesFor({
      voice_to_text: 'azure',
      text_to_voice: 'azure',
      always_reply_voice: true,
      azure_voice_api_key: 'k'.repeat(32),
      azure_voice_region: 'eastasia',
    });
    assert.ok(azure.speech instanceof WavSpeechRecognizer);
    assert.ok(azure.synthesizer instanceof AzureSynthesizer);
  });

  test('voice_to_text and text_to_voice take the names of their registries; text_to_image is a model of the OpenAI-compatible images endpoint', async () => {
    assert.deepEqual([transcribers.names, synthesizers.names, imageEngines.names], [['openai', 'azure'], ['openai', 'azure'], ['openai']]);
    await assert.rejects(enginesFor({ voice_to_text: 'whisper' }), configError('voice_to_text', /openai.*azure/));
    await assert.rejects(enginesFor({ text_to_voice: 'edge' }), configError('text_to_voice', /openai.*azure/));
    assert.equal(imageEngineNamed('gpt-image-1'), 'openai');
    const { images } = await enginesFor({ text_to_image: 'gpt-image-1' });
    assert.ok(images instanceof OpenAIImageGenerator);
  });

  test('the app stops at start-up with the one config line, and the key never appears', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'weworktop-media-app-'));
    writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({ voice_to_text: 'azure', azure_voice_api_key: 'azure-secret-key-000111', log_level: 'debug' }),
    );
    const app = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../app.ts');
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), app], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdin.end();
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.notEqual(code, 0);
    // The terminal channel logs to stderr; engines are checked where they are built, after the first log lines.
    assert.equal(
      stderr.trim().split('\n').at(-1),
      'config error: azure_voice_region: expected the Azure Speech region, e.g. "eastasia" (voice_to_text is "azure"), found nothing',
    );
    assert.equal(stderr.split('\n').filter((line) => line.startsWith('config error')).length, 1);
    assert.ok(!`${stdout}${stderr}`.includes('azure-secret-key-000111'));
  });
});
