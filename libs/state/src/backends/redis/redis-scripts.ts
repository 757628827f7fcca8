import { CHAT_THREAD_DATA_KEY_COUNT } from './redis-keys';

/**
 * Lua scripts: each multi-key write is one atomic round trip. Times come from the Redis server
 * clock, so every worker agrees on expiry. Scripts that derive key names take the key prefix as
 * an argument (single-instance Redis; not cluster slots). Scripts that create, delete or refresh
 * sessions publish what changed on the session cache's invalidation channel (an argument too) in
 * the same atomic step, so no write can land without its message: `create <key>`,
 * `delete <key> [<key>...]` and `refresh <key> <expiresAt>`.
 */
const NOW = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
`;

/** Extends an index key's TTL to at least `ms`, never shortening it. */
const EXTEND = `
local function extend(key, ms)
  local current = redis.call('PTTL', key)
  if current < ms then
    redis.call('PEXPIRE', key, ms)
  end
end
`;

/**
 * -1 when the thread does not exist, -2 when a message id is given and the message is not in the
 * thread (never appended, evicted or cleared), else nil.
 */
const IN_THREAD = `
local function notInThread(thread, messages, messageId)
  if redis.call('EXISTS', thread) == 0 then
    return -1
  end
  if messageId ~= '' and redis.call('HEXISTS', messages, messageId) == 0 then
    return -2
  end
  return nil
end
`;

/**
 * HMGET of any number of fields, in order (false for a missing one): audit records outlive the
 * message cap, so a list can hold more values than Lua's unpack takes at once.
 */
const HMGET_ALL = `
local function hmgetAll(hash, fields)
  local values = {}
  for first = 1, #fields, 1000 do
    local chunk = redis.call('HMGET', hash, unpack(fields, first, math.min(first + 999, #fields)))
    for index = 1, #chunk do
      values[#values + 1] = chunk[index]
    end
  end
  return values
end
`;

export const REDIS_SCRIPTS = {
  /**
   * KEYS: widget, active, sequence. ARGV: id, html, token json, owner json, metadata json, ttl ms.
   * The sequence orders registrations made in the same millisecond.
   */
  livegateWidgetRegister: {
    keys: 3,
    lua: `${NOW}
local ttl = tonumber(ARGV[6])
local expires = now + ttl
local sequence = redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], ttl)
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'html', ARGV[2], 'token', ARGV[3], 'owner', ARGV[4],
  'metadata', ARGV[5], 'createdAt', now, 'updatedAt', now, 'expiresAt', expires,
  'sequence', sequence)
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], expires, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('PEXPIRE', KEYS[2], ttl)
return now`,
  },
  /**
   * KEYS: widget, active, sequence. ARGV: field, value, ttl ms, id. Never recreates a missing
   * widget.
   */
  livegateWidgetUpdate: {
    keys: 3,
    lua: `${NOW}
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local ttl = tonumber(ARGV[3])
local expires = now + ttl
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], 'updatedAt', now, 'expiresAt', expires)
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], expires, ARGV[4])
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('PEXPIRE', KEYS[3], ttl)
return 1`,
  },
  /** KEYS: widget, active. ARGV: id. */
  livegateWidgetDelete: {
    keys: 2,
    lua: `
local deleted = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return deleted`,
  },
  /** KEYS: active. ARGV: widget key prefix. Returns [id, sequence, ...] of live widgets. */
  livegateWidgetList: {
    keys: 1,
    lua: `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
local result = {}
for _, id in ipairs(ids) do
  local sequence = redis.call('HGET', ARGV[1] .. id, 'sequence')
  if sequence then
    result[#result + 1] = id
    result[#result + 1] = sequence
  end
end
return result`,
  },
  /** KEYS: active. */
  livegateWidgetCount: {
    keys: 1,
    lua: `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])`,
  },

  /** KEYS: conn, worker set. ARGV: widget id, worker id, user json, session json, ttl ms, prefix. */
  livegateConnectionRegister: {
    keys: 2,
    lua: `${NOW}${EXTEND}
local previous = redis.call('HGET', KEYS[1], 'worker')
if previous and previous ~= ARGV[2] then
  redis.call('ZREM', ARGV[6] .. ':worker:' .. previous .. ':connections', ARGV[1])
end
local ttl = tonumber(ARGV[5])
local expires = now + ttl
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'worker', ARGV[2], 'user', ARGV[3], 'session', ARGV[4],
  'connectedAt', now, 'lastHeartbeat', now, 'expiresAt', expires)
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], expires, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
extend(KEYS[2], ttl)
return now`,
  },
  /** KEYS: conn. ARGV: widget id, ttl ms, prefix. Never recreates a missing connection. */
  livegateConnectionHeartbeat: {
    keys: 1,
    lua: `${NOW}${EXTEND}
local worker = redis.call('HGET', KEYS[1], 'worker')
if not worker then
  return 0
end
local ttl = tonumber(ARGV[2])
local expires = now + ttl
redis.call('HSET', KEYS[1], 'lastHeartbeat', now, 'expiresAt', expires)
redis.call('PEXPIRE', KEYS[1], ttl)
local index = ARGV[3] .. ':worker:' .. worker .. ':connections'
redis.call('ZADD', index, expires, ARGV[1])
extend(index, ttl)
return 1`,
  },
  /** KEYS: conn. ARGV: widget id, prefix. */
  livegateConnectionUnregister: {
    keys: 1,
    lua: `
local worker = redis.call('HGET', KEYS[1], 'worker')
local deleted = redis.call('DEL', KEYS[1])
if worker then
  redis.call('ZREM', ARGV[2] .. ':worker:' .. worker .. ':connections', ARGV[1])
end
return deleted`,
  },
  /** KEYS: worker set. Returns the live widget ids, oldest expiry first. */
  livegateConnectionList: {
    keys: 1,
    lua: `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)`,
  },

  /**
   * KEYS: session, user set. ARGV: session key, id, user, roles json, metadata json, ttl seconds,
   * ttl ms, invalidation channel. Returns createdAt, or -1 when a live session has the id. It never
   * overwrites a live session; it publishes `create <key>` so that caches forget that an earlier
   * session with this id was deleted.
   */
  livegateSessionCreate: {
    keys: 2,
    lua: `${NOW}${EXTEND}
if redis.call('EXISTS', KEYS[1]) == 1 then
  return -1
end
local ttl = tonumber(ARGV[7])
local expires = now + ttl
redis.call('HSET', KEYS[1], 'id', ARGV[2], 'user', ARGV[3], 'roles', ARGV[4], 'metadata', ARGV[5],
  'createdAt', now, 'expiresAt', expires, 'ttl', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], expires, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
extend(KEYS[2], ttl)
redis.call('PUBLISH', ARGV[8], 'create ' .. ARGV[1])
return now`,
  },
  /**
   * KEYS: session. ARGV: session key, extend ms ('' for the session's own TTL), prefix,
   * invalidation channel. Publishes `refresh <key> <expiresAt>`, so that session caches take the
   * new expiry without reading the session again.
   */
  livegateSessionRefresh: {
    keys: 1,
    lua: `${NOW}${EXTEND}
local fields = redis.call('HMGET', KEYS[1], 'user', 'ttl')
if not fields[1] then
  return 0
end
local ttl = tonumber(ARGV[2]) or math.max(1, math.floor(tonumber(fields[2]) * 1000 + 0.5))
local expires = now + ttl
redis.call('HSET', KEYS[1], 'expiresAt', expires)
redis.call('PEXPIRE', KEYS[1], ttl)
local index = ARGV[3] .. ':user:' .. fields[1] .. ':sessions'
redis.call('ZADD', index, expires, ARGV[1])
extend(index, ttl)
redis.call('PUBLISH', ARGV[4], 'refresh ' .. ARGV[1] .. ' ' .. expires)
return 1`,
  },
  /**
   * KEYS: session. ARGV: session key, prefix, invalidation channel. Publishes `delete <key>` when
   * a session was deleted.
   */
  livegateSessionDelete: {
    keys: 1,
    lua: `
local user = redis.call('HGET', KEYS[1], 'user')
local deleted = redis.call('DEL', KEYS[1])
if user then
  redis.call('ZREM', ARGV[2] .. ':user:' .. user .. ':sessions', ARGV[1])
end
if deleted == 1 then
  redis.call('PUBLISH', ARGV[3], 'delete ' .. ARGV[1])
end
return deleted`,
  },
  /** KEYS: user set. ARGV: session key prefix. Returns [fields of each live session]. */
  livegateSessionList: {
    keys: 1,
    lua: `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local result = {}
for _, key in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local fields = redis.call('HGETALL', ARGV[1] .. key)
  if #fields > 0 then
    result[#result + 1] = fields
  end
end
return result`,
  },
  /**
   * KEYS: user set. ARGV: session key prefix, invalidation channel. Returns the keys of the
   * sessions it deleted, which it also publishes on the channel as one `delete <key>...` message.
   */
  livegateSessionDeleteUser: {
    keys: 1,
    lua: `
local deleted = {}
for _, key in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if redis.call('DEL', ARGV[1] .. key) == 1 then
    deleted[#deleted + 1] = key
  end
end
redis.call('DEL', KEYS[1])
if #deleted > 0 then
  redis.call('PUBLISH', ARGV[2], 'delete ' .. table.concat(deleted, ' '))
end
return deleted`,
  },
  /**
   * KEYS: session, role table. Returns false for no session, else [roles json, metadata json,
   * [permissions json of each role, or false]]: the decision is made by the caller.
   */
  livegateSessionPermissions: {
    keys: 2,
    lua: `
local fields = redis.call('HMGET', KEYS[1], 'roles', 'metadata')
if not fields[1] then
  return false
end
local roles = cjson.decode(fields[1])
local permissions = {}
if #roles > 0 then
  permissions = redis.call('HMGET', KEYS[2], unpack(roles))
end
return {fields[1], fields[2], permissions}`,
  },

  /**
   * KEYS: threads, sequence, thread, widgets. ARGV: thread member, thread id, widget id, has
   * title, title, has metadata, metadata json. Returns the thread's fields.
   */
  livegateThreadSave: {
    keys: 4,
    lua: `${NOW}
if redis.call('EXISTS', KEYS[3]) == 1 then
  if ARGV[4] == '1' then
    redis.call('HSET', KEYS[3], 'title', ARGV[5])
  end
  if ARGV[6] == '1' then
    redis.call('HSET', KEYS[3], 'metadata', ARGV[7])
  end
  redis.call('HSET', KEYS[3], 'updatedAt', now)
else
  local sequence = redis.call('INCR', KEYS[2])
  redis.call('ZADD', KEYS[1], sequence, ARGV[1])
  local title = ''
  if ARGV[4] == '1' then title = ARGV[5] end
  local metadata = '{}'
  if ARGV[6] == '1' then metadata = ARGV[7] end
  redis.call('HSET', KEYS[3], 'id', ARGV[2], 'widget', ARGV[3], 'title', title,
    'metadata', metadata, 'createdAt', now, 'updatedAt', now)
end
-- On every save, not only on creation: a widget whose threads predate the index joins it here.
redis.call('SADD', KEYS[4], ARGV[3])
return redis.call('HGETALL', KEYS[3])`,
  },
  /** KEYS: threads. ARGV: thread key prefix. Returns [fields of each thread], oldest first. */
  livegateThreadList: {
    keys: 1,
    lua: `
local result = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local fields = redis.call('HGETALL', ARGV[1] .. member)
  if #fields > 0 then
    result[#result + 1] = fields
  end
end
return result`,
  },
  /**
   * KEYS: threads, widgets, thread, then every key of `RedisKeys.chatThreadData` (messages and
   * the audit trail). ARGV: thread member, widget id.
   */
  livegateThreadDelete: {
    keys: 3 + CHAT_THREAD_DATA_KEY_COUNT,
    lua: `
local deleted = redis.call('DEL', KEYS[3])
redis.call('DEL', unpack(KEYS, 4))
redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SREM', KEYS[2], ARGV[2])
end
return deleted`,
  },
  /**
   * KEYS: thread, message ids, messages, message sequences, message sequence counter. ARGV:
   * message id, message json, cap, created at. Returns 1, -1 when the thread does not exist, -2
   * when the message id is taken.
   */
  livegateMessageAppend: {
    keys: 5,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then
  return -1
end
if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then
  return -2
end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[4], ARGV[1], redis.call('INCR', KEYS[5]))
redis.call('HSET', KEYS[1], 'updatedAt', ARGV[4])
local overflow = redis.call('LLEN', KEYS[2]) - tonumber(ARGV[3])
while overflow > 0 do
  local evicted = redis.call('LPOP', KEYS[2])
  redis.call('HDEL', KEYS[3], evicted)
  redis.call('HDEL', KEYS[4], evicted)
  overflow = overflow - 1
end
return 1`,
  },
  /** KEYS: message ids, messages. ARGV: limit, before id or ''. Returns message json, oldest first. */
  livegateMessagePage: {
    keys: 2,
    lua: `
local stop = redis.call('LLEN', KEYS[1])
if ARGV[2] ~= '' then
  local index = redis.call('LPOS', KEYS[1], ARGV[2])
  if not index then
    return {}
  end
  stop = index
end
local start = math.max(0, stop - tonumber(ARGV[1]))
if stop <= start then
  return {}
end
local ids = redis.call('LRANGE', KEYS[1], start, stop - 1)
return redis.call('HMGET', KEYS[2], unpack(ids))`,
  },
  /**
   * KEYS: thread, message ids, messages, message sequences. Returns how many messages were
   * removed. The audit trail stays: it belongs to the thread, not to its messages.
   */
  livegateMessageClear: {
    keys: 4,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local cleared = redis.call('LLEN', KEYS[2])
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
return cleared`,
  },

  /**
   * KEYS: thread, messages, tool calls, tool call ids. ARGV: message id, tool call id, the json
   * the caller based its record on ('' for a new call), record json. A compare-and-set: the
   * status rules stay in `applyToolCall`, and a caller that saw a stale call retries on the one
   * returned. Returns {1} when written, {-1} no thread, {-2} message not in the thread, or
   * {0, current json or nil} when the stored call is not the one the caller based its record on.
   */
  livegateToolCallLog: {
    keys: 4,
    lua: `${IN_THREAD}
local absent = notInThread(KEYS[1], KEYS[2], ARGV[1])
if absent then
  return {absent}
end
local current = redis.call('HGET', KEYS[3], ARGV[2])
if (current or '') ~= ARGV[3] then
  return {0, current}
end
redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
if not current then
  redis.call('RPUSH', KEYS[4], ARGV[2])
end
return {1}`,
  },
  /**
   * KEYS: thread, messages, records, record ids. ARGV: message id ('' for a record of the thread
   * itself), record id, record json. Adds an artifact, resource or skill. Returns 1, -1 no thread,
   * -2 message not in the thread, -3 when the record id is taken.
   */
  livegateAuditAdd: {
    keys: 4,
    lua: `${IN_THREAD}
local absent = notInThread(KEYS[1], KEYS[2], ARGV[1])
if absent then
  return absent
end
if redis.call('HSETNX', KEYS[3], ARGV[2], ARGV[3]) == 0 then
  return -3
end
redis.call('RPUSH', KEYS[4], ARGV[2])
return 1`,
  },
  /**
   * KEYS: thread, messages, usage. ARGV: message id, usage json. Returns 1, -1 no thread, -2
   * message not in the thread.
   */
  livegateUsageAdd: {
    keys: 3,
    lua: `${IN_THREAD}
local absent = notInThread(KEYS[1], KEYS[2], ARGV[1])
if absent then
  return absent
end
redis.call('RPUSH', KEYS[3], ARGV[2])
return 1`,
  },
  /** KEYS: record ids, records. Returns the records' json in the order logged. */
  livegateAuditList: {
    keys: 2,
    lua: `${HMGET_ALL}
return hmgetAll(KEYS[2], redis.call('LRANGE', KEYS[1], 0, -1))`,
  },
  /**
   * KEYS: threads. ARGV: thread key prefix, then the message ids, messages and message sequences
   * suffixes. Returns, for each of the widget's threads, {thread id, widget id, title, [message
   * json], [message sequence]}: the search corpus of one widget, read atomically.
   */
  livegateChatCorpus: {
    keys: 1,
    lua: `${HMGET_ALL}
local result = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local thread = ARGV[1] .. member
  local fields = redis.call('HMGET', thread, 'id', 'widget', 'title')
  if fields[1] then
    local ids = redis.call('LRANGE', thread .. ARGV[2], 0, -1)
    result[#result + 1] = {fields[1], fields[2], fields[3], hmgetAll(thread .. ARGV[3], ids),
      hmgetAll(thread .. ARGV[4], ids)}
  end
end
return result`,
  },
  /**
   * KEYS: threads. ARGV: thread key prefix, usage suffix. Returns the usage json of every thread of
   * the widget, threads oldest first.
   */
  livegateUsageList: {
    keys: 1,
    lua: `
local result = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  for _, usage in ipairs(redis.call('LRANGE', ARGV[1] .. member .. ARGV[2], 0, -1)) do
    result[#result + 1] = usage
  end
end
return result`,
  },
} as const satisfies Record<string, { keys: number; lua: string }>;

export type RedisScriptName = keyof typeof REDIS_SCRIPTS;
