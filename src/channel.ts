import type convict from 'convict';
import type { Logger } from './logger.js';
import type { NormalizedMessage } from './message.js';
import type { Reply } from './reply.js';
import type { Inbox } from './store/inbox.js';
import type { AppConfig } from './config/load-config.js';

/** Where a reply goes and why: built by the pipeline from the message it answers. */
export interface ReplyContext {
  message: NormalizedMessage;
  /** Conversation key: sender id, or group id for shared group sessions. */
  sessionId: string;
  /** Streaming channels get the growing answer while the LLM writes it. */
  onPartial?: (textSoFar: string) => void;
}

export interface ChannelCapabilities {
  voice: boolean;
  image: boolean;
  file: boolean;
  /** The channel can show an answer growing (e.g. WeCom AI bot streams). */
  streaming: boolean;
}

/** A transport: owns its wire format, hands normalized messages to the pipeline, delivers replies. */
export interface Channel {
  readonly name: string;
  readonly capabilities: ChannelCapabilities;
  /** Channels with several routes (e.g. an app and a bot) may differ per message. */
  capabilitiesFor?(message: NormalizedMessage): ChannelCapabilities;
  start(): Promise<void>;
  stop(): Promise<void>;
  send(reply: Reply, context: ReplyContext): Promise<void>;
}

export interface HandleOptions {
  onPartial?: (textSoFar: string) => void;
  finalAttempt?: boolean;
}

/** What the core offers a channel: it calls `handle` for every message it received. */
export interface MessageHandler {
  /**
   * Answers one message. A failure that may pass (LLM or platform down) is thrown so the intake
   * retries later, unless `finalAttempt`: then the user hears about it instead.
   */
  handle(message: NormalizedMessage, channel: Channel, options?: HandleOptions): Promise<void>;
  /** Conversation key used to keep one user's messages in order. */
  sessionKey(message: NormalizedMessage): string;
  /**
   * Whether the pipeline would answer this message (group whitelist and trigger rules only), for
   * channels that must decide inside the callback, e.g. before opening a reply stream.
   */
  wouldAnswer(message: NormalizedMessage): boolean;
}

export interface ChannelDeps {
  config: AppConfig;
  logger: Logger;
  handler: MessageHandler;
  /** Lets a channel end the app, e.g. the terminal channel when its input closes. */
  requestShutdown: (reason: string) => void;
  /** Where received messages wait until answered (durable with inbox_store "sqlite"). */
  inbox: Inbox;
}

/** A channel module: its config section (if any) and a factory. Loaded lazily by channel_type. */
export interface ChannelModule {
  /** Convict schema of the channel's section, e.g. config.weworktop. */
  configSchema?: convict.Schema<unknown>;
  /** Root-level keys from other tools (e.g. CoW's wechatcomapp_token) mapped to section keys. */
  keyAliases?: Record<string, string>;
  createChannel(deps: ChannelDeps): Channel;
}
