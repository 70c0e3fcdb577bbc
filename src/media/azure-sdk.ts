import type * as Sdk from 'microsoft-cognitiveservices-speech-sdk';
import type { AzureCredentials, AzureRecognition, AzureRecognizer, AzureSpeaker, AzureSynthesis } from './azure-speech.js';

type SpeechSdk = typeof Sdk;

/** A voice note is at most 60 s; recognition that runs much longer has hung. */
const RECOGNITION_TIMEOUT_MS = 120_000;

// Loaded on first use: the SDK is large and most set-ups never call Azure.
let sdkPromise: Promise<SpeechSdk> | undefined;
const loadSdk = () =>
  (sdkPromise ??= import('microsoft-cognitiveservices-speech-sdk').then((module) => (module.default ?? module) as SpeechSdk));

/** `endpoint` replaces the region's service URL: Speech containers, or a local server in tests. */
export type AzureConnection = AzureCredentials & { endpoint?: URL };

function speechConfig(sdk: SpeechSdk, connection: AzureConnection): Sdk.SpeechConfig {
  return connection.endpoint
    ? sdk.SpeechConfig.fromEndpoint(connection.endpoint, connection.key)
    : sdk.SpeechConfig.fromSubscription(connection.key, connection.region);
}

/**
 * Continuous recognition, not recognizeOnce: recognizeOnce stops at the first pause, and a
 * 60-second voice note has many.
 */
export function createSdkRecognizer(connection: AzureConnection, language: string): AzureRecognizer {
  return {
    async recognize(wav: Buffer): Promise<AzureRecognition> {
      const sdk = await loadSdk();
      const config = speechConfig(sdk, connection);
      config.speechRecognitionLanguage = language;
      const recognizer = new sdk.SpeechRecognizer(config, sdk.AudioConfig.fromWavFileInput(wav));
      const texts: string[] = [];
      return new Promise((resolve) => {
        let errorDetails: string | undefined;
        let done = false;
        const finish = () => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          const settle = () => {
            recognizer.close();
            const text = texts.join(/^(zh|ja|ko)/i.test(language) ? '' : ' ');
            resolve(
              errorDetails !== undefined ? { reason: 'canceled', text, errorDetails } : { reason: text ? 'recognized' : 'no_match', text },
            );
          };
          recognizer.stopContinuousRecognitionAsync(settle, settle);
        };
        const timer = setTimeout(() => {
          errorDetails = `no result within ${RECOGNITION_TIMEOUT_MS} ms`;
          finish();
        }, RECOGNITION_TIMEOUT_MS);
        recognizer.recognized = (_sender, event) => {
          if (event.result.reason === sdk.ResultReason.RecognizedSpeech && event.result.text) texts.push(event.result.text);
        };
        recognizer.canceled = (_sender, event) => {
          if (event.reason === sdk.CancellationReason.Error)
            errorDetails = `${sdk.CancellationErrorCode[event.errorCode]}: ${event.errorDetails}`;
          finish();
        };
        recognizer.sessionStopped = () => finish();
        recognizer.startContinuousRecognitionAsync(undefined, (error) => {
          errorDetails = error;
          finish();
        });
      });
    },
  };
}

export function createSdkSpeaker(connection: AzureConnection, voice: string): AzureSpeaker {
  return {
    async speak(text: string): Promise<AzureSynthesis> {
      const sdk = await loadSdk();
      const config = speechConfig(sdk, connection);
      config.speechSynthesisVoiceName = voice;
      config.speechSynthesisOutputFormat = sdk.SpeechSynthesisOutputFormat.Riff16Khz16BitMonoPcm;
      // No audio config: keep the audio in memory instead of playing it on a speaker.
      const synthesizer = new sdk.SpeechSynthesizer(config, null);
      return new Promise((resolve) => {
        synthesizer.speakTextAsync(
          text,
          (result) => {
            synthesizer.close();
            if (result.reason === sdk.ResultReason.SynthesizingAudioCompleted)
              resolve({ reason: 'completed', audio: Buffer.from(result.audioData) });
            else
              resolve({ reason: 'canceled', audio: Buffer.alloc(0), errorDetails: result.errorDetails || sdk.ResultReason[result.reason] });
          },
          (error) => {
            synthesizer.close();
            resolve({ reason: 'canceled', audio: Buffer.alloc(0), errorDetails: error });
          },
        );
      });
    },
  };
}
