import type { Logger } from '../../logger.js';
import { sniffImageType } from '../../media/image-file.js';
import type { BackendSession, ChatBot, ChatMessage, CompleteOptions, Completion } from '../chat-bot.js';
import { DifyAnswer } from './dify-answer.js';
import { DifyClient } from './dify-client.js';
import type { DifyBackendConfig } from './dify-config.js';
import { DifyApiError, DifyStreamCut, toUserFacingError } from './dify-errors.js';
import { sseEvents } from './sse-events.js';

/** Where Dify's conversation id is kept in the session's backend state. */
export const CONVERSATION_ID = 'dify_conversation_id';

/** How long the app's file upload setting is believed before it is asked again. */
const SETTING_TTL_MS = 5 * 60 * 1000;
/** An image a tool made, at most (WeCom takes 10 MB; bigger ones are re-encoded by the channel). */
const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

/**
 * A Dify app: only the question goes out (Dify keeps the history, under the conversation_id saved
 * with the session), always streaming (agent apps allow nothing else, and long flows outlive
 * proxies' timeouts in blocking mode), images uploaded as files.
 */
export class DifyChatBot implements ChatBot {
  private readonly client: DifyClient;
  private imageSetting: { accepted: boolean; at: number } | undefined;

  constructor(
    private readonly config: DifyBackendConfig,
    private readonly logger: Logger,
  ) {
    this.client = new DifyClient(config, logger);
  }

  async complete(messages: ChatMessage[], options: CompleteOptions = {}): Promise<Completion> {
    const session = options.session ?? { user: 'weworktop', state: {}, saveState: () => {} };
    try {
      const { query, images } = questionOf(messages.at(-1));
      const accepted = images.length > 0 && (await this.imagesAccepted());
      const files = accepted ? await Promise.all(images.map((dataUrl, index) => this.uploadImage(dataUrl, index, session.user))) : [];
      if (this.config.dify_app_type === 'workflow') return await this.runWorkflow(query, session, options.onPartial);
      return await this.chat(query, files, session, options.onPartial);
    } catch (error) {
      throw toUserFacingError(error, this.logger);
    }
  }

  /** #清除记忆: the conversation is deleted in Dify too (one already gone there is no error). */
  async forget(session: Pick<BackendSession, 'user' | 'state'>): Promise<void> {
    const id = session.state[CONVERSATION_ID];
    if (!id) return;
    try {
      await this.client.deleteJson(`/conversations/${encodeURIComponent(id)}`, { user: session.user });
    } catch (error) {
      if (error instanceof DifyApiError && error.conversationGone) return;
      throw error;
    }
  }

  private async chat(
    query: string,
    files: Array<Record<string, string>>,
    session: BackendSession,
    onPartial: CompleteOptions['onPartial'],
    fresh = false,
  ): Promise<Completion> {
    const known = fresh ? undefined : session.state[CONVERSATION_ID];
    // No conversation_id key at all for a new conversation: Dify 1.11 refused "" (dify-api.md §8.3).
    const body = {
      inputs: {},
      query,
      response_mode: 'streaming',
      user: session.user,
      ...(known ? { conversation_id: known } : {}),
      ...(files.length ? { files } : {}),
    };
    try {
      const answer = await this.client.postJson('/chat-messages', body);
      const assembled = new DifyAnswer(this.config.dify_show_thoughts, onPartial);
      let saved = known;
      for await (const event of sseEvents(answer.body)) {
        // On every chunk; saved once, as soon as Dify names a new conversation (an answer cut later still continues it).
        const id = event.conversation_id;
        if (typeof id === 'string' && id !== '' && id !== saved) {
          session.saveState({ ...session.state, [CONVERSATION_ID]: id });
          saved = id;
        }
        if (assembled.add(event)) return await this.answerOf(assembled);
      }
      throw new DifyStreamCut('the answer stream ended before message_end');
    } catch (error) {
      if (!(error instanceof DifyApiError && error.conversationGone) || !known) throw error;
      this.logger.info({ code: error.code }, 'Dify no longer has this conversation; starting a new one');
      return this.chat(query, files, session, onPartial, true);
    }
  }

  private async runWorkflow(query: string, session: BackendSession, onPartial: CompleteOptions['onPartial']): Promise<Completion> {
    const body = { inputs: { [this.config.dify_workflow_input]: query }, response_mode: 'streaming', user: session.user };
    const answer = await this.client.postJson('/workflows/run', body);
    const assembled = new DifyAnswer(false, onPartial, this.config.dify_workflow_output);
    for await (const event of sseEvents(answer.body)) if (assembled.add(event)) return await this.answerOf(assembled);
    throw new DifyStreamCut('the workflow stream ended before workflow_finished');
  }

  /** The answer, with its images fetched now (their URLs expire); one that cannot be fetched is left out, with a log line. */
  private async answerOf(assembled: DifyAnswer): Promise<Completion> {
    const completion = assembled.completion();
    const urls = assembled.imageUrls();
    if (urls.length === 0) return completion;
    const images: NonNullable<Completion['images']> = [];
    for (const url of urls) {
      try {
        const data = await this.client.download(url, MAX_IMAGE_BYTES);
        const type = sniffImageType(data);
        if (!type) throw new Error(`not an image (${data.length} bytes)`);
        images.push({ data, mimeType: `image/${type}` });
      } catch (error) {
        this.logger.warn({ err: (error as Error).message }, "an image of Dify's answer could not be fetched: left out");
      }
    }
    return images.length ? { ...completion, images } : completion;
  }

  /** Whether the app takes images (its file upload setting), asked at most every few minutes; unknown: yes. */
  private async imagesAccepted(): Promise<boolean> {
    const now = Date.now();
    if (this.imageSetting && now - this.imageSetting.at < SETTING_TTL_MS) return this.imageSetting.accepted;
    let accepted = true;
    try {
      accepted = acceptsImages(await this.client.getJson('/parameters'));
      if (!accepted) this.logger.info('the Dify app does not take images (its file upload is off): the question goes without them');
    } catch (error) {
      this.logger.debug({ err: (error as Error).message }, "could not read the Dify app's parameters; sending images");
    }
    this.imageSetting = { accepted, at: now };
    return accepted;
  }

  private async uploadImage(dataUrl: string, index: number, user: string): Promise<Record<string, string>> {
    const match = /^data:([^;,]+);base64,(.*)$/s.exec(dataUrl);
    if (!match) return { type: 'image', transfer_method: 'remote_url', url: dataUrl };
    const [, mimeType = 'image/jpeg', base64 = ''] = match;
    const file = new Blob([Buffer.from(base64, 'base64')], { type: mimeType });
    const id = await this.client.upload(file, `image-${index + 1}.${mimeType.split('/')[1] ?? 'jpg'}`, user);
    return { type: 'image', transfer_method: 'local_file', upload_file_id: id };
  }
}

/** An app's file upload setting (GET /parameters): the older `file_upload.image`, or `enabled` with `allowed_file_types`. */
function acceptsImages(parameters: unknown): boolean {
  const upload = (parameters as { file_upload?: Record<string, unknown> } | null)?.file_upload;
  if (!upload) return false;
  if ((upload.image as { enabled?: unknown } | undefined)?.enabled === true) return true;
  const types = upload.allowed_file_types;
  return upload.enabled === true && (!Array.isArray(types) || types.includes('image'));
}

/** The question's text and the images sent with it (data: URLs from the pipeline, or links). */
function questionOf(message: ChatMessage | undefined): { query: string; images: string[] } {
  if (!message) return { query: '', images: [] };
  if (typeof message.content === 'string') return { query: message.content, images: [] };
  const query = message.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
  const images = message.content.flatMap((part) => (part.type === 'image_url' ? [part.image_url.url] : []));
  return { query, images };
}
