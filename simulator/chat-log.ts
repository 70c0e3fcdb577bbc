import { EventEmitter } from 'node:events';

/** One wire payload behind a message, shown on the page under "payloads". */
export interface RawPayload {
  label: string;
  content: string;
}

/**
 * A line of a chat on the page. `chat` is "single:<user>" (the app route), "group:<chatid>" (the
 * AI bot route) or "kf:<external_userid>" (微信客服). Bot markdown arrives as `html`, escaped and
 * rendered on the server.
 */
export interface ChatEntry {
  id: string;
  chat: string;
  /** servicer: a human at the 客服 desk writing to a WeChat customer. */
  from: 'user' | 'bot' | 'note' | 'servicer';
  user: string;
  at: number;
  kind: 'text' | 'markdown' | 'image' | 'voice' | 'file' | 'stream' | 'note';
  text: string;
  html?: string;
  /** Media served by the page server (/media/<id>). */
  media?: Array<{ url: string; type: 'image' | 'audio' | 'file'; name?: string }>;
  /** A stream still being written (AI bot answers), updated as WeCom's polls read it. */
  streaming?: boolean;
  raw: RawPayload[];
}

export type ChatEvent = { type: 'entry'; entry: ChatEntry } | { type: 'log'; line: string };

const MAX_ENTRIES = 2000;
const MAX_LOG_LINES = 300;

export const privateChat = (user: string) => `single:${user}`;
export const groupChat = (chatId: string) => `group:${chatId}`;
export const kfChat = (customer: string) => `kf:${customer}`;

/** What the page shows: chat entries and the app's log lines, with a feed of changes for the browser. */
export class ChatLog {
  private readonly entries: ChatEntry[] = [];
  private readonly logLines: string[] = [];
  private readonly events = new EventEmitter();
  private counter = 0;

  constructor() {
    // Every open page is a listener.
    this.events.setMaxListeners(0);
  }

  add(entry: Omit<ChatEntry, 'id' | 'at' | 'raw'> & { raw?: RawPayload[] }): ChatEntry {
    this.counter += 1;
    const full: ChatEntry = { ...entry, id: `e${this.counter}`, at: Date.now(), raw: entry.raw ?? [] };
    this.entries.push(full);
    if (this.entries.length > MAX_ENTRIES) this.entries.shift();
    this.emit({ type: 'entry', entry: full });
    return full;
  }

  /** Changes an entry in place and tells the pages (a growing stream, payloads that arrived later). */
  update(entry: ChatEntry, change: Partial<Omit<ChatEntry, 'id' | 'chat'>>): void {
    Object.assign(entry, change);
    this.emit({ type: 'entry', entry });
  }

  note(chat: string, text: string, raw: RawPayload[] = []): ChatEntry {
    return this.add({ chat, from: 'note', user: '', kind: 'note', text, raw });
  }

  log(line: string): void {
    this.logLines.push(line);
    if (this.logLines.length > MAX_LOG_LINES) this.logLines.shift();
    this.emit({ type: 'log', line });
  }

  snapshot(): { entries: ChatEntry[]; log: string[] } {
    return { entries: [...this.entries], log: [...this.logLines] };
  }

  subscribe(listener: (event: ChatEvent) => void): () => void {
    this.events.on('event', listener);
    return () => this.events.off('event', listener);
  }

  private emit(event: ChatEvent): void {
    this.events.emit('event', event);
  }
}
