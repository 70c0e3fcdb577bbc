import type { Completion } from '../chat-bot.js';
import { DifyApiError } from './dify-errors.js';

/**
 * A Dify answer assembled from its stream (dify-api.md §2.6): `message` / `agent_message` deltas
 * are appended, `message_replace` replaces the text so far (moderation), workflows' `text_chunk`
 * deltas are shown while the end node's output is the answer. Events it does not know are skipped.
 */
export class DifyAnswer {
  private text = '';
  private readonly thoughts: string[] = [];
  /** Images the app made for the answer, as Dify gives their URLs (often relative), by path: each once. */
  private readonly images = new Map<string, string>();
  private totalTokens: number | undefined;

  constructor(
    private readonly showThoughts: boolean,
    private readonly onPartial: ((textSoFar: string) => void) | undefined,
    /** Workflow apps: the output variable that holds the answer ("": "text", else the only text output); undefined for chat apps. */
    private readonly workflowOutput?: string,
  ) {}

  /** Takes one event; true once the answer is complete. An `error` event is thrown as Dify's error. */
  add(event: Record<string, unknown>): boolean {
    const data = (event.data ?? {}) as Record<string, unknown>;
    switch (event.event) {
      case 'message':
      case 'agent_message':
        this.grow(this.text + String(event.answer ?? ''));
        return false;
      case 'message_replace':
        this.grow(String(event.answer ?? ''));
        return false;
      case 'text_chunk':
        this.grow(this.text + String(data.text ?? ''));
        return false;
      case 'agent_thought':
        if (this.showThoughts && typeof event.thought === 'string' && event.thought.trim()) {
          this.thoughts.push(event.thought.trim());
          this.grow(this.text);
        }
        return false;
      case 'message_file':
        if (event.type === 'image' && event.belongs_to !== 'user') this.addImage(event.url);
        return false;
      case 'message_end':
        this.totalTokens = usageTokens(event.metadata);
        return true;
      case 'workflow_finished':
        for (const file of Array.isArray(data.files) ? (data.files as Array<Record<string, unknown>>) : [])
          if (file.type === 'image') this.addImage(file.url);
        // A chatflow's comes before its message_end, which ends its answer.
        return this.workflowOutput !== undefined && this.finishWorkflow(data, this.workflowOutput);
      case 'error':
        throw new DifyApiError(Number(event.status ?? 500), String(event.code ?? ''), String(event.message ?? 'error event'));
      default:
        return false;
    }
  }

  /**
   * The answer. A Markdown image of Dify's own files (`![](/files/...)`, relative, signed) cannot be
   * shown in WeCom: it leaves the text and joins the images.
   */
  completion(): Completion {
    const text = this.shown()
      .replace(DIFY_MARKDOWN_IMAGE, (_, url: string) => {
        this.addImage(url);
        return '';
      })
      .replace(/\n{3,}/g, '\n\n')
      .trim();
    return { text, ...(this.totalTokens === undefined ? {} : { totalTokens: this.totalTokens }) };
  }

  /** The images' URLs as Dify gave them; read after `completion()`. */
  imageUrls(): string[] {
    return [...this.images.values()];
  }

  private addImage(url: unknown): void {
    if (typeof url !== 'string' || url === '') return;
    // An event and the text's Markdown may name one file with different signatures.
    const path = url.split('?')[0]!;
    if (!this.images.has(path)) this.images.set(path, url);
  }

  private finishWorkflow(data: Record<string, unknown>, outputKey: string): boolean {
    if (data.status !== undefined && data.status !== 'succeeded')
      throw new DifyApiError(400, 'workflow_request_error', `workflow ${String(data.status)}: ${String(data.error ?? '')}`);
    const outputs = (data.outputs ?? {}) as Record<string, unknown>;
    const texts = Object.values(outputs).filter((value): value is string => typeof value === 'string');
    const answer = outputKey ? outputs[outputKey] : (outputs.text ?? (texts.length === 1 ? texts[0] : undefined));
    if (typeof answer !== 'string') {
      const keys = Object.keys(outputs).join(', ') || 'none';
      throw new DifyApiError(
        400,
        'workflow_output_missing',
        `no text output "${outputKey || 'text'}" (outputs: ${keys}); set dify_workflow_output`,
      );
    }
    this.text = answer;
    const tokens = Number(data.total_tokens);
    if (Number.isFinite(tokens) && tokens > 0) this.totalTokens = tokens;
    return true;
  }

  private grow(text: string): void {
    this.text = text;
    this.onPartial?.(this.shown());
  }

  private shown(): string {
    if (this.thoughts.length === 0) return this.text;
    return `${this.thoughts.map((thought) => `💭 ${thought}`).join('\n')}\n\n${this.text}`;
  }
}

const DIFY_MARKDOWN_IMAGE = / ?!\[[^\]]*\]\((\/files\/[^)\s]+)\)/g;

function usageTokens(metadata: unknown): number | undefined {
  const total = (metadata as { usage?: { total_tokens?: unknown } } | undefined)?.usage?.total_tokens;
  return typeof total === 'number' ? total : undefined;
}
