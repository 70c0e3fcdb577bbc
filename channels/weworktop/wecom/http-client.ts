import axios, { type AxiosInstance } from 'axios';
import type { Dispatcher } from 'undici';
import { createDispatcher } from '../../../src/http-dispatcher.js';
import { undiciAdapter } from './undici-adapter.js';

const dispatchers = new WeakMap<AxiosInstance, Dispatcher>();

/**
 * The one HTTP client shape for every call to WeCom (API calls, AI bot response_url, media):
 * answers of any status come back as values, and a configured proxy carries everything.
 */
export function createWeComHttp(options: { baseURL?: string; timeoutMs: number; proxy: string }): AxiosInstance {
  const dispatcher = createDispatcher(options.proxy);
  const http = axios.create({
    ...(options.baseURL ? { baseURL: options.baseURL } : {}),
    timeout: options.timeoutMs,
    adapter: undiciAdapter(dispatcher),
    validateStatus: () => true,
  });
  dispatchers.set(http, dispatcher);
  return http;
}

/** Closes the kept-alive connections of a client made by createWeComHttp (on stop). */
export function closeWeComHttp(http: AxiosInstance): void {
  void dispatchers.get(http)?.destroy();
}
