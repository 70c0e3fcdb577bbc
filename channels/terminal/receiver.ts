import { createInterface, type Interface } from 'node:readline';
import type { Receiver, ReceiverContext } from '../../src/channel.js';
import { CHAT_ID_COMMAND } from '../../src/pipeline/cow-rules.js';
import { isSaid, type TypedLine, toTerminalMessage } from './typed-line.js';

/** "#chatid" answers in groups (the pipeline); in this private chat the terminal says how to get one. */
const PRIVATE_CHAT_ID =
  'this is a private chat, it has no chat id; in a group, "group:NAME #chatid" answers the id to put in group_name_white_list';

/**
 * Type a message, get the bot's reply: the quickest way to try the pipeline locally. A line
 * starting with "group:NAME " is sent as a group message from group NAME, to try the group rules.
 * It needs no HTTP: it registers no routes.
 */
export class TerminalReceiver implements Receiver {
  readonly name = 'terminal';
  private readline?: Interface;
  private counter = 0;
  /** Lines typed and not yet stored: input may close before they are. */
  private storing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly context: ReceiverContext,
    private readonly input: NodeJS.ReadableStream = process.stdin,
    private readonly output: NodeJS.WritableStream = process.stdout,
  ) {
    context.link.onMessage((message) => {
      if (!isSaid(message)) return;
      this.output.write(`bot> ${message.text}\n`);
      this.prompt();
    });
  }

  async start(): Promise<void> {
    this.output.write(
      'weworktop terminal: type a message and press Enter ("group:NAME text" for a group message, "group:NAME #chatid" for its chat id, Ctrl+D to quit).\n',
    );
    this.output.write(
      'To serve WeCom, copy config.json.example to config.json, set channel_type "weworktop" and your app credentials. Log lines go to stderr.\n',
    );
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
      const typed: TypedLine = {
        route: 'terminal',
        id: `terminal-${Date.now()}-${this.counter}`,
        text: group ? (group[2] ?? '') : line,
        ...(group ? { group: group[1] } : {}),
        at: Date.now(),
      };
      const stored = this.context.intake
        .submit(toTerminalMessage(typed))
        .catch((error: Error) => this.context.logger.error({ err: error.message }, 'terminal message failed'));
      this.storing = Promise.all([this.storing, stored]);
    });
    // Ctrl+D (or the end of piped input): answer everything typed, then end the app.
    this.readline.on('close', () => {
      void this.storing.then(() => this.context.intake.whenIdle()).then(() => this.context.requestShutdown('terminal input closed'));
    });
  }

  async stop(): Promise<void> {
    this.readline?.close();
  }

  /** "you> " before each line typed at a keyboard; piped input gets none. */
  private prompt(): void {
    if ((this.input as NodeJS.ReadStream).isTTY) this.output.write('you> ');
  }
}
