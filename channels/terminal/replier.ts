import type { ChannelCapabilities, ChannelLink, Replier } from '../../src/channel.js';
import type { NormalizedMessage } from '../../src/message.js';
import type { Reply } from '../../src/reply.js';
import { type Said, type TypedLine, toTerminalMessage } from './typed-line.js';

const CAPABILITIES: ChannelCapabilities = { voice: false, image: false, file: false, streaming: false };

/** The answering half, on the answer worker: replies go to the main thread to be printed in order. */
export class TerminalReplier implements Replier {
  readonly name = 'terminal';
  /** Someone waits at the keyboard: a failure that may pass is said at once, not retried for minutes. */
  readonly retriesFailures = false;

  constructor(private readonly link: ChannelLink) {}

  capabilitiesFor(): ChannelCapabilities {
    return CAPABILITIES;
  }

  revive(raw: unknown): NormalizedMessage | undefined {
    const typed = raw as TypedLine | null;
    return typed?.route === 'terminal' ? toTerminalMessage(typed) : undefined;
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
