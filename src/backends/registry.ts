import { createRegistry } from '../registries.js';
import type { BackendModule } from './backend-module.js';

/** Backend name → its module, imported only when bot_type chooses it (choose-backend.ts maps CoW's values). */
export const backendRegistry = createRegistry<BackendModule>({
  openai: () => import('./openai/index.js'),
  none: () => import('./none/index.js'),
  dify: () => import('./dify/index.js'),
});
