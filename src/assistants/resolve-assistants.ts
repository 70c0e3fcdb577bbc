import convict from 'convict';
import type { BackendRegistry } from '../backends/backend-module.js';
import { backendNamed, DEFAULT_BACKEND } from '../backends/choose-backend.js';
import { ConfigError, fromConvictError, type KeyNames, nameKey } from '../config/config-error.js';
import { chooseLlm, type LlmChoice, safeUrl } from '../config/cow-providers.js';
import { type AppConfig, coreSchema } from '../config/schema.js';
import type { Assistant, AssistantDeclaration } from './assistant.js';
import { isAssistantKey } from './assistant-keys.js';

export interface ResolveOptions {
  /** The top level as loaded, before the LLM provider was resolved into open_ai_* and model. */
  topLevel: AppConfig;
  /** Whether the user wrote `model` at the top level (chooseLlm keeps a written model). */
  modelWritten: boolean;
  backends: BackendRegistry;
  names: KeyNames;
}

/**
 * Each declared app or bot as an Assistant: its overrides checked against the core schema and its
 * backend's (errors name the key as written: weworktop.agents[1].model), merged over the top level,
 * and the LLM provider chosen for it as for the top level.
 */
export async function resolveAssistants(declarations: readonly AssistantDeclaration[], options: ResolveOptions): Promise<Assistant[]> {
  let backendKeys: Set<string> | undefined;
  // Every backend's keys (dify_*) are learned only when an override is not a core key: loading them costs a module each.
  const keysOfBackends = async () => {
    if (backendKeys) return backendKeys;
    const modules = await Promise.all(options.backends.names.map((name) => options.backends.load(name)));
    backendKeys = new Set(modules.flatMap((module) => Object.keys(module.configSchema ?? {})));
    return backendKeys;
  };
  const resolved: Assistant[] = [];
  for (const declaration of declarations) resolved.push(await resolveOne(declaration, keysOfBackends, options));
  return resolved;
}

async function resolveOne(
  declaration: AssistantDeclaration,
  keysOfBackends: () => Promise<ReadonlySet<string>>,
  options: ResolveOptions,
): Promise<Assistant> {
  const { topLevel, names } = options;
  const writtenAt = new Map<string, string>();
  const overrides: Record<string, unknown> = {};
  for (const layer of declaration.layers)
    for (const [key, value] of Object.entries(layer.overrides)) {
      if (!isAssistantKey(key) && !(await keysOfBackends()).has(key))
        throw new ConfigError(
          `${layer.keyPath}.${key}`,
          'a key an app or bot may set for itself (bot_type, model, open_ai_api_key, open_ai_api_base, character_desc, dify_*, prefixes, voice and image keys)',
          'a key it cannot set',
        );
      overrides[key] = value;
      writtenAt.set(key, `${layer.keyPath}.${key}`);
    }
  const mostSpecific = declaration.layers.at(-1)?.keyPath ?? declaration.label;
  // A key the user did not write here nor at the top level (dify_api_key for a Dify app) is named where it belongs.
  const pathOf = (key: string) => writtenAt.get(key) ?? (key in topLevel ? nameKey(key, names) : `${mostSpecific}.${key}`);

  const botType = (overrides.bot_type ?? topLevel.bot_type) as unknown;
  let backend: string;
  try {
    backend = backendNamed(typeof botType === 'string' ? botType : '', options.backends.names);
  } catch (error) {
    throw error instanceof ConfigError ? new ConfigError(pathOf('bot_type'), error.expected, error.found) : error;
  }
  const module = await options.backends.load(backend);
  const backendSchema = module.configSchema ?? {};
  const schema = { ...coreSchema, ...backendSchema } as convict.Schema<AppConfig>;
  const declared = Object.fromEntries(Object.entries(topLevel).filter(([key]) => key in schema));
  let config: AppConfig;
  try {
    const checked = convict(schema, { env: {}, args: [] });
    checked.load(declared);
    checked.load(overrides);
    checked.validate({ allowed: 'warn', output: () => {} });
    config = { ...topLevel, ...checked.getProperties() };
  } catch (error) {
    const plain = error instanceof ConfigError ? error : fromConvictError(error as Error);
    throw new ConfigError(pathOf(plain.key), plain.expected, plain.found);
  }
  let summary = module.describe?.(config) ?? `${backend}, model ${config.model}`;
  let llm: LlmChoice | undefined;
  if (backend === DEFAULT_BACKEND) {
    try {
      llm = chooseLlm(config, options.modelWritten || 'model' in overrides);
      Object.assign(config, { open_ai_api_key: llm.apiKey, open_ai_api_base: llm.apiBase, model: llm.model });
      summary = llm.missing
        ? `the offline responder (${llm.missing.key} is empty)`
        : `${llm.label} at ${safeUrl(llm.apiBase)}, model ${llm.model}`;
    } catch (error) {
      throw error instanceof ConfigError ? new ConfigError(pathOf(error.key), error.expected, error.found) : error;
    }
  }
  return { scope: declaration.scope, label: declaration.label, backend, summary, config, ...(llm ? { llm } : {}) };
}
