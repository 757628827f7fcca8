import { CHAT_THREAD_DATA_KEY_COUNT } from './redis-keys';
import { SESSION_CACHE_MESSAGE_KEYS } from './redis-session.cache';

/**
 * Lua scripts: each multi-key write is one atomic round trip. Times come from the Redis server
 * clock, so every worker agrees on expiry. Scripts that derive key names take the key prefix as
 * an argument (single-instance Redis; not cluster slots). Scripts that create, delete, refresh,
 * update or rotate sessions publish what changed on the session cache's invalidation channel (an
 * argument too) in the same atomic step, so no write can land without its message: `create <key>`,
 * `delete <key> [<key>...]`, `refresh <key> <expiresAt>` and `update <key> <version> [<key>
 * <version>...]` (a rotation is the delete of the old key).
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

/**
 * Publishes `words` on `channel` as `<kind> <word>...` messages of at most `perMessage` words, so
 * that no message outgrows what the session cache accepts (`MAX_SESSION_CACHE_MESSAGE_BYTES`).
 */
const PUBLISH_WORDS = `
local function publishWords(channel, kind, words, perMessage)
  for first = 1, #words, perMessage do
    local last = math.min(first + perMessage - 1, #words)
    redis.call('PUBLISH', channel, kind .. ' ' .. table.concat(words, ' ', first, last))
  end
end
`;

/**
 * A session change, as `RedisSessionStore` sends it from ARGV[first]: roles json or '' (kept),
 * claims json or '' (kept), the number of grants and a (grant key, permissions joined by spaces)
 * pair each, the number of revokes and a (grant key, permissions or '' for all) pair each.
 *
 * The session layout (`format` 2): `roles`, `metadata` (as created) and `claims` hold JSON that
 * Livegate encoded and Lua never re-encodes (Lua's cjson would turn `[]` into `{}` and reorder
 * keys); `grants`, when present, holds `metadata.permissions` (only ids and permission names, so
 * cjson round-trips it, an emptied list aside, which goes) and `claims` `metadata.claims`, both
 * replacing what `metadata` says. A session without `format` was written by an older version:
 * its grants are in `metadata`, which Lua does not decode, so it is migrated first
 * (`livegateSessionMigrate`).
 *
 * `planChange` returns nil for no session, 'corrupt' (`isReadable`), 'legacy' or 'too-large', or
 * the HSET arguments and the new version. It writes nothing, so a script can plan several
 * sessions and write all or none. (Lua's `SESSION_CHANGE` also serves `livegateSessionRotate`.)
 */
const SESSION_CHANGE = `
local function splitWords(text)
  local words = {}
  for word in string.gmatch(text, '%S+') do
    words[#words + 1] = word
  end
  return words
end

local function readChange(first)
  local change = {roles = ARGV[first], claims = ARGV[first + 1], grant = {}, revoke = {}}
  local index = first + 3
  for _ = 1, tonumber(ARGV[first + 2]) do
    change.grant[#change.grant + 1] = {ARGV[index], splitWords(ARGV[index + 1])}
    index = index + 2
  end
  local revokes = tonumber(ARGV[index])
  index = index + 1
  for _ = 1, revokes do
    local names = false
    if ARGV[index + 1] ~= '' then
      names = splitWords(ARGV[index + 1])
    end
    change.revoke[#change.revoke + 1] = {ARGV[index], names}
    index = index + 2
  end
  return change
end

-- The fields a change reads or checks, by name; nil when there is no session.
local SESSION_FIELDS = {'id', 'user', 'roles', 'metadata', 'createdAt', 'expiresAt', 'ttl',
  'version', 'format', 'grants', 'claims'}
local function readSession(session)
  local values = redis.call('HMGET', session, unpack(SESSION_FIELDS))
  local fields = {}
  local any = false
  for index, name in ipairs(SESSION_FIELDS) do
    if values[index] then
      fields[name] = values[index]
      any = true
    end
  end
  if not any and redis.call('EXISTS', session) == 0 then
    return nil
  end
  return fields
end

local function decodeTable(text)
  local ok, value = pcall(cjson.decode, text)
  if ok and type(value) == 'table' then
    return value
  end
  return nil
end

local function finiteNumber(text)
  local value = tonumber(text)
  if value and value == value and value ~= math.huge and value ~= -math.huge then
    return value
  end
  return nil
end

local function allStrings(list)
  for _, item in pairs(list) do
    if type(item) ~= 'string' then
      return false
    end
  end
  return true
end

-- Whether the fields a change rewrites (roles, claims, grants, version) are what readers accept,
-- and the others look like a session. A change never rewrites the metadata, the times or the
-- TTL, so it cannot make a record that readers refuse (the final judge, in JavaScript) readable.
local function isReadable(fields)
  if not fields.id or not fields.user then
    return false
  end
  if not (fields.roles and string.find(fields.roles, '^%s*%[')) then
    return false
  end
  local roles = decodeTable(fields.roles)
  if not roles or not allStrings(roles) then
    return false
  end
  if not (fields.metadata and string.find(fields.metadata, '^%s*{')) then
    return false
  end
  if fields.claims and not (string.find(fields.claims, '^%s*%[') and decodeTable(fields.claims)) then
    return false
  end
  if fields.grants then
    local grants = string.find(fields.grants, '^%s*{') and decodeTable(fields.grants)
    if not grants then
      return false
    end
    local empty = 0
    for _, names in pairs(grants) do
      if type(names) ~= 'table' or not allStrings(names) then
        return false
      end
      if next(names) == nil then
        empty = empty + 1
      end
    end
    -- cjson decodes {} and [] alike; readers accept only lists, so an empty value needs a [].
    if empty > 0 then
      local _, lists = string.gsub(fields.grants, '%[%s*%]', '')
      if empty > lists then
        return false
      end
    end
  end
  if not finiteNumber(fields.createdAt) or not finiteNumber(fields.expiresAt) then
    return false
  end
  local ttl = finiteNumber(fields.ttl)
  if not ttl or ttl <= 0 then
    return false
  end
  if fields.version then
    local version = finiteNumber(fields.version)
    if not version or version < 1 or version % 1 ~= 0 then
      return false
    end
  end
  return true
end

local function planChange(session, change, maxBytes)
  local fields = readSession(session)
  if not fields then
    return nil
  end
  if not isReadable(fields) then
    return 'corrupt'
  end
  local version = tonumber(fields.version or '1')
  if fields.format ~= '2' then
    return 'legacy'
  end
  local writes = {'version', version + 1}
  if change.roles ~= '' then
    writes[#writes + 1] = 'roles'
    writes[#writes + 1] = change.roles
  end
  if change.claims ~= '' then
    writes[#writes + 1] = 'claims'
    writes[#writes + 1] = change.claims
  end
  if #change.grant > 0 or (#change.revoke > 0 and fields.grants) then
    local grants = {}
    if fields.grants then
      for key, names in pairs(decodeTable(fields.grants)) do
        if type(names) == 'table' and #names > 0 then
          grants[key] = names
        end
      end
    end
    for _, entry in ipairs(change.grant) do
      local names = grants[entry[1]] or {}
      local seen = {}
      for _, name in ipairs(names) do
        seen[name] = true
      end
      for _, name in ipairs(entry[2]) do
        if not seen[name] then
          seen[name] = true
          names[#names + 1] = name
        end
      end
      grants[entry[1]] = names
    end
    for _, entry in ipairs(change.revoke) do
      local names = grants[entry[1]]
      if names then
        local kept = {}
        if entry[2] then
          local removed = {}
          for _, name in ipairs(entry[2]) do
            removed[name] = true
          end
          for _, name in ipairs(names) do
            if not removed[name] then
              kept[#kept + 1] = name
            end
          end
        end
        if #kept == 0 then
          grants[entry[1]] = nil
        else
          grants[entry[1]] = kept
        end
      end
    end
    if #change.grant > 0 then
      local total = 0
      for key, names in pairs(grants) do
        total = total + #key + #table.concat(names, ' ') + 1
      end
      if total > maxBytes then
        return 'too-large'
      end
    end
    writes[#writes + 1] = 'grants'
    writes[#writes + 1] = cjson.encode(grants)
  end
  return writes, version + 1
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
  /**
   * KEYS: counter. ARGV: ttl ms. The first count sets the expiry; later ones keep it. -1 when the
   * key holds a value that is not a count.
   */
  livegateTransientIncrement: {
    keys: 1,
    lua: `local current = redis.call('GET', KEYS[1])
if current and not string.match(current, '^%d+$') then
  return -1
end
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return count`,
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
   * ttl ms, invalidation channel, grants json or '', claims json or ''. Returns createdAt, or -1
   * when a live session has the id. It never overwrites a live session; it publishes
   * `create <key>` so that caches forget that an earlier session with this id was deleted. The
   * session is written in the current layout (`format` 2, see `SESSION_CHANGE`).
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
  'createdAt', now, 'expiresAt', expires, 'ttl', ARGV[6], 'version', 1, 'format', 2)
if ARGV[9] ~= '' then
  redis.call('HSET', KEYS[1], 'grants', ARGV[9])
end
if ARGV[10] ~= '' then
  redis.call('HSET', KEYS[1], 'claims', ARGV[10])
end
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], expires, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
extend(KEYS[2], ttl)
redis.call('PUBLISH', ARGV[8], 'create ' .. ARGV[1])
return now`,
  },
  /**
   * KEYS: session. ARGV: session key, extend ms ('' for the session's own TTL), prefix,
   * invalidation channel, max lifetime ms. The new expiry is never past createdAt + max lifetime;
   * a session that has reached it is deleted (published as `delete <key>`) and 0 returned, as for
   * a record it cannot read (`isReadable`), which it leaves as it is.
   * Publishes `refresh <key> <expiresAt>`, so that session caches take the new expiry without
   * reading the session again.
   */
  livegateSessionRefresh: {
    keys: 1,
    lua: `${NOW}${EXTEND}${SESSION_CHANGE}
local fields = readSession(KEYS[1])
if not fields or not isReadable(fields) then
  return 0
end
local own = tonumber(fields.ttl)
local ttl = tonumber(ARGV[2]) or math.max(1, math.floor(own * 1000 + 0.5))
local expires = math.min(now + ttl, tonumber(fields.createdAt) + tonumber(ARGV[5]))
local index = ARGV[3] .. ':user:' .. fields.user .. ':sessions'
if expires <= now then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', index, ARGV[1])
  redis.call('PUBLISH', ARGV[4], 'delete ' .. ARGV[1])
  return 0
end
redis.call('HSET', KEYS[1], 'expiresAt', expires)
redis.call('PEXPIREAT', KEYS[1], expires)
redis.call('ZADD', index, expires, ARGV[1])
extend(index, expires - now)
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
  /** KEYS: user set. ARGV: session key prefix. Returns [key, fields] of each live session. */
  livegateSessionList: {
    keys: 1,
    lua: `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local result = {}
for _, key in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local fields = redis.call('HGETALL', ARGV[1] .. key)
  if #fields > 0 then
    result[#result + 1] = {key, fields}
  end
end
return result`,
  },
  /**
   * KEYS: user set. ARGV: session key prefix, invalidation channel. Returns the keys of the
   * sessions it deleted, which it also publishes on the channel as `delete <key>...` messages of
   * at most `SESSION_CACHE_MESSAGE_KEYS` keys each.
   */
  livegateSessionDeleteUser: {
    keys: 1,
    lua: `${PUBLISH_WORDS}
local deleted = {}
for _, key in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if redis.call('DEL', ARGV[1] .. key) == 1 then
    deleted[#deleted + 1] = key
  end
end
redis.call('DEL', KEYS[1])
publishWords(ARGV[2], 'delete', deleted, ${SESSION_CACHE_MESSAGE_KEYS})
return deleted`,
  },
  /**
   * KEYS: session. ARGV: session key, invalidation channel, max grant bytes, then the change
   * (`SESSION_CHANGE`). Applies it and publishes `update <key> <version>`. Returns {1, fields of
   * the new snapshot}, {0} for no session, {-1} for a record it cannot read, {-2, metadata json}
   * for a session of the older layout (to be migrated first), {-3} when the grants would grow past
   * the limit (nothing written).
   */
  livegateSessionUpdate: {
    keys: 1,
    lua: `${SESSION_CHANGE}
local change = readChange(4)
local writes, version = planChange(KEYS[1], change, tonumber(ARGV[3]))
if writes == nil then
  return {0}
elseif writes == 'corrupt' then
  return {-1}
elseif writes == 'legacy' then
  return {-2, redis.call('HGET', KEYS[1], 'metadata') or ''}
elseif writes == 'too-large' then
  return {-3}
end
redis.call('HSET', KEYS[1], unpack(writes))
redis.call('PUBLISH', ARGV[2], 'update ' .. ARGV[1] .. ' ' .. version)
return {1, redis.call('HGETALL', KEYS[1])}`,
  },
  /**
   * KEYS: user set. ARGV: session key prefix, invalidation channel, max grant bytes, then the
   * change (`SESSION_CHANGE`). Plans the change for every live session of the user first and
   * writes only when every plan succeeded, so the change reaches all of them or none; unreadable
   * records are skipped. Publishes `update <key> <version>...` messages of at most
   * `SESSION_CACHE_MESSAGE_KEYS` sessions. Returns {1, [[key, fields]...]}, {-2, [key, metadata
   * json, ...]} when sessions of the older layout must be migrated first, or {-3} when grants
   * would grow past the limit (nothing written).
   */
  livegateSessionUpdateUser: {
    keys: 1,
    lua: `${NOW}${SESSION_CHANGE}${PUBLISH_WORDS}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local change = readChange(4)
local maxBytes = tonumber(ARGV[3])
local plans = {}
local legacy = {}
for _, key in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local session = ARGV[1] .. key
  local writes, version = planChange(session, change, maxBytes)
  if writes == 'too-large' then
    return {-3}
  elseif writes == 'legacy' then
    legacy[#legacy + 1] = key
    legacy[#legacy + 1] = redis.call('HGET', session, 'metadata') or ''
  elseif type(writes) == 'table' then
    plans[#plans + 1] = {key, session, writes, version}
  end
end
if #legacy > 0 then
  return {-2, legacy}
end
local result = {}
local words = {}
for _, plan in ipairs(plans) do
  redis.call('HSET', plan[2], unpack(plan[3]))
  result[#result + 1] = {plan[1], redis.call('HGETALL', plan[2])}
  words[#words + 1] = plan[1]
  words[#words + 1] = plan[4]
end
publishWords(ARGV[2], 'update', words, ${SESSION_CACHE_MESSAGE_KEYS * 2})
return {1, result}`,
  },
  /**
   * KEYS: session. ARGV: grants json or '', claims json or ''. Moves a session written by an
   * older version to the current layout: the fields hold what its metadata held, so nothing a
   * reader sees changes. Does nothing for a session already moved (or gone). Returns 1 when the
   * session is in the current layout afterwards.
   */
  livegateSessionMigrate: {
    keys: 1,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
if redis.call('HGET', KEYS[1], 'format') == '2' then
  return 1
end
if ARGV[1] ~= '' then
  redis.call('HSET', KEYS[1], 'grants', ARGV[1])
end
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[1], 'claims', ARGV[2])
end
redis.call('HSET', KEYS[1], 'format', 2)
return 1`,
  },
  /**
   * KEYS: session, new session. ARGV: session key, new session key, new id, prefix, invalidation
   * channel. Renames the session (its TTL goes with it) under the new key with the new id and the
   * version one higher, moves it in the user's index and publishes `delete <old key>`. Returns the
   * new session's fields, nil for no session, -1 when the new key is taken, -2 for a record it
   * cannot read (left as it is).
   */
  livegateSessionRotate: {
    keys: 2,
    lua: `${NOW}${SESSION_CHANGE}
local fields = readSession(KEYS[1])
if not fields then
  return false
end
if not isReadable(fields) then
  return -2
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  return -1
end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[2], 'id', ARGV[3], 'version', tonumber(fields.version or '1') + 1)
local index = ARGV[4] .. ':user:' .. fields.user .. ':sessions'
redis.call('ZREM', index, ARGV[1])
redis.call('ZADD', index, tonumber(fields.expiresAt), ARGV[2])
redis.call('PUBLISH', ARGV[5], 'delete ' .. ARGV[1])
return redis.call('HGETALL', KEYS[2])`,
  },
  /**
   * KEYS: session, role table. Returns false for no session, else [fields of the session, the
   * roles it may have (its roles and the values of its role claims), [permissions json of each
   * of those roles, or false]]: the caller reads the session and makes the decision.
   */
  livegateSessionPermissions: {
    keys: 2,
    lua: `
local fields = redis.call('HGETALL', KEYS[1])
if #fields == 0 then
  return false
end
local roles, claims
for index = 1, #fields, 2 do
  if fields[index] == 'roles' then
    roles = fields[index + 1]
  elseif fields[index] == 'claims' then
    claims = fields[index + 1]
  end
end
local candidates = {}
local seen = {}
local function add(role)
  if type(role) == 'string' and not seen[role] and #candidates < 256 then
    seen[role] = true
    candidates[#candidates + 1] = role
  end
end
-- Decoded only to find role names: a record that is not JSON is judged by the caller.
if roles then
  local ok, list = pcall(cjson.decode, roles)
  if ok and type(list) == 'table' then
    for _, role in ipairs(list) do
      add(role)
    end
  end
end
if claims then
  local ok, list = pcall(cjson.decode, claims)
  if ok and type(list) == 'table' then
    for _, claim in ipairs(list) do
      if type(claim) == 'table' and claim.type == 'role' then
        add(claim.value)
      end
    end
  end
end
local permissions = {}
if #candidates > 0 then
  permissions = redis.call('HMGET', KEYS[2], unpack(candidates))
end
return {fields, candidates, permissions}`,
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
   * KEYS: threads, widgets, thread, thread sequence, message sequence counter, then every key of
   * `RedisKeys.chatThreadData` (messages and the audit trail). ARGV: thread member, widget id. The
   * widget's own keys go with its last thread, and the message counter with the last widget: a
   * deleted thread leaves nothing behind. A counter starts again from 1 only when nothing it
   * ordered is left.
   */
  livegateThreadDelete: {
    keys: 5 + CHAT_THREAD_DATA_KEY_COUNT,
    lua: `
local deleted = redis.call('DEL', KEYS[3])
redis.call('DEL', unpack(KEYS, 6))
redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[4])
  redis.call('SREM', KEYS[2], ARGV[2])
  if redis.call('EXISTS', KEYS[2]) == 0 then
    redis.call('DEL', KEYS[5])
  end
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
