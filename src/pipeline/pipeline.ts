import type { BackendSession, ChatBot, ChatMessage, ContentPart } from '../backends/chat-bot.js';
import type { ReplyTarget } from '../channel.js';
import type { CoreConfig } from '../config/schema.js';
import type { Logger } from '../logger.js';
import type { ImageGenerator, SpeechRecognizer, SpeechSynthesizer } from '../media/media-engines.js';
import type { NormalizedMessage } from '../message.js';
import type { Metrics } from '../metrics/metrics.js';
import type { PluginBus } from '../plugins/plugin-bus.js';
import type { Reply } from '../reply.js';
import type { ConversationStore } from '../session/conversation-store.js';
import { fitHistory, type TokenCounter } from '../session/tokens.js';
import type { Turn } from '../session/turn.js';
import { isTransient } from '../transient.js';
import { UserFacingError } from '../user-facing-error.js';
import { applyTriggerRules, CHAT_ID_COMMAND, ConfiguredRules, decorateText, groupAllowed } from './cow-rules.js';
import type { AnswerOptions, AnswerTiming, IgnoreReason, MessageHandler, Outcome } from './message-handler.js';
import type { PipelineContext } from './pipeline-context.js';
import { userMessages } from './user-messages.js';

export interface PipelineDeps {
  config: CoreConfig;
  logger: Logger;
  bot: ChatBot;
  tokens: TokenCounter;
  conversations: ConversationStore;
  plugins: PluginBus;
  speech?: SpeechRecognizer;
  synthesizer?: SpeechSynthesizer;
  images?: ImageGenerator;
  /** Counts the LLM's failures by kind. */
  metrics?: Metrics;
}

/** CoW keeps a sent image for the next question for 3 minutes (USER_IMAGE_CACHE). */
const PENDING_IMAGE_MS = 3 * 60 * 1000;

type Partial = ((textSoFar: string) => void) | undefined;

/**
 * The core: trigger rules, plugins, speech, sessions and token budgets, the LLM, decoration. One
 * call makes the whole answer to one message; the answer runner stores and delivers it.
 */
export class Pipeline implements MessageHandler {
  private readonly systemTurn: Turn | undefined;
  private readonly rules: ConfiguredRules;

  constructor(private readonly deps: PipelineDeps) {
    this.rules = new ConfiguredRules(deps.config);
    const prompt = deps.config.character_desc;
    this.systemTurn = prompt ? this.turn({ role: 'system', content: prompt }) : undefined;
  }

  sessionKey(message: NormalizedMessage): string {
    return this.rules.sessionKey(message);
  }

  /** Forgets the conversations idle past their bound (retention_days), in memory and on disk. */
  expireConversations(): void {
    this.deps.conversations.expireIdle();
  }

  wouldAnswer(message: NormalizedMessage): boolean {
    return this.rules.wouldAnswer(message);
  }

  async answer(message: NormalizedMessage, target: ReplyTarget, options: AnswerOptions = {}): Promise<Outcome> {
    const sessionId = this.sessionKey(message);
    await this.deps.conversations.refresh(sessionId);
    const outcome: Outcome = { sessionId, replies: [] };
    const log = this.deps.logger.child({
      module: 'pipeline',
      id: message.id,
      from: message.senderId,
      ...(message.groupId ? { group: message.groupId } : {}),
    });
    const timing = options.timing ?? UNTIMED;
    const send = async (reply: Reply, context: PipelineContext) => {
      const final = await this.finish(reply, context, target, log, timing);
      if (final) outcome.replies.push(final);
    };
    const isGroup = message.chatType === 'group';
    // Answered in any group, undecorated, so admins can fill group_name_white_list without reading logs.
    if (isGroup && message.kind === 'text' && message.text.trim() === CHAT_ID_COMMAND)
      outcome.replies.push(textReply(userMessages.chatId(message.groupId ?? '')));
    else {
      const ignored = await this.run(message, sessionId, send, log, timing, options);
      if (outcome.replies.length === 0) outcome.ignored = ignored ?? 'plugin';
    }
    return outcome;
  }

  /** Makes the replies through `send`; without any, resolves why (a plugin that kept the reply resolves nothing). */
  private async run(
    message: NormalizedMessage,
    sessionId: string,
    send: (reply: Reply, context: PipelineContext) => Promise<void>,
    log: Logger,
    timing: AnswerTiming,
    options: AnswerOptions,
  ): Promise<IgnoreReason | undefined> {
    const { config, plugins } = this.deps;
    const isGroup = message.chatType === 'group';
    let context: PipelineContext = {
      type: 'other',
      content: message.text,
      message,
      sessionId,
      isGroup,
      fromVoice: false,
      wantsVoice: false,
    };
    if (
      isGroup &&
      !groupAllowed({ id: message.groupId, name: message.groupName }, config.group_name_white_list, config.group_name_keyword_white_list)
    ) {
      log.info('ignored: group is not in group_name_white_list / group_name_keyword_white_list (send #chatid there to learn its id)');
      return 'group_not_allowed';
    }

    const received = await plugins.emit('receive_message', context);
    if (received.action === 'BREAK_PASS') {
      if (received.reply) await send(received.reply, received.context);
      return 'plugin';
    }
    context = received.context;

    let text: string;
    switch (message.kind) {
      case 'text':
      case 'location':
      case 'link':
        text = message.text;
        break;
      case 'voice': {
        if (!(isGroup ? config.group_speech_recognition : config.speech_recognition)) {
          log.info(`ignored: voice note while ${isGroup ? 'group_speech_recognition' : 'speech_recognition'} is off`);
          return 'voice_off';
        }
        try {
          text = await this.transcribe(message, log, timing);
        } catch (error) {
          await send(this.excuse(error, log, options.finalAttempt ?? true), context);
          return;
        }
        context = { ...context, fromVoice: true };
        break;
      }
      case 'image':
        await this.receiveImage(context, send, log, timing, options.finalAttempt ?? true);
        return 'image';
      case 'event':
        return 'event';
      default:
        if (!isGroup) await send(textReply(userMessages.unsupportedKind), context);
        else log.info({ kind: message.kind }, 'ignored: unsupported message kind in a group');
        return 'unsupported_kind';
    }

    const decision = applyTriggerRules({ ...message, text, fromVoice: context.fromVoice }, config);
    if (!decision.triggered) {
      log.info(`ignored: ${decision.reason}`);
      return decision.code;
    }
    if (decision.content === '') {
      log.info('ignored: nothing left after the trigger prefix');
      return 'empty_after_prefix';
    }
    context = {
      ...context,
      type: decision.imageRequest ? 'image_create' : 'text',
      content: decision.content,
      wantsVoice: config.always_reply_voice || (context.fromVoice && config.voice_reply_voice),
      ...(context.fromVoice && config.voice_echo_transcript ? { heard: text } : {}),
    };

    if (config.clear_memory_commands.includes(context.content)) {
      await this.forgetOnBackend(sessionId, log, timing);
      this.deps.conversations.clear(sessionId);
      await send(textReply(userMessages.memoryCleared), context);
      return undefined;
    }

    const handled = await plugins.emit('handle_context', context);
    context = handled.context;
    let replies = handled.reply ? [handled.reply] : [];
    if (handled.action !== 'BREAK_PASS')
      replies = await this.generate(context, this.decoratedPartial(context, options.onPartial), log, timing, options.finalAttempt ?? true);
    for (const reply of replies) await send(reply, context);
    return 'plugin';
  }

  private async generate(
    context: PipelineContext,
    onPartial: Partial,
    log: Logger,
    timing: AnswerTiming,
    finalAttempt = true,
  ): Promise<Reply[]> {
    try {
      if (context.type === 'image_create') return [await this.createImage(context.content, log, timing)];
      return await this.chat(context, onPartial, log, timing);
    } catch (error) {
      return [this.excuse(error, log, finalAttempt)];
    }
  }

  /** `finalAttempt` false: a transient failure is thrown, so the message is retried later instead of answered with an excuse. */
  private excuse(error: unknown, log: Logger, finalAttempt: boolean): Reply {
    if (!finalAttempt && isTransient(error)) throw error;
    return errorReply(this.userMessageOf(error, log));
  }

  /** The answer's text, then the images it carries (a Dify agent's tools). */
  private async chat(context: PipelineContext, onPartial: Partial, log: Logger, timing: AnswerTiming): Promise<Reply[]> {
    const { config, conversations, bot } = this.deps;
    const conversation = conversations.get(context.sessionId);
    // A message asked again (its answer was made but not stored before a crash) replaces its own turns.
    const earlier = conversation.turns.findIndex((turn) => turn.messageId === context.message.id);
    if (earlier >= 0) conversation.turns.splice(earlier);
    const userTurn = this.turn({ role: 'user', content: context.content }, context.message.id);
    if (userTurn.tokens > config.max_single_msg_tokens) {
      log.info({ tokens: userTurn.tokens, max: config.max_single_msg_tokens }, 'refused: message over max_single_msg_tokens');
      return [errorReply(userMessages.tooLong(userTurn.tokens, config.max_single_msg_tokens))];
    }
    const fitted = fitHistory(this.systemTurn, conversation.turns, userTurn, config.conversation_max_tokens);
    if (fitted.dropped > 0) {
      conversation.turns.splice(0, fitted.dropped);
      log.debug({ dropped: fitted.dropped, tokens: fitted.totalTokens }, 'history trimmed to conversation_max_tokens');
    }
    const question = this.withPendingImage(userTurn.message, conversation.pendingImage);
    conversation.pendingImage = undefined;
    const messages: ChatMessage[] = [
      ...(this.systemTurn ? [this.systemTurn.message] : []),
      ...fitted.kept.map((turn) => turn.message),
      question,
    ];
    const completion = await timing
      .wait(() => bot.complete(messages, { ...(onPartial ? { onPartial } : {}), session: this.backendSession(context.sessionId) }))
      .catch((error: unknown) => {
        this.deps.metrics?.count('weworktop_llm_errors_total', { kind: (error instanceof UserFacingError && error.kind) || 'other' });
        throw error;
      });
    const answer = completion.text.trim();
    const images: Reply[] = (completion.images ?? []).map((image) => ({ type: 'image', data: image.data, mimeType: image.mimeType }));
    if (!answer && images.length === 0) return [errorReply(userMessages.emptyAnswer)];
    if (images.length) log.info({ images: images.length }, 'the answer carries images');
    // Only a completed exchange enters the history, so a failed call leaves no half turn behind.
    conversation.turns.push(userTurn, this.turn({ role: 'assistant', content: answer || '[图片]' }, context.message.id));
    conversations.save(context.sessionId);
    return answer ? [textReply(answer), ...images] : images;
  }

  /** The backend's own copy of the conversation goes too; if it cannot be reached, ours is cleared anyway. */
  private async forgetOnBackend(sessionId: string, log: Logger, timing: AnswerTiming): Promise<void> {
    const { bot, conversations } = this.deps;
    const state = conversations.get(sessionId).backendState;
    if (!bot.forget || Object.keys(state).length === 0) return;
    try {
      await timing.wait(() => bot.forget!({ user: sessionId, state }));
    } catch (error) {
      log.warn({ err: (error as Error).message }, "the backend's copy of the conversation could not be deleted; ours is cleared");
    }
  }

  /** The session as a backend that keeps its own conversation sees it (its state is saved with the turns). */
  private backendSession(sessionId: string): BackendSession {
    const { conversations } = this.deps;
    const conversation = conversations.get(sessionId);
    return {
      user: sessionId,
      state: { ...conversation.backendState },
      saveState: (state) => {
        // Read again: the conversation may have been cleared or evicted while the backend answered.
        conversations.get(sessionId).backendState = { ...state };
        conversations.save(sessionId);
      },
    };
  }

  private withPendingImage(question: ChatMessage, pending: { dataUrl: string; at: number } | undefined): ChatMessage {
    if (!pending || Date.now() - pending.at > PENDING_IMAGE_MS || typeof question.content !== 'string') return question;
    const parts: ContentPart[] = [
      { type: 'text', text: question.content },
      { type: 'image_url', image_url: { url: pending.dataUrl } },
    ];
    return { role: 'user', content: parts };
  }

  private async createImage(prompt: string, log: Logger, timing: AnswerTiming): Promise<Reply> {
    if (!this.deps.images) return errorReply(userMessages.imagesOff);
    const images = this.deps.images;
    const image = await timing.wait(() => images.generate(prompt));
    log.info({ bytes: image.data.length }, 'image generated');
    return { type: 'image', data: image.data, mimeType: image.mimeType };
  }

  private async transcribe(message: NormalizedMessage, log: Logger, timing: AnswerTiming): Promise<string> {
    // Platforms that transcribe themselves (WeCom's AI bot) put the text on the message.
    if (message.text.trim()) return message.text.trim();
    if (!this.deps.speech) throw new UserFacingError(userMessages.speechOff);
    if (!message.media) throw new UserFacingError(userMessages.voiceMissing);
    const { media } = message;
    const speech = this.deps.speech;
    const audio = await timing.wait(() => media.load());
    const transcript = (await timing.wait(() => speech.transcribe(audio, media.format ?? 'amr'))).trim();
    if (!transcript) throw new UserFacingError(userMessages.voiceEmpty);
    log.info({ chars: transcript.length }, 'voice transcribed');
    return transcript;
  }

  private async receiveImage(
    context: PipelineContext,
    send: (reply: Reply, context: PipelineContext) => Promise<void>,
    log: Logger,
    timing: AnswerTiming,
    finalAttempt: boolean,
  ): Promise<void> {
    const { message } = context;
    if (!this.deps.config.image_understanding) {
      if (!context.isGroup) await send(textReply(userMessages.cannotSeeImages), context);
      return;
    }
    if (!message.media) return;
    let dataUrl: string;
    try {
      const { media } = message;
      const data = await timing.wait(() => media.load());
      dataUrl = `data:${message.media.mimeType ?? 'image/jpeg'};base64,${data.toString('base64')}`;
    } catch (error) {
      await send(this.excuse(error, log, finalAttempt), context);
      return;
    }
    this.deps.conversations.get(context.sessionId).pendingImage = { dataUrl, at: Date.now() };
    // In a private chat the image alone is a question; in groups it waits for the next trigger.
    if (!context.isGroup) {
      const replies = await this.generate(
        { ...context, type: 'text', content: userMessages.describeImagePrompt },
        undefined,
        log,
        timing,
        finalAttempt,
      );
      for (const reply of replies) await send(reply, context);
    }
  }

  /** Default decoration (after plugins had their say), then plugins' send hook: the reply as it goes out, or nothing. */
  private async finish(
    reply: Reply,
    context: PipelineContext,
    target: ReplyTarget,
    log: Logger,
    timing: AnswerTiming,
  ): Promise<Reply | undefined> {
    const { plugins } = this.deps;
    const decorated = await plugins.emit('decorate_reply', context, reply);
    let final = decorated.reply;
    if (!final) return undefined;
    if (decorated.action !== 'BREAK_PASS') final = await this.decorate(final, context, target, log, timing);
    const sending = await plugins.emit('send_reply', context, final);
    if (sending.action === 'BREAK_PASS' || !sending.reply) return undefined;
    return sending.reply;
  }

  private async decorate(reply: Reply, context: PipelineContext, target: ReplyTarget, log: Logger, timing: AnswerTiming): Promise<Reply> {
    if (reply.type === 'error') return { ...reply, text: decorateText(reply.text, context.message, this.deps.config) };
    if (reply.type !== 'text') return reply;
    const text = this.answerText(reply.text, context);
    const capabilities = target.capabilitiesFor(context.message);
    if (context.wantsVoice && capabilities.voice && this.deps.synthesizer) {
      try {
        const synthesizer = this.deps.synthesizer;
        const speech = await timing.wait(() => synthesizer.synthesize(reply.text));
        return { type: 'voice', data: speech.data, format: speech.format, text };
      } catch (error) {
        log.warn({ err: (error as Error).message }, 'text-to-speech failed; replying with text');
      }
    }
    return { ...reply, text };
  }

  private decoratedPartial(context: PipelineContext, onPartial: Partial): Partial {
    if (!onPartial) return undefined;
    return (textSoFar) => onPartial(this.answerText(textSoFar, context));
  }

  /** An answer as the user reads it: what was heard (for voice notes), then the reply decoration. */
  private answerText(answer: string, context: PipelineContext): string {
    const heard = context.heard === undefined ? answer : userMessages.heard(context.heard, answer);
    return decorateText(heard, context.message, this.deps.config);
  }

  private userMessageOf(error: unknown, log: Logger): string {
    if (error instanceof UserFacingError) return error.userMessage;
    log.error({ err: (error as Error)?.stack ?? String(error) }, 'message handling failed');
    return userMessages.internalError;
  }

  private turn(message: ChatMessage, messageId?: string): Turn {
    return { message, tokens: this.deps.tokens.countMessage(message), ...(messageId ? { messageId } : {}) };
  }
}

function textReply(text: string): Reply {
  return { type: 'text', text };
}
/** A problem the user should know about (Reply's `error`). */
function errorReply(text: string): Reply {
  return { type: 'error', text };
}

/** For a caller that does not time the answer. */
const UNTIMED: AnswerTiming = { wait: (call) => call() };
