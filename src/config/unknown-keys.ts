/** CoW keys with no key of the same name here, and what to write instead. */
export const COW_EQUIVALENTS: Record<string, string> = {
  subscribe_msg: 'weworktop.welcome_message',
  debug: 'log_level: "debug"',
  image_create_size: 'image_size',
  appdata_dir: 'data_dir',
  group_shared_session: 'group_chat_in_one_session: ["ALL_GROUP"]',
  qwen_access_key_id: 'dashscope_api_key',
  qwen_agent_key: 'dashscope_api_key',
  claude_api_cookie: 'claude_api_key',
  Minimax_api_key: 'minimax_api_key',
};

/** How many unknown key names the line shows before "…". */
const SHOWN = 8;

/**
 * One warning line for every key weworktop does not know (a CoW config carries a hundred): how
 * many, the first few, and for those with an equivalent what to write instead. Keys starting with
 * "_" are comments, as in CoW.
 */
export function summarizeUnknownKeys(keys: readonly string[]): string | undefined {
  const unknown = [...new Set(keys)].filter((key) => !key.split('.').some((part) => part.startsWith('_')));
  if (unknown.length === 0) return undefined;
  const mapped = unknown.filter((key) => key in COW_EQUIVALENTS);
  const others = unknown.filter((key) => !(key in COW_EQUIVALENTS));
  const names = others.slice(0, SHOWN).join(', ') + (others.length > SHOWN ? `, … (${others.length - SHOWN} more)` : '');
  const parts = [`${unknown.length} config key${unknown.length === 1 ? ' is' : 's are'} not used by weworktop and ignored`];
  if (mapped.length > 0) parts.push(`write instead: ${mapped.map((key) => `${key} → ${COW_EQUIVALENTS[key]}`).join(', ')}`);
  if (others.length > 0) parts.push(`no equivalent: ${names}`);
  return parts.join('; ');
}

/** The key names in convict's "configuration param 'x' not declared in the schema" warnings. */
export function undeclaredKeys(convictWarning: string): string[] {
  return [...convictWarning.matchAll(/configuration param '([^']+)' not declared/g)].map((match) => match[1]!);
}
