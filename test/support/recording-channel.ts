import type { ChannelCapabilities, ReplyContext, ReplyTarget } from '../../src/channel.js';
import type { NormalizedMessage } from '../../src/message.js';
import type { AnswerOptions, MessageHandler } from '../../src/pipeline/message-handler.js';
import type { Reply } from '../../src/reply.js';

/** A reply target that keeps what the pipeline sends, for pipeline tests that need no platform. */
export class RecordingChannel implements ReplyTarget {
  readonly name = 'recording';
  readonly sent: Array<{ reply: Reply; context: ReplyContext }> = [];

  constructor(readonly capabilities: ChannelCapabilities = { voice: false, image: true, file: true, streaming: false }) {}

  capabilitiesFor(): ChannelCapabilities {
    return this.capabilities;
  }

  async send(reply: Reply, context: ReplyContext): Promise<void> {
    this.sent.push({ reply, context });
  }

  /** Texts of text and error replies, in order. */
  get texts(): string[] {
    return this.sent.map(({ reply }) => (reply.type === 'text' || reply.type === 'error' ? reply.text : `<${reply.type}>`));
  }
}

let counter = 0;

export function textMessage(text: string, extra: Partial<NormalizedMessage> = {}): NormalizedMessage {
  counter += 1;
  return {
    id: `m${counter}`,
    channel: 'recording',
    chatType: 'single',
    senderId: 'zhangsan',
    isAt: false,
    kind: 'text',
    text,
    time: new Date(),
    raw: {},
    ...extra,
  };
}

export function groupMessage(text: string, extra: Partial<NormalizedMessage> = {}): NormalizedMessage {
  return textMessage(text, { chatType: 'group', groupId: 'wrkGroup1', groupName: '测试群', senderName: '张三', ...extra });
}

/** What the answer runner does with a pipeline's answer, minus storage and retries: every reply to the target, in order. */
export async function answerAndSend(
  pipeline: MessageHandler,
  message: NormalizedMessage,
  target: ReplyTarget,
  options: AnswerOptions = {},
): Promise<void> {
  const outcome = await pipeline.answer(message, target, options);
  for (const reply of outcome.replies) await target.send(reply, { message, sessionId: outcome.sessionId });
}
