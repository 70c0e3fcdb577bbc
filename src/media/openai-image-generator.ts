import OpenAI from 'openai';
import { createOpenAIClient, type OpenAIConnection } from '../backends/openai/client.js';
import { endpointMissing } from '../backends/openai/endpoint-not-found.js';
import { isOutage } from '../backends/openai/outage.js';
import type { CoreConfig } from '../config/schema.js';
import type { Logger } from '../logger.js';
import { UserFacingError } from '../user-facing-error.js';
import { downloadBytes } from './download-bytes.js';
import { toSendableImage } from './image-file.js';
import type { EngineDeps, GeneratedImage, ImageGenerator } from './media-engines.js';
import { mediaMessages } from './media-messages.js';

export interface OpenAIImageGeneratorOptions {
  client: OpenAI;
  model: string;
  size: string;
  ffmpegPath: string;
  timeoutMs: number;
  proxy?: string;
  logger: Logger;
}

/** The images endpoint at open_ai_api_base, with the model text_to_image names. */
export function createImageGenerator(
  config: OpenAIConnection & Pick<CoreConfig, 'text_to_image' | 'image_size' | 'ffmpeg_path'>,
  deps: EngineDeps,
): ImageGenerator {
  return new OpenAIImageGenerator({
    client: createOpenAIClient(config, deps.logger),
    model: config.text_to_image,
    size: config.image_size,
    ffmpegPath: config.ffmpeg_path,
    timeoutMs: config.request_timeout * 1000,
    ...(config.proxy ? { proxy: config.proxy } : {}),
    logger: deps.logger,
  });
}

/** A generated image can be large before conversion; past this the download is abandoned. */
const MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024;
/** OpenAI's codes for a prompt its safety system refused (dall-e: content_policy_violation, gpt-image: moderation_blocked). */
const REFUSAL_CODES = new Set(['content_policy_violation', 'moderation_blocked']);

/**
 * The images endpoint of any OpenAI-compatible server. No response_format is sent: dall-e answers
 * a URL by default and gpt-image models refuse the parameter, so both answer forms are handled.
 */
export class OpenAIImageGenerator implements ImageGenerator {
  private readonly log: Logger;

  constructor(private readonly options: OpenAIImageGeneratorOptions) {
    this.log = options.logger.child({ module: 'images' });
  }

  async generate(prompt: string): Promise<GeneratedImage> {
    const { client, model, size } = this.options;
    let item: OpenAI.Images.Image | undefined;
    try {
      item = (await client.images.generate({ model, prompt, size: size as OpenAI.Images.ImageGenerateParams['size'], n: 1 })).data?.[0];
    } catch (error) {
      if (error instanceof OpenAI.APIError && REFUSAL_CODES.has(String(error.code))) {
        this.log.info({ model, code: error.code, err: error.message }, 'image request refused by the API');
        throw new UserFacingError(mediaMessages.imageRefused, { cause: error });
      }
      const missing = endpointMissing(error, {
        baseURL: client.baseURL,
        path: '/images/generations',
        what: 'image generation (/images/generations)',
        turnOff: 'set image_create_prefix to [] to turn image requests off, or open_ai_api_base to a server that draws',
        userMessage: mediaMessages.imageUnavailable,
      });
      if (missing) {
        this.log.warn({ model }, `image generation failed: ${missing.explanation}`);
        throw missing;
      }
      throw this.failure(mediaMessages.imageFailed, 'image generation failed', error, { model, size }, isOutage(error));
    }
    let data: Buffer;
    try {
      if (item?.b64_json) data = Buffer.from(item.b64_json, 'base64');
      else if (item?.url)
        data = await downloadBytes(item.url, {
          timeoutMs: this.options.timeoutMs,
          maxBytes: MAX_DOWNLOAD_BYTES,
          ...(this.options.proxy ? { proxy: this.options.proxy } : {}),
        });
      else throw new Error('the answer has neither b64_json nor url');
    } catch (error) {
      throw this.failure(mediaMessages.imageFailed, 'image download failed', error, { model });
    }
    try {
      return await toSendableImage(this.options.ffmpegPath, data);
    } catch (error) {
      throw this.failure(mediaMessages.imageUnusable, 'generated image could not be converted to PNG/JPG under 10 MB', error, {
        bytes: data.length,
      });
    }
  }

  private failure(
    userMessage: string,
    logMessage: string,
    error: unknown,
    fields: Record<string, unknown>,
    transient = false,
  ): UserFacingError {
    this.log.warn({ ...fields, err: error instanceof Error ? error.message : String(error) }, logMessage);
    return new UserFacingError(userMessage, { cause: error, transient });
  }
}
