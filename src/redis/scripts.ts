/**
 * The queue's state changes, each one Lua script so that it is atomic on the server: no other
 * client sees a half-done step, and a client that dies mid-step leaves nothing half-done.
 *
 * Keys of a queue named N (one hash tag, so a cluster keeps them on one slot):
 *   {N}:s      the stream; an entry is `v` (the encoded item) and `d` (deliveries before this entry)
 *   {N}:n      unfinished count: put and not yet acknowledged or dead-lettered (join, maxsize)
 *   {N}:dead   the dead-letter stream: v, d (deliveries), id (original), consumer, reason
 *   {N}:z      delayed retries: member = old entry id, score = due time (ms)
 *   {N}:dv     their payloads: "<id>:v" and "<id>:d"
 *   {N}:shut   exists once shutdown() was called
 * A job's deliveries = its entry's `d` + the group's delivery counter for the entry.
 */
import { Script } from "./client.js";

/** The keys of queue `name`, in the order the scripts take them. */
export function queueKeys(name: string): { stream: string; all: [string, string, string, string, string, string] } {
  const base = `asyncio-ts:{${name}}`;
  const keys: [string, string, string, string, string, string] = [`${base}:s`, `${base}:n`, `${base}:dead`, `${base}:z`, `${base}:dv`, `${base}:shut`];
  return { stream: keys[0], all: keys };
}

// KEYS: s n dead z dv shut (always all six). Helpers shared by the scripts:
const PRELUDE = `
local s, n, dead, z, dv, shut = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local function fields(id)
  local e = redis.call('XRANGE', s, id, id)[1]
  if e == nil then return nil end
  local v, d = nil, 0
  local f = e[2]
  for i = 1, #f, 2 do
    if f[i] == 'v' then v = f[i + 1] elseif f[i] == 'd' then d = tonumber(f[i + 1]) end
  end
  return v, d
end
local function owner(group, id)
  local p = redis.call('XPENDING', s, group, id, id, 1)[1]
  if p == nil then return nil, 0 end
  return p[2], p[4]
end
local function bury(group, id, v, deliveries, consumer, reason)
  redis.call('XADD', dead, '*', 'v', v, 'd', deliveries, 'id', id, 'consumer', consumer, 'reason', reason)
  redis.call('XACK', s, group, id)
  redis.call('XDEL', s, id)
  redis.call('DECR', n)
end
`;

/** ARGV: maxsize, payloads... → for each payload in order: its entry id; 0 when full; -1 when shut down. */
export const PUT = new Script(`${PRELUDE}
local out = {}
if redis.call('EXISTS', shut) == 1 then
  for i = 2, #ARGV do out[i - 1] = -1 end
  return out
end
local max = tonumber(ARGV[1])
local count = tonumber(redis.call('GET', n) or '0')
local added = 0
for i = 2, #ARGV do
  if max > 0 and count + added >= max then
    out[i - 1] = 0
  else
    out[i - 1] = redis.call('XADD', s, '*', 'v', ARGV[i], 'd', '0')
    added = added + 1
  end
end
if added > 0 then redis.call('INCRBY', n, added) end
return out
`);

/** ARGV: group, ids... → how many were acknowledged now (an id acknowledged before counts 0). */
export const ACK = new Script(`${PRELUDE}
local done = 0
for i = 2, #ARGV do
  if redis.call('XACK', s, ARGV[1], ARGV[i]) == 1 then
    redis.call('XDEL', s, ARGV[i])
    redis.call('DECR', n)
    done = done + 1
  end
end
return done
`);

/**
 * The periodic step of a reader, ARGV: group, consumer, leaseMs, maxDeliveries, count.
 * Moves due delayed retries (by the server's clock) into the stream; takes over up to `count` entries whose lease expired
 * (idle ≥ leaseMs), burying those that reached maxDeliveries. → { finished, claimed... } where
 * finished is 1 when shut down with nothing unfinished, and each claimed is { id, v, deliveries }.
 */
export const MAINTAIN = new Script(`${PRELUDE}
local group, me = ARGV[1], ARGV[2]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', z, '-inf', now, 'LIMIT', 0, 100)
for _, id in ipairs(due) do
  local v = redis.call('HGET', dv, id .. ':v')
  if v then redis.call('XADD', s, '*', 'v', v, 'd', redis.call('HGET', dv, id .. ':d') or '0') end
  redis.call('HDEL', dv, id .. ':v', id .. ':d')
  redis.call('ZREM', z, id)
end
local out = { 0 }
local pending = redis.call('XPENDING', s, group, 'IDLE', ARGV[3], '-', '+', ARGV[5])
for _, p in ipairs(pending) do
  local id, was, count = p[1], p[2], p[4]
  local v, d = fields(id)
  if v == nil then
    redis.call('XACK', s, group, id)
  elseif d + count >= tonumber(ARGV[4]) then
    bury(group, id, v, d + count, was, 'lease expired after ' .. (d + count) .. ' deliveries')
  else
    -- JUSTID alone leaves the delivery counter as it is: this is a delivery, so count it.
    redis.call('XCLAIM', s, group, me, 0, id, 'RETRYCOUNT', count + 1, 'JUSTID')
    table.insert(out, { id, v, d + count + 1 })
  end
end
if redis.call('EXISTS', shut) == 1 and tonumber(redis.call('GET', n) or '0') <= 0 then out[1] = 1 end
return out
`);

/** ARGV: group, consumer, ids... → the ids still held by this consumer, their idle time reset. */
export const RENEW = new Script(`${PRELUDE}
local kept = {}
for i = 3, #ARGV do
  if owner(ARGV[1], ARGV[i]) == ARGV[2] then
    redis.call('XCLAIM', s, ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
    table.insert(kept, ARGV[i])
  end
end
return kept
`);

/**
 * Puts a held entry back as a new entry (retry, or a hand-back on close), if this consumer still
 * holds it. ARGV: group, consumer, id, deliveries to record, delayMs (0 = now), maxDeliveries (0 =
 * never bury), reason. → 1 requeued, 2 dead-lettered, 0 not held any more.
 */
export const REQUEUE = new Script(`${PRELUDE}
local group, me, id = ARGV[1], ARGV[2], ARGV[3]
if owner(group, id) ~= me then return 0 end
local v = fields(id)
if v == nil then redis.call('XACK', s, group, id) return 0 end
local d, max = tonumber(ARGV[4]), tonumber(ARGV[6])
if max > 0 and d >= max then
  bury(group, id, v, d, me, ARGV[7])
  return 2
end
redis.call('XACK', s, group, id)
redis.call('XDEL', s, id)
if tonumber(ARGV[5]) > 0 then
  local t = redis.call('TIME')
  redis.call('HSET', dv, id .. ':v', v, id .. ':d', d)
  redis.call('ZADD', z, tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[5]), id)
else
  redis.call('XADD', s, '*', 'v', v, 'd', d)
end
return 1
`);

/** ARGV: group → { undelivered (stream entries not pending), delayed, unfinished, shut }. */
export const STATS = new Script(`${PRELUDE}
local ok, summary = pcall(redis.call, 'XPENDING', s, ARGV[1])
local pending = 0
if ok then pending = summary[1] end
return { redis.call('XLEN', s) - pending, redis.call('ZCARD', z), tonumber(redis.call('GET', n) or '0'), redis.call('EXISTS', shut) }
`);

/** ARGV: → 1 (sets the shutdown flag). */
export const SHUTDOWN = new Script(`${PRELUDE}
redis.call('SET', shut, '1')
return 1
`);
