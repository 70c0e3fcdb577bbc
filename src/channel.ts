import type convict from 'convict';
import type { AnswerDispatch } from './answering/answer-dispatch.js';
import type { AnswerTiming } from './answering/answer-timing.js';
import type { AppConfig } from './config/load-config.js';
import type { Logger } from './logger.js';
import type { Outcome } from './answering/outcome.js';
import type { NormalizedMessage } from './message.js';
import type { Reply } from './reply.js';
import type { Inbox } from './store/inbox.js';

/**
 * The parts of an answer that went out already (on an earlier try, or before a restart): a channel
 * that sends a reply in parts (split text, media) skips those and reports each part it sends, so a
 * retry resumes at the first part not sent.
 */
export interface DeliveredParts {
  /** True when the next part went out before (skip it); either way the count moves past it. */
  alreadySent(): boolean;
  /** The part just sent went out. */
  sent(): void;
}

/** Where a reply goes and why: the message it answers. */
export interface ReplyContext {
  message: NormalizedMessage;
  /** Conversation key: sender id, or group id for shared group sessions. */
  sessionId: string;
  /** Absent for notices: they are sent whole. */
  parts?: DeliveredParts;
}

export interface ChannelCapabilities {
  voice: boolean;
  image: boolean;
  file: boolean;
  /** The channel can show an answer growing (e.g. WeCom AI bot streams). */
  streaming: boolean;
}

export interface AnswerOptions {
  /** Streaming channels get the growing answer while the LLM writes it. */
  onPartial?: (textSoFar: string) => void;
  finalAttempt?: boolean;
  /** Filled in while answering: time waited on outside services. */
  timing?: AnswerTiming;
}

/** What the pipeline asks of a channel: what it can show, and delivery of a reply. */
export interface ReplyTarget {
  readonly name: string;
  capabilitiesFor(message: NormalizedMessage): ChannelCapabilities;
  send(reply: Reply, context: ReplyContext): Promise<void>;
}

/** The trigger rules a receiving channel consults inside a callback: pure functions of the config. */
export interface MessageRules {
  /** Conversation key used to keep one user's messages in order. */
  sessionKey(message: NormalizedMessage): string;
  /**
   * Whether the pipeline would answer this message (group whitelist and trigger rules only), for
   * channels that must decide inside the callback, e.g. before opening a reply stream.
   */
  wouldAnswer(message: NormalizedMessage): boolean;
}

/** The core's pipeline: it makes the answer to one message, which the answer runner then delivers. */
export interface MessageHandler extends MessageRules {
  /**
   * The replies to one message, ready to go out (nothing is sent here). A failure that may pass
   * (the LLM down) is thrown so it is retried later, unless `finalAttempt`: then the replies say so.
   */
  answer(message: NormalizedMessage, target: ReplyTarget, options?: AnswerOptions): Promise<Outcome>;
}

/**
 * A channel's messages between its two halves (structured-cloneable values), e.g. the growing
 * text of an AI bot stream, written where the answer is made and read where WeCom polls for it.
 */
export interface ChannelLink {
  post(message: unknown): void;
  onMessage(handler: (message: unknown) => void): void;
}

/**
 * The receiving half of a channel, on the main thread: owns the transport, checks and stores what
 * arrives, acknowledges it, and hands it to the answer worker through its MessageIntake.
 */
export interface Channel {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The answering half, on the answer worker thread with the pipeline: rebuilds stored messages,
 * delivers replies and notices. Slow platform calls (sending, uploading) happen here, never where
 * callbacks are acknowledged.
 */
export interface Replier extends ReplyTarget {
  /** Rebuilds a received message from its stored payload (NormalizedMessage.raw); undefined if it cannot. */
  revive(raw: unknown): NormalizedMessage | undefined;
  /** A short text to whoever sent the message stored as `raw` (a welcome, "busy, try again"). */
  notify(raw: unknown, text: string): Promise<void>;
  /** Before the answer is made: throws (transient) while its replies could not go out anyway (no access token), so the LLM is not asked in vain. */
  prepare?(message: NormalizedMessage): Promise<void>;
  /** Answering a message begins: where the growing answer goes, for channels that show it (an AI bot stream). */
  begin?(message: NormalizedMessage, job: { replayed: boolean; receivedAt: number }): { onPartial?: (textSoFar: string) => void };
  /**
   * Answering a message ended (answered, or given up after the apology). "receiver": the
   * receiving half confirms the delivery later (WeCom fetched the finished stream); until then the
   * message stays in the inbox. Default: delivered.
   */
  end?(message: NormalizedMessage, result: 'answered' | 'given-up'): 'delivered' | 'receiver';
  /** false: a failure that may pass is answered at once, not retried later (someone is waiting at a terminal). */
  readonly retriesFailures?: boolean;
  /** For /readyz: whether replies can go out (e.g. an access token can be had). */
  ready?(): Promise<{ ok: boolean; reason?: string }>;
  close?(): Promise<void>;
}

export interface ChannelDeps {
  config: AppConfig;
  logger: Logger;
  rules: MessageRules;
  /** Where received messages wait until answered (durable with inbox_store "sqlite"). */
  inbox: Inbox;
  /** The answer worker: stored messages and notices go there. */
  answers: AnswerDispatch;
  /** Lets a channel end the app, e.g. the terminal channel when its input closes. */
  requestShutdown: (reason: string) => void;
  /** The config file read (absent when the config came from the environment alone), for hints that name it. */
  configFile?: string;
}

export interface ReplierDeps {
  config: AppConfig;
  logger: Logger;
  /** To the receiving half on the main thread. */
  link: ChannelLink;
}

/**
 * A channel module: its config section (if any) and its two halves, each imported only by the
 * thread it runs on (the main thread never loads the LLM SDK, the answer worker never loads the
 * HTTP server). Loaded lazily by channel_type.
 */
export interface ChannelModule {
  /** Convict schema of the channel's section, e.g. config.weworktop. */
  configSchema?: convict.Schema<unknown>;
  /** Root-level keys from other tools (e.g. CoW's wechatcomapp_token) mapped to section keys. */
  keyAliases?: Record<string, string>;
  /** What a CoW config brings to this channel: its channel_type names, credentials, defaults. */
  cow?: CowCompat;
  /** Section values of config.json.example that are not real: found in a config, they were never filled in. */
  exampleValues?: Record<string, string>;
  createChannel(deps: ChannelDeps): Promise<Channel>;
  createReplier(deps: ReplierDeps): Promise<Replier>;
}

/** How a channel takes a config written for chatgpt-on-wechat (CoW). */
export interface CowCompat {
  /** CoW channel_type names this channel serves, each with the notice logged when it is used. */
  channelTypes: Record<string, { notice: string; cowApp?: boolean }>;
  /** Whether a config (CoW's flat shape or ours) or the environment carries this channel's credentials. */
  hasCredentials(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): boolean;
  /** Why this channel cannot run a CoW channel_type with this config, or undefined when it can. */
  refuse?(channelType: string, raw: Record<string, unknown>, env: NodeJS.ProcessEnv): { expected: string; found: string } | undefined;
  /** Section values for a config that came from CoW's WeCom app (its keys or channel_type), unless it sets them. */
  appDefaults: Record<string, unknown>;
}
