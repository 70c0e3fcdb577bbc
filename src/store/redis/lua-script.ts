import type { Redis } from 'ioredis';

/** A Lua script run atomically on the server (EVALSHA, loaded again after a Redis restart). */
export type LuaScript = (keys: readonly string[], args: ReadonlyArray<string | number>) => Promise<unknown>;

export function luaScript(redis: Redis, name: string, lua: string): LuaScript {
  redis.defineCommand(name, { lua });
  const command = (redis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[name]!;
  return (keys, args) => command.call(redis, keys.length, ...keys, ...args);
}
