/** How a channel takes a config written for chatgpt-on-wechat (CoW). */
export interface CowCompat {
  /** CoW channel_type names this channel serves, each with the notice logged when it is used. */
  channelTypes: Record<string, { notice: string; cowApp?: boolean }>;
  /** Whether a config (CoW's flat shape or ours) or the environment carries this channel's credentials. */
  hasCredentials(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): boolean;
  /** Why this channel cannot run a CoW channel_type with this config, or undefined when it can. */
  refuse?(channelType: string, raw: Record<string, unknown>, env: NodeJS.ProcessEnv): { expected: string; found: string } | undefined;
  /** Values for a config that came from CoW's WeCom app (its keys or channel_type), unless it sets them: core keys, or the section's. */
  appDefaults: Record<string, unknown>;
}
