import type convict from 'convict';
import type { FastifyInstance } from 'fastify';
import type { AssistantDeclaration } from './assistants/assistant.js';
import type { CowCompat } from './config/cow-compat.js';
import type { AppConfig } from './config/schema.js';
import type { DoctorCheck, DoctorContext } from './doctor/doctor-check.js';
import type { Logger } from './logger.js';
import type { NormalizedMessage } from './message.js';
import type { MetricDefinition, Metrics } from './metrics/metrics.js';
import type { PushMessage } from './push/push-message.js';
import type { ModuleRegistry } from './registries.js';
import type { Reply } from './reply.js';

/**
 * What a channel author must know: a channel is a module with two halves. The receiver (main
 * thread) owns the transport and hands each message to the core's intake; the replier (answer
 * worker) rebuilds stored messages and delivers the replies. channels/README.md shows the way.
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
  /** false: no per-user rate limit (rate_limit_per_minute), for a channel of one local user (the terminal). */
  rateLimited?: boolean;
  /** Checks across the section's keys that convict cannot make one key at a time; throws a ConfigError. */
  checkConfig?(config: AppConfig): void;
  /**
   * The channel's entry points (apps, bots) with assistant keys of their own (a model, a Dify app):
   * the core checks each override set and answers each message with the assistant of its scope.
   * Scope "" is the default (unscoped messages); entries without overrides are listed for the start-up log.
   */
  assistants?(config: AppConfig): AssistantDeclaration[];
  /** The channel's own metrics (e.g. its platform's API calls), declared once; both halves record them through `metrics`. */
  metrics?: readonly MetricDefinition[];
  /**
   * `weworktop doctor`: the channel's checks of its platform (credentials, the callback URL from
   * outside), run beside the core's (config, stores, LLM, ffmpeg). Loaded only by the doctor.
   */
  doctor?(context: DoctorContext): Promise<DoctorCheck[]>;
  /**
   * The push API (`POST /api/messages`): whether the channel can send `message` with this config,
   * checked before it is queued. Returns the request's field at fault and why (a 400), or undefined.
   * Channels without `Replier.push` cannot be pushed to.
   */
  checkPush?(config: AppConfig, message: PushMessage): { field: string; reason: string } | undefined;
  /**
   * A checked push with the sender the channel chooses when the request names none (its first app,
   * its first AI bot) written in, before it is stored: its order, its pool and its send then agree,
   * also after a config change while it waits.
   */
  pushSender?(config: AppConfig, message: PushMessage): PushMessage;
  /**
   * With several processes: the exclusive name (ExclusiveHolds) whose holder alone can send this
   * push, e.g. the AI bot connection a group chat's push goes down; undefined: any process can.
   */
  pushPool?(config: AppConfig, message: PushMessage): string | undefined;
  /** The bridge (forward.url): the channel's fields of a received message beside the normalized ones (its route, media ids). */
  forwardFields?(message: NormalizedMessage): Record<string, unknown>;
  createReceiver(context: ReceiverContext): Promise<Receiver>;
  createReplier(context: ReplierContext): Promise<Replier>;
}

/** channel_type → channel module, each imported only when chosen (channels/registry.ts). */
export type ChannelRegistry = ModuleRegistry<ChannelModule>;

/** The receiving half, on the main thread: fast, in memory or the inbox; never waits on a platform call. */
export interface Receiver {
  readonly name: string;
  /** Adds the channel's routes to the core's HTTP server; a channel without HTTP has none. */
  routes?(server: FastifyInstance): void;
  /** Messages the last run left unanswered, given to the answer worker again before anything new arrives. */
  resume?(pending: readonly PendingMessage[]): void;
  /** Once the server listens: connect, read input, say where to point the platform. */
  start?(listening: { port: number }): Promise<void>;
  /** Before the core drains the answers: disconnect, stop reading. */
  stop?(): Promise<void>;
  /** After the answers drained: close what the replier writes through (the AI bot's sockets). */
  close?(): Promise<void>;
  /** For /readyz, beside the core's own checks (e.g. a connection's state). */
  ready?(): Promise<{ ok: boolean; reason?: string }>;
}

export interface ReceiverContext {
  config: AppConfig;
  logger: Logger;
  rules: MessageRules;
  intake: Intake;
  /** Messages to and from this channel's replier. */
  link: ChannelLink;
  /** Lets a channel end the app, e.g. the terminal channel when its input closes. */
  requestShutdown(reason: string): void;
  /** The config file read (absent when the config came from the environment alone), for hints that name it. */
  configFile?: string;
  /** data_dir, resolved: where a channel keeps state of its own (e.g. a cursor) beside the inbox. */
  dataDir: string;
  /** Records the channel's metrics on this thread (a no-op with `metrics: false`). */
  metrics: Metrics;
  /** With store "redis" (several processes): what only one process at a time may hold. */
  exclusive?: ExclusiveHolds;
  /** With store "redis": state every process reads (e.g. the AI bot's reply streams, which WeCom polls on any of them). */
  shared?: SharedState;
  /** With store "redis": jobs one process at a time runs (e.g. 微信客服's pull of an account). */
  turns?: SharedTurns;
}

/**
 * A job one process at a time runs, in turns (store "redis"): asking for it while another process
 * runs it makes that one go round once more, so no ask is lost and no two run at once.
 */
export interface SharedTurns {
  /**
   * "run": this process runs a turn now, then calls `end`; "asked": the process running one goes
   * round once more. With `onlyIfAsked` (a re-check after "asked"), "served" when that ask was taken.
   */
  begin(name: string, options?: { onlyIfAsked?: boolean }): Promise<'run' | 'asked' | 'served'>;
  /** After a turn: true when asked again meanwhile (run another, still held); false once given up. */
  end(name: string): Promise<boolean>;
  /** Gives a turn up as it failed: the next ask runs it. */
  abandon(name: string): Promise<void>;
  /** A holder that died is replaced after this long: when to re-check an "asked". */
  readonly leaseMs: number;
}

/** Short-lived text values shared by every process (store "redis"), each with its own expiry. */
export interface SharedState {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /**
   * Adds `member` to the group `key` for `ttlMs`, unless the group holds `max` members already
   * (expired ones not counted): false then. In one step for every process; a member already in is
   * kept (true).
   */
  joinIfUnder(key: string, member: string, max: number, ttlMs: number): Promise<boolean>;
  /** Takes `member` out of the group `key`. */
  leave(key: string, member: string): Promise<void>;
}

/**
 * Several processes on one store: one of them at a time holds each named thing (an AI bot's long
 * connection: WeCom allows one per bot). Messages whose `scope` is such a name are answered only
 * by its holder, which took them in; after a holder dies, the next one answers what it left.
 */
export interface ExclusiveHolds {
  /** Tries for `name` now and for as long as the app runs; `gained` once held, `lost` when it ends (the store was out of reach too long). */
  hold(name: string, handlers: { gained(): void; lost(): void }): void;
}

export type IntakeResult = 'accepted' | 'duplicate' | 'busy' | 'limited';

/**
 * The core's door for received messages: dedupe, rate limit, the inbox (stored before the
 * platform is acknowledged, so a crash loses nothing), then the answer worker.
 */
export interface Intake {
  /**
   * Takes a message; resolves once it is stored for good (acknowledge after). Busy and too-fast
   * notices go through the replier, unless `ownNotices` (the receiver answers them itself).
   */
  submit(message: NormalizedMessage, options?: { ownNotices?: boolean }): Promise<IntakeResult>;
  /** True if this id was already taken (a platform retry); records it otherwise, for messages not submitted. */
  seen(id: string): Promise<boolean>;
  /**
   * A message received that will not be answered (not for the bot): recorded like `seen(id)`, and
   * forwarded by the bridge (forward.url) like every message submitted. True if it was taken before.
   */
  pass(message: NormalizedMessage): Promise<boolean>;
  /** A short text to the sender of `raw`, through the replier, in `sessionKey`'s order (a welcome). */
  notify(sessionKey: string, raw: unknown, text: string): void;
  /** The receiver saw the answer reach the user (for a replier whose `end` said "receiver"). */
  confirm(id: string): void;
  /** Such an answer was not confirmed in time: it goes out again another way. */
  redeliver(id: string): void;
  readonly rateLimitPerMinute: number;
  /** Resolves once everything taken so far is answered. */
  whenIdle(): Promise<void>;
}

/** A message left pending in the inbox by the last run. */
export interface PendingMessage {
  id: string;
  /** NormalizedMessage.raw as stored. */
  raw: unknown;
  receivedAt: number;
}

export interface ReplierContext {
  config: AppConfig;
  logger: Logger;
  /** Messages to and from this channel's receiver. */
  link: ChannelLink;
  /** Records the channel's metrics on the answer worker (sent to the main thread in batches). */
  metrics: Metrics;
}

/**
 * The answering half, on the answer worker with the pipeline: rebuilds stored messages, delivers
 * replies and notices. Slow platform calls (sending, uploading) happen here, never where
 * callbacks are acknowledged.
 */
export interface Replier extends ReplyTarget {
  /** Rebuilds a received message from its stored payload (NormalizedMessage.raw); undefined if it cannot. */
  revive(raw: unknown): NormalizedMessage | undefined;
  /** A short text to whoever sent the message stored as `raw` (a welcome, "busy, try again"). */
  notify(raw: unknown, text: string): Promise<void>;
  /**
   * Before the answer is made: throws (transient) while its replies could not go out anyway (no
   * access token), so the LLM is not asked in vain. "skip": the message is not the bot's to answer
   * (a human took the conversation over): it is settled unanswered, the LLM not asked.
   */
  prepare?(message: NormalizedMessage): Promise<'skip' | undefined>;
  /** How messages sent in quick succession merge into one answer (微信客服 customers write in bursts); absent: never. */
  readonly bursts?: BurstMerging;
  /** Answering a message begins: where the growing answer goes, for channels that show it (an AI bot stream). */
  begin?(
    message: NormalizedMessage,
    job: { replayed: boolean; receivedAt: number; attempts: number },
  ): { onPartial?: (textSoFar: string) => void };
  /**
   * Answering a message ended (answered, or given up after the apology). "receiver": the
   * receiving half confirms the delivery later (WeCom fetched the finished stream); until then the
   * message stays in the inbox. Default: delivered.
   */
  end?(message: NormalizedMessage, result: 'answered' | 'given-up'): 'delivered' | 'receiver';
  /**
   * Sends a message nobody asked for (the push API): split in parts like a reply, skipping those
   * `parts` says went out. Throws an error with `transient: true` when a later try may succeed
   * (the core retries with backoff), else one with WeCom's `errcode` and `errmsg` when it has them.
   */
  push?(message: PushMessage, parts: DeliveredParts): Promise<void>;
  /** false: a failure that may pass is answered at once, not retried later (someone is waiting at a terminal). */
  readonly retriesFailures?: boolean;
  /** For /readyz: whether replies can go out (e.g. an access token can be had). */
  ready?(): Promise<{ ok: boolean; reason?: string }>;
  close?(): Promise<void>;
}

/**
 * Bursts: the answer runner holds a conversation's message until no more came for `windowMs`, then
 * answers it with the messages queued behind it that continue the burst folded in, and settles
 * them all with its answer (the stored answer names them, so a replay settles them too).
 */
export interface BurstMerging {
  /** How long more of a burst may follow this message (ms); 0: it is answered alone. */
  windowMs(message: NormalizedMessage): number;
  /** Whether `next`, queued right behind `last` in its conversation, belongs to the same burst. */
  continues(last: NormalizedMessage, next: NormalizedMessage): boolean;
  /** The one message answered for the burst: the first one's id, the content of all. */
  merge(burst: readonly NormalizedMessage[]): NormalizedMessage;
}

/** What the pipeline asks of a channel: what it can show, and delivery of a reply. */
export interface ReplyTarget {
  readonly name: string;
  capabilitiesFor(message: NormalizedMessage): ChannelCapabilities;
  send(reply: Reply, context: ReplyContext): Promise<void>;
}

export interface ChannelCapabilities {
  voice: boolean;
  image: boolean;
  file: boolean;
  /** The channel can show an answer growing (e.g. WeCom AI bot streams). */
  streaming: boolean;
}

/** Where a reply goes and why: the message it answers. */
export interface ReplyContext {
  message: NormalizedMessage;
  /** Conversation key: sender id, or group id for shared group sessions. */
  sessionId: string;
  /** Absent for notices: they are sent whole. */
  parts?: DeliveredParts;
}

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

/**
 * A channel's messages between its two halves (structured-cloneable values), e.g. the growing
 * text of an AI bot stream, written where the answer is made and read where WeCom polls for it.
 */
export interface ChannelLink {
  post(message: unknown): void;
  onMessage(handler: (message: unknown) => void): void;
}

/** The trigger rules a receiver consults inside a callback: pure functions of the config. */
export interface MessageRules {
  /** Conversation key used to keep one user's messages in order. */
  sessionKey(message: NormalizedMessage): string;
  /**
   * Whether the pipeline would answer this message (group whitelist and trigger rules only), for
   * channels that must decide inside the callback, e.g. before opening a reply stream.
   */
  wouldAnswer(message: NormalizedMessage): boolean;
}
