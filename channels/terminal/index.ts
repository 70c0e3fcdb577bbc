import { createInterface, type Interface } from 'node:readline';
import type { Channel, ChannelCapabilities, ChannelDeps, ChannelLink, ChannelModule, Replier } from '../../src/channel.js';
import type { NormalizedMessage } from '../../src/message.js';
import { MessageIntake } from '../../src/message-intake.js';
import { CHAT_ID_COMMAND } from '../../src/pipeline/message-rules.js';
import type { Reply } from '../../src/reply.js';

/** What a typed line is stored as (NormalizedMessage.raw), enough to rebuild the message on the answer worker. */
interface TypedLine {
  route: 'terminal';
  id: string;
  text: string;
  group?: string;
  at: number;
}

const CAPABILITIES: ChannelCapabilities = { voice: false, image: false, file: false, streaming: false };
/** "#chatid" answers in groups (the pipeline); in this private chat the terminal says how to get one. */
const PRIVATE_CHAT_ID = 'this is a private chat, it has no chat id; in a group, "group:NAME #chatid" answers the id to put in group_name_white_list';

/**
 * Type a message, get the bot's reply: the quickest way to try the pipeline locally. A line
 * starting with "group:NAME " is sent as a group message from group NAME, to try the group rules.
 */
export class TerminalChannel implements Channel {
  readonly name = 'terminal';
  private readonly intake: MessageIntake;
  private readline?: Interface;
  private counter = 0;
  /** Lines typed and not yet stored: input may close before they are. */
  private storing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: ChannelDeps,
    private readonly input: NodeJS.ReadableStream = process.stdin,
    private readonly output: NodeJS.WritableStream = process.stdout,
  ) {
    const notice = (message: NormalizedMessage, text: string) => this.intake.notify(deps.rules.sessionKey(message), message.raw, text);
    this.intake = new MessageIntake({
      channel: this.name,
      rules: deps.rules,
      logger: deps.logger,
      inbox: deps.inbox,
      answers: deps.answers,
      maxOutstanding: deps.config.max_queue + deps.config.concurrency,
      // One person typing: no rate limit.
      rateLimitPerMinute: 0,
      onBusy: (message) => notice(message, 'busy, try again'),
      onRateLimited: () => {},
    });
    deps.answers.link.onMessage((message) => {
      if (!isSaid(message)) return;
      this.output.write(`bot> ${message.text}\n`);
      this.prompt();
    });
  }

  async start(): Promise<void> {
    this.output.write('weworktop terminal: type a message and press Enter ("group:NAME text" for a group message, "group:NAME #chatid" for its chat id, Ctrl+D to quit).\n');
    this.output.write('To serve WeCom, copy config.json.example to config.json, set channel_type "weworktop" and your app credentials. Log lines go to stderr.\n');
    this.intake.replay();
    this.readline = createInterface({ input: this.input, terminal: false });
    this.prompt();
    // One user: the answer worker keeps the lines in order.
    this.readline.on('line', (line) => {
      if (!line.trim()) return this.prompt();
      if (line.trim() === CHAT_ID_COMMAND) {
        this.output.write(`bot> ${PRIVATE_CHAT_ID}\n`);
        return this.prompt();
      }
      this.counter += 1;
      const group = /^group:(\S+)\s+(.*)$/.exec(line);
      const typed: TypedLine = { route: 'terminal', id: `terminal-${Date.now()}-${this.counter}`, text: group ? (group[2] ?? '') : line, ...(group ? { group: group[1] } : {}), at: Date.now() };
      const stored = this.intake.submit(toMessage(typed)).catch((error: Error) => this.deps.logger.error({ err: error.message }, 'terminal message failed'));
      this.storing = Promise.all([this.storing, stored]);
    });
    // Ctrl+D (or the end of piped input): answer everything typed, then end the app.
    this.readline.on('close', () => {
      void this.storing.then(() => this.deps.answers.whenIdle()).then(() => this.deps.requestShutdown('terminal input closed'));
    });
  }

  /** "you> " before each line typed at a keyboard; piped input gets none. */
  private prompt(): void {
    if ((this.input as NodeJS.ReadStream).isTTY) this.output.write('you> ');
  }

  async stop(): Promise<void> {
    this.readline?.close();
    await this.intake.drain(this.deps.config.shutdown_timeout * 1000);
  }
}

/** A reply for the terminal, from the answer worker to the main thread, which prints it. */
interface Said {
  type: 'terminal-said';
  text: string;
}

const isSaid = (message: unknown): message is Said => (message as Said | null)?.type === 'terminal-said';

/** The answering half, on the answer worker: replies go to the main thread to be printed in order. */
export class TerminalReplier implements Replier {
  readonly name = 'terminal';
  readonly retriesFailures = false;

  constructor(private readonly link: ChannelLink) {}

  capabilitiesFor(): ChannelCapabilities {
    return CAPABILITIES;
  }

  revive(raw: unknown): NormalizedMessage | undefined {
    const typed = raw as TypedLine | null;
    return typed?.route === 'terminal' ? toMessage(typed) : undefined;
  }

  async send(reply: Reply): Promise<void> {
    this.say(reply.type === 'text' || reply.type === 'error' ? reply.text : `[${reply.type} reply, ${reply.data.length} bytes]`);
  }

  async notify(_raw: unknown, text: string): Promise<void> {
    this.say(text);
  }

  private say(text: string): void {
    this.link.post({ type: 'terminal-said', text } satisfies Said);
  }
}

function toMessage(typed: TypedLine): NormalizedMessage {
  return {
    id: typed.id,
    channel: 'terminal',
    chatType: typed.group ? 'group' : 'single',
    senderId: 'terminal-user',
    senderName: 'you',
    ...(typed.group ? { groupId: typed.group, groupName: typed.group } : {}),
    isAt: false,
    kind: 'text',
    text: typed.text,
    time: new Date(typed.at),
    raw: typed,
  };
}

export const createChannel: ChannelModule['createChannel'] = async (deps) => new TerminalChannel(deps);
export const createReplier: ChannelModule['createReplier'] = async (deps) => new TerminalReplier(deps.link);
