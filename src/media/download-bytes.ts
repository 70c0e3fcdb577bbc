export interface DownloadOptions {
  timeoutMs: number;
  maxBytes: number;
  /** HTTP proxy, the same one the LLM calls use. */
  proxy?: string;
}

/** GETs a URL into memory, refusing error statuses and bodies over `maxBytes`. */
export async function downloadBytes(url: string, options: DownloadOptions): Promise<Buffer> {
  // Loaded on first use: only image answers given as URLs need it.
  const { fetch, ProxyAgent } = await import('undici');
  const response = await fetch(url, {
    signal: AbortSignal.timeout(options.timeoutMs),
    ...(options.proxy ? { dispatcher: new ProxyAgent(options.proxy) } : {}),
  });
  if (!response.ok || !response.body) throw new Error(`GET ${new URL(url).host} answered HTTP ${response.status}`);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += chunk.length;
    if (total > options.maxBytes) throw new Error(`download exceeds ${options.maxBytes} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}
