/**
 * The shared outbound queue's steps, each atomic. An entry is a hash (`out:<kind>:<id>`); its order
 * key's queued ids are a list (`outq:<kind>:<key>`, the order across processes); `outready:<kind>`
 * names the keys with entries waiting; `outlease:<kind>:<key>` says which process sends them.
 */

/**
 * ADD: stores an entry unless its idempotency key (or id) is known. KEYS: entry, queue, ready,
 * idempotency. ARGV: id, order_key, body, created_at, has_key (1/0), window_ms, pool ('' for none).
 * Returns {id, created}.
 */
export const ADD = `
if ARGV[5] == '1' then
  local earlier = redis.call('GET', KEYS[4])
  if earlier then return {earlier, 0} end
end
if redis.call('EXISTS', KEYS[1]) == 1 then return {ARGV[1], 0} end
redis.call('HSET', KEYS[1], 'order_key', ARGV[2], 'body', ARGV[3], 'created_at', ARGV[4], 'status', 'queued', 'attempts', 0, 'parts_sent', 0, 'pool', ARGV[7])
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[2])
if ARGV[5] == '1' then redis.call('SET', KEYS[4], ARGV[1], 'PX', ARGV[6]) end
return {ARGV[1], 1}
`;

/**
 * CLAIM: leases up to max_keys order keys with entries waiting that nobody holds (a stale ready
 * member is cleared). KEYS: the ready sets to look in (no pool's, then the pools held here).
 * ARGV: prefix, kind, owner, lease_ms, max_keys. Returns the keys taken.
 */
export const CLAIM = `
local taken = {}
for _, ready in ipairs(KEYS) do
  for _, key in ipairs(redis.call('SMEMBERS', ready)) do
    if #taken >= tonumber(ARGV[5]) then return taken end
    local lease = ARGV[1] .. 'outlease:' .. ARGV[2] .. ':' .. key
    if redis.call('LLEN', ARGV[1] .. 'outq:' .. ARGV[2] .. ':' .. key) == 0 then
      if redis.call('EXISTS', lease) == 0 then redis.call('SREM', ready, key) end
    elseif redis.call('SET', lease, ARGV[3], 'NX', 'PX', ARGV[4]) then
      table.insert(taken, key)
    end
  end
end
return taken
`;

/**
 * SETTLE: marks a queued entry sent or failed, kept `ttl_ms` for status reads, and takes it off
 * its key's queue. KEYS: entry. ARGV: id, status, error ('' for none), ttl_ms, prefix, kind.
 */
export const SETTLE = `
if redis.call('HGET', KEYS[1], 'status') ~= 'queued' then return 0 end
local queue = ARGV[5] .. 'outq:' .. ARGV[6] .. ':' .. redis.call('HGET', KEYS[1], 'order_key')
redis.call('HSET', KEYS[1], 'status', ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'error', ARGV[3]) end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('LREM', queue, 1, ARGV[1])
return 1
`;

/**
 * MORE: a held key's ids queued now (up to batch); with none, the lease goes and the key leaves
 * ready in the same step, so an entry added later is claimed anew. KEYS: queue, lease, ready.
 * ARGV: owner, order_key, batch. Returns {1, ids}, or {0} when the lease is another's.
 */
export const MORE = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return {0} end
local ids = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[3]) - 1)
if #ids == 0 then
  redis.call('DEL', KEYS[2])
  redis.call('SREM', KEYS[3], ARGV[2])
end
return {1, ids}
`;
