import { createInterface, type Interface } from 'node:readline';
import type { Channel, ChannelDeps, ChannelModule } from '../../src/channel.js';
import type { NormalizedMessage } from '../../src/message.js';
import type { Reply } from '../../src/reply.js';

/**
 * Type a message, get the bot's reply: the quickest way to try the pipeline locally. A line
 * starting with "group:NAME " is sent as a group message from group NAME, to try the group rules.
 */
export class TerminalChannel implements Channel {
  readonly name = 'terminal';
  readonly capabilities = { voice: false, image: false, file: false, streaming: false };
  private readline?: Interface;
  private counter = 0;
  private busy: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: ChannelDeps,
    private readonly input: NodeJS.ReadableStream = process.stdin,
    private readonly output: NodeJS.WritableStream = process.stdout,
  ) {}

  async start(): Promise<void> {
    this.output.write('weworktop terminal: type a message and press Enter ("group:NAME text" for a group message, Ctrl+D to quit).\n');
    this.output.write('To serve WeCom, copy config.json.example to config.json, set channel_type "weworktop" and your app credentials.\n');
    this.readline = createInterface({ input: this.input, terminal: false });
    this.readline.on('line', (line) => {
      const message = this.toMessage(line);
      // One line at a time, in order, like one user typing.
      if (message) this.busy = this.busy.then(() => this.deps.handler.handle(message, this)).catch((error: Error) => this.deps.logger.error({ err: error.message }, 'terminal message failed'));
    });
    this.readline.on('close', () => {
      void this.busy.then(() => this.deps.requestShutdown('terminal input closed'));
    });
  }

  async stop(): Promise<void> {
    this.readline?.close();
    await this.busy;
  }

  async send(reply: Reply): Promise<void> {
    const text = reply.type === 'text' || reply.type === 'error' ? reply.text : `[${reply.type} reply, ${reply.data.length} bytes]`;
    this.output.write(`bot> ${text}\n`);
  }

  private toMessage(line: string): NormalizedMessage | undefined {
    if (!line.trim()) return undefined;
    const group = /^group:(\S+)\s+(.*)$/.exec(line);
    this.counter += 1;
    return {
      id: `terminal-${Date.now()}-${this.counter}`,
      channel: 'terminal',
      chatType: group ? 'group' : 'single',
      senderId: 'terminal-user',
      senderName: 'you',
      ...(group ? { groupId: group[1], groupName: group[1] } : {}),
      isAt: false,
      kind: 'text',
      text: group ? (group[2] ?? '') : line,
      time: new Date(),
      raw: line,
    };
  }
}

export const createChannel: ChannelModule['createChannel'] = (deps) => new TerminalChannel(deps);
