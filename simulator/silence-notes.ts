import { groupChat, kfChat, privateChat } from './chat-log.js';

export interface SilenceNote {
  chat: string;
  text: string;
}

/** The pipeline's "ignored: <reason>" lines, in the text format: `... [pipeline] ignored: reason id=.. from=.. group=..`. */
const TEXT_LINE = /\[pipeline\] ignored: (.*?)((?: [a-z_]+=\S*)*)\s*$/;
/** 微信客服's "not answered" and hand-over lines: `... [kf] 微信客服: the session is not the bot's (...); not answered id=.. customer=..`. */
const KF_LINE = /\[kf\] 微信客服: ((?:the session is not the bot's|session handed to the servicers)[^=]*?) [a-z_]+=.*?\bcustomer=(\S+)/;

/**
 * A message the pipeline decided not to answer says so in the log, and only there; the page shows
 * the same reason as a note in that chat, so a silent bot is never a mystery in the simulator.
 */
export function silenceNote(line: string): SilenceNote | undefined {
  const kf = KF_LINE.exec(line);
  if (kf) return { chat: kfChat(kf[2]!), text: kf[1]! };
  const record = parse(line);
  if (!record) return undefined;
  const chat = record.group ? groupChat(record.group) : record.from ? privateChat(record.from) : undefined;
  return chat ? { chat, text: `No answer: ${record.reason}` } : undefined;
}

function parse(line: string): { reason: string; from?: string; group?: string } | undefined {
  if (line.startsWith('{')) {
    try {
      const record = JSON.parse(line) as { module?: string; msg?: string; from?: string; group?: string };
      if (record.module !== 'pipeline' || !record.msg?.startsWith('ignored: ')) return undefined;
      return {
        reason: record.msg.slice('ignored: '.length),
        ...(record.from ? { from: record.from } : {}),
        ...(record.group ? { group: record.group } : {}),
      };
    } catch {
      return undefined;
    }
  }
  const match = TEXT_LINE.exec(line);
  if (!match) return undefined;
  const fields = Object.fromEntries([...(match[2] ?? '').matchAll(/ ([a-z_]+)=(\S*)/g)].map((field) => [field[1]!, field[2]!]));
  return { reason: match[1]!, ...(fields.from ? { from: fields.from } : {}), ...(fields.group ? { group: fields.group } : {}) };
}
