/**
 * Secrets that are not in the config but learned at run time (access tokens, response_url codes),
 * so that every logger of this thread can redact them, even inside text an upstream echoed back.
 * Each group keeps its latest few values: a token replaced hours ago no longer needs hiding.
 */
const groups = new Map<string, string[]>();
let version = 0;

/** Remembers `value` in `group`, dropping the group's oldest beyond `keep`. */
export function learnSecret(group: string, value: string, keep = 4): void {
  if (value.length < 4) return;
  const values = groups.get(group) ?? [];
  if (values.includes(value)) return;
  values.push(value);
  while (values.length > keep) values.shift();
  groups.set(group, values);
  version++;
}

/** Changes whenever a secret is learned or forgotten: redactors rebuild their list only then. */
export function learnedVersion(): number {
  return version;
}

export function learnedSecrets(): string[] {
  return [...groups.values()].flat();
}
