/** Core values of config.json.example that are not real (channels add their section's). */
export const CORE_EXAMPLE_VALUES: Record<string, string> = {
  open_ai_api_key: 'sk-your-key',
};

/** Keys (dotted paths) whose value is still the one config.json.example shows, in `examples` order. */
export function stillExampleValues(values: Record<string, unknown>, examples: Record<string, string>): string[] {
  return Object.entries(examples)
    .filter(([path, example]) => valueAt(values, path) === example)
    .map(([path]) => path);
}

function valueAt(values: Record<string, unknown>, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (node, part) => (typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined),
      values,
    );
}
