/**
 * Env vars override the file. They are strings, so each is parsed by its key's format here
 * (a list from JSON or "a,b", a number, true/false, JSON for objects); a value that does not
 * parse stays a string, and validation then names the key and what was found.
 */
export function envOverlay(
  schema: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  names?: Map<string, string>,
  prefix = '',
): Record<string, unknown> {
  const overlay: Record<string, unknown> = {};
  for (const [key, node] of Object.entries(schema)) {
    if (!isObject(node)) continue;
    if (!('default' in node)) {
      const nested = envOverlay(node, env, names, `${prefix}${key}.`);
      if (Object.keys(nested).length > 0) overlay[key] = nested;
      continue;
    }
    const name = node.env;
    const text = typeof name === 'string' ? env[name] : undefined;
    if (text !== undefined) {
      overlay[key] = fromEnvString(node.format, text);
      names?.set(`${prefix}${key}`, name as string);
    }
  }
  return overlay;
}

/**
 * Other tools' names for section keys, as environment variables (CoW reads WECHATCOMAPP_TOKEN for
 * wechatcomapp_token); the section's own variable (WEWORKTOP_TOKEN) wins when both are set.
 */
export function aliasEnvOverlay(
  schema: Record<string, unknown>,
  aliases: Record<string, string>,
  env: NodeJS.ProcessEnv,
  names: Map<string, string>,
  prefix: string,
): Record<string, unknown> {
  const overlay: Record<string, unknown> = {};
  for (const [alias, key] of Object.entries(aliases)) {
    // A dotted key (bot.secret) is a leaf of a sub-section.
    const parts = key.split('.');
    const node = parts.reduce<unknown>((at, part) => (isObject(at) ? at[part] : undefined), schema);
    const text = env[alias.toUpperCase()];
    if (text === undefined || !isObject(node) || !('default' in node) || (typeof node.env === 'string' && env[node.env] !== undefined))
      continue;
    let target = overlay;
    for (const part of parts.slice(0, -1)) {
      target[part] = isObject(target[part]) ? target[part] : {};
      target = target[part] as Record<string, unknown>;
    }
    target[parts.at(-1)!] = fromEnvString(node.format, text);
    names.set(`${prefix}${key}`, alias.toUpperCase());
  }
  return overlay;
}

/**
 * A core key written in the channel's section works (weworktop.port), so its variable in the
 * section's form does too (WEWORKTOP_PORT), winning over the plain one (PORT) as the section does.
 */
export function sectionEnvOverlay(
  core: Record<string, unknown>,
  channel: string,
  env: NodeJS.ProcessEnv,
  names: Map<string, string>,
  sectionKeys: ReadonlySet<string>,
): Record<string, unknown> {
  const overlay: Record<string, unknown> = {};
  for (const [key, node] of Object.entries(core)) {
    // WEWORKTOP_PROXY is the section's own key (WeCom's proxy), not the LLM's proxy.
    if (sectionKeys.has(key)) continue;
    const name = `${channel.toUpperCase()}_${key.toUpperCase()}`;
    const text = env[name];
    if (text === undefined || !isObject(node) || !('default' in node)) continue;
    overlay[key] = fromEnvString(node.format, text);
    names.set(key, name);
  }
  return overlay;
}

function fromEnvString(format: unknown, text: string): unknown {
  const trimmed = text.trim();
  switch (format) {
    case 'string-list':
      if (trimmed.startsWith('[')) return parseJson(trimmed);
      return trimmed === '' ? [] : trimmed.split(',').map((item) => item.trim());
    case 'flag':
      return trimmed === 'true' ? true : trimmed === 'false' ? false : text;
    case 'non-negative-int':
    case 'positive-int':
    case 'tcp-port':
    case 'finite-number':
      return trimmed !== '' && Number.isFinite(Number(trimmed)) ? Number(trimmed) : text;
    case 'object':
      return parseJson(trimmed);
    default:
      // Function formats validate structured values (lists of objects): accept JSON for them.
      return typeof format === 'function' && /^[[{]/.test(trimmed) ? parseJson(trimmed) : text;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
