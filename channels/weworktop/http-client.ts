import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import { HttpsProxyAgent } from 'https-proxy-agent';

/**
 * The one HTTP client shape for every call to WeCom (API calls, AI bot response_url, media):
 * answers of any status come back as values, and a configured proxy carries everything.
 */
export function createWeComHttp(options: { baseURL?: string; timeoutMs: number; proxy: string }): AxiosInstance {
  const agent = options.proxy ? new HttpsProxyAgent(options.proxy) : undefined;
  return axios.create({
    ...(options.baseURL ? { baseURL: options.baseURL } : {}),
    timeout: options.timeoutMs,
    proxy: false,
    // A proxy tunnels with CONNECT for http and https alike; without one, keep connections alive.
    httpAgent: agent ?? new http.Agent({ keepAlive: true }),
    httpsAgent: agent ?? new https.Agent({ keepAlive: true }),
    validateStatus: () => true,
    // WeCom's API does not redirect. Without this axios wraps every request in follow-redirects,
    // which buffers and re-emits it (bench/: 5% of the answer worker's allocations, an eighth of a send's).
    maxRedirects: 0,
  });
}

/** Closes the kept-alive connections of a client made by createWeComHttp (on stop). */
export function closeWeComHttp(http: AxiosInstance): void {
  for (const agent of [http.defaults.httpAgent, http.defaults.httpsAgent] as Array<{ destroy?: () => void } | undefined>) agent?.destroy?.();
}
