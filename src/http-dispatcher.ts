import { Agent, type Dispatcher, ProxyAgent } from 'undici';

/**
 * undici's connection pool for outgoing calls: kept-alive connections to every origin, or, with
 * `proxy`, every request tunnelled through it (CONNECT, for http and https alike).
 */
export function createDispatcher(proxy: string): Dispatcher {
  return proxy ? new ProxyAgent(proxy) : new Agent();
}
