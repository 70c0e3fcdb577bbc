/** The engines each key may name (their modules: engine-registries.ts), for the config schema to check without loading them. */
export const TRANSCRIBER_NAMES = ['openai', 'azure'] as const;
export const SYNTHESIZER_NAMES = ['openai', 'azure'] as const;
