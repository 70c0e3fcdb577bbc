import { safeUrl } from '../../config/cow-providers.js';
import { createLogger } from '../../logger.js';
import { DifyClient } from './dify-client.js';
import type { DifyBackendConfig } from './dify-config.js';
import { DifyApiError } from './dify-errors.js';

/** `weworktop doctor`: the app's /parameters with its key, which every Dify app answers without running a model. */
export async function checkDifyApp(config: DifyBackendConfig): Promise<{ ok: boolean; detail: string; fix?: string }> {
  const base = safeUrl(config.dify_api_base);
  try {
    await new DifyClient(config, createLogger({ level: 'silent' })).getJson('/parameters');
    return { ok: true, detail: `the Dify app at ${base} answered with its parameters (dify_api_key is valid)` };
  } catch (error) {
    if (error instanceof DifyApiError) {
      const said = `${base} answered ${error.status}${error.code ? ` ${error.code}` : ''}: ${error.message}`;
      if (error.status === 401 || error.status === 403)
        return { ok: false, detail: said, fix: "dify_api_key is wrong or the app's API is off: copy the key from your app → API Access" };
      return { ok: false, detail: said, fix: 'check dify_api_base: the Service API, ending in /v1' };
    }
    const cause = error as { code?: string; message?: string };
    return {
      ok: false,
      detail: `cannot reach ${base}: ${cause.code ?? cause.message}`,
      fix: 'check dify_api_base, the network, or set proxy',
    };
  }
}
