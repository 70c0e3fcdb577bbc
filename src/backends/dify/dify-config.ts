import type { CoreConfig } from '../../config/schema.js';

/** dify-on-wechat's names for the app types; all but "workflow" talk to /chat-messages. */
export const DIFY_APP_TYPES = ['chat', 'chatbot', 'agent', 'chatflow', 'workflow'] as const;
export type DifyAppType = (typeof DIFY_APP_TYPES)[number];

/** The Dify backend's keys (index.ts declares their schema). */
export interface DifyConfig {
  dify_api_base: string;
  dify_api_key: string;
  dify_app_type: DifyAppType;
  dify_workflow_input: string;
  dify_workflow_output: string;
  dify_show_thoughts: boolean;
}

/** What the Dify client needs: its keys and the core's proxy, timeout and retries. */
export type DifyBackendConfig = DifyConfig & Pick<CoreConfig, 'proxy' | 'request_timeout' | 'max_retries'>;
