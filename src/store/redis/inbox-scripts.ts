/**
 * The inbox's atomic steps. ADMIT: the dedupe mark and the enqueue in one step, so a retry on any
 * instance is recognized and a message is never marked without being queued.
 * KEYS: seen, message, queue, ready (of its pool). ARGV: id, channel, session, raw, received_at, seen_ttl_ms, pool.
 */
export const ADMIT = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[6]) then return 0 end
redis.call('HSET', KEYS[2], 'channel', ARGV[2], 'session', ARGV[3], 'raw', ARGV[4], 'received_at', ARGV[5], 'attempts', 0, 'parts_sent', 0, 'pool', ARGV[7])
redis.call('RPUSH', KEYS[3], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[3])
return 1
`;

/**
 * SETTLE: a message leaves its conversation's queue (answered or given up; its id stays seen).
 * The lease holder gets the conversation's next message id, its lease renewed; with nothing left
 * the lease is released in the same step, so a message queued meanwhile is never stranded.
 * ARGV: prefix, id, owner, lease_ms. Returns {session, next?}; nil when the message was settled before.
 */
export const SETTLE = `
local message = ARGV[1] .. 'msg:' .. ARGV[2]
local session = redis.call('HGET', message, 'session')
if not session then return nil end
local pool = redis.call('HGET', message, 'pool')
local ready = ARGV[1] .. 'ready'
if pool and pool ~= '' then ready = ready .. ':' .. pool end
local queue = ARGV[1] .. 'queue:' .. session
local lease = ARGV[1] .. 'lease:' .. session
redis.call('LREM', queue, 1, ARGV[2])
redis.call('DEL', message)
local mine = redis.call('GET', lease) == ARGV[3]
if redis.call('LLEN', queue) == 0 then
  redis.call('SREM', ready, session)
  if mine then redis.call('DEL', lease) end
  return {session}
end
if not mine then return {session} end
redis.call('PEXPIRE', lease, ARGV[4])
return {session, redis.call('LINDEX', queue, 0)}
`;

/** UPDATE: sets a field of a message still pending (a late report of a settled one changes nothing). KEYS: message. ARGV: field, value. */
export const UPDATE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

/** ATTEMPT: counts a failed attempt of a message still pending. KEYS: message. */
export const ATTEMPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HINCRBY', KEYS[1], 'attempts', 1)
`;
