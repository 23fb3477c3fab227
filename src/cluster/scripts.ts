// The Lua scripts a node runs in Redis: every change to what Redis holds of the cluster (who is
// where, heartbeats, names) is one script, run with the envelope that announces it, so that nothing
// another node reads can be ahead of or behind what it is told. Keys:
//   bunchat:name:<folded>   the node owning a name (SET NX, with an expiry the owner refreshes)
//   bunchat:users:<node>    that node's users: folded name -> {"name","away","rooms"}
//   bunchat:alive:<node>    the node's heartbeat (expires after the node timeout)
//   bunchat:nodes           every node that has joined
//   bunchat:cleanup:<node>  taken by the one survivor that announces a dead node's users leaving
//   bunchat:node:<node>     a channel only that node subscribes to: PUBLISH says whether it is alive
//   bunchat:history:<room>  a stream of the room's kept lines (field "e": the line as JSON), oldest first,
//                           each under its id (<ms>-<n>, ids.ts), or with it in field "i"
//   bunchat:history-seq     the cluster's sequence that nodes lease the <n> of ids from, in blocks
//   bunchat:topics          room -> its topic as JSON {text, by, ts}
//   bunchat:talks:<account> a registered user's kept conversations: the other's name key, by last line's time

import { P } from "../store/redis/keys.ts";
import { CONVERSATIONS_KEPT } from "../store/history.ts";

/** The channel every envelope is published on. */
export const CHANNEL = `${P}events`;

/** Each node listens on a channel of its own, so that a new process can tell whether the id is alive. */
export function nodeChannel(node: string): string {
  return `${P}node:${node}`;
}

// Lua helpers shared by the scripts. Keys are built from the prefix; one Redis, not Redis Cluster.

/** Frees each of `fields`' names that `node` holds (a name another node took meanwhile stays with it). */
const LUA_FREE_NAMES = `
local function free_names(node, fields)
  for _, field in ipairs(fields) do
    local key = '${P}name:' .. field
    if redis.call('GET', key) == node then redis.call('DEL', key) end
  end
end
`;

/** The users of every live node but `me`, whose names they still hold: {node, {record, …}} each. */
const LUA_SNAPSHOT = `
local function snapshot(me)
  local out = {}
  for _, other in ipairs(redis.call('SMEMBERS', '${P}nodes')) do
    if other ~= me and redis.call('EXISTS', '${P}alive:' .. other) == 1 then
      local users = {}
      local h = redis.call('HGETALL', '${P}users:' .. other)
      for j = 1, #h, 2 do
        if redis.call('GET', '${P}name:' .. h[j]) == other then table.insert(users, h[j + 1]) end
      end
      table.insert(out, {other, users})
    end
  end
  return out
end
`;

/**
 * ARGV: channel, envelope ('' for none), node, deadline (Redis's clock, ms), lines kept per room,
 * then (op, field, value) triples: set a user's record, or del it and free its name; hist: add a
 * line to room `field`'s history (value: its id, a space, the line as JSON); topic: set room
 * `field`'s topic ('' clears it); talk: conversation `field` ("@<key> <key>") had a line at
 * `value` (ms), in both accounts' lists (each the newest CONVERSATIONS_KEPT). Past the deadline nothing is done: 0. History is written before
 * the envelope is published: a line anyone elsewhere has received is in it. A line is stored under
 * its own id (ids.ts); one that would not come after the newest in its stream (said on another
 * node in the same millisecond) goes just after it, with its id in field "i".
 */
export const SCRIPT_TURN = `${LUA_FREE_NAMES}
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
if ms > tonumber(ARGV[4]) then return 0 end
local node = ARGV[3]
local users = '${P}users:' .. node
for i = 6, #ARGV, 3 do
  local op, field = ARGV[i], ARGV[i + 1]
  if op == 'set' then
    redis.call('HSET', users, field, ARGV[i + 2])
  elseif op == 'hist' then
    local v = ARGV[i + 2]
    local sp = string.find(v, ' ', 1, true)
    local id, line = string.sub(v, 1, sp - 1), string.sub(v, sp + 1)
    local key = '${P}history:' .. field
    if redis.pcall('XADD', key, 'MAXLEN', '~', ARGV[5], id, 'e', line)['err'] then
      redis.call('XADD', key, 'MAXLEN', '~', ARGV[5], '*', 'e', line, 'i', id)
    end
  elseif op == 'topic' then
    if ARGV[i + 2] == '' then redis.call('HDEL', '${P}topics', field) else redis.call('HSET', '${P}topics', field, ARGV[i + 2]) end
  elseif op == 'talk' then
    local sp = string.find(field, ' ', 1, true)
    local a, b = string.sub(field, 2, sp - 1), string.sub(field, sp + 1)
    for _, pair in ipairs({{a, b}, {b, a}}) do
      local key = '${P}talks:' .. pair[1]
      redis.call('ZADD', key, 'GT', ARGV[i + 2], pair[2])
      redis.call('ZREMRANGEBYRANK', key, 0, -${CONVERSATIONS_KEPT + 1})
    end
  else
    redis.call('HDEL', users, field)
    free_names(node, {field})
  end
end
if ARGV[2] ~= '' then redis.call('PUBLISH', ARGV[1], ARGV[2]) end
return 1
`;

/**
 * ARGV: node, boot, node timeout, claim ttl. Refreshes the heartbeat and our claims; returns
 * {ours, lost, dead, live}: whether the heartbeat was still ours (else we were taken for dead or
 * Redis lost its data), names claimed by others meanwhile, dead nodes whose cleanup we took (with
 * their users) and the nodes alive now.
 */
export const SCRIPT_BEAT = `
local node, boot = ARGV[1], ARGV[2]
local alive = '${P}alive:' .. node
local ours = redis.call('GET', alive) == boot and 1 or 0
redis.call('SET', alive, boot, 'PX', ARGV[3])
redis.call('SADD', '${P}nodes', node)
local lost = {}
local users = '${P}users:' .. node
for _, field in ipairs(redis.call('HKEYS', users)) do
  local key = '${P}name:' .. field
  local owner = redis.call('GET', key)
  if owner == node then redis.call('PEXPIRE', key, ARGV[4])
  elseif not owner then redis.call('SET', key, node, 'PX', ARGV[4])
  else table.insert(lost, field); redis.call('HDEL', users, field) end
end
local dead, live = {}, {}
for _, other in ipairs(redis.call('SMEMBERS', '${P}nodes')) do
  if redis.call('EXISTS', '${P}alive:' .. other) == 1 then
    table.insert(live, other)
  elseif redis.call('SET', '${P}cleanup:' .. other, node, 'NX', 'PX', ARGV[3]) then
    local names = {}
    for _, record in ipairs(redis.call('HVALS', '${P}users:' .. other)) do table.insert(names, record) end
    table.insert(dead, {other, names})
  end
end
return {ours, lost, dead, live}
`;

/**
 * ARGV: channel, envelope, the same envelope without its events, node (the survivor), dead node.
 * Publishes the dead node's users' leaves, then frees their names and forgets the node: in that
 * order, and nothing can come in between. If the node came back meanwhile (it then rejoins and says
 * who it has), the empty envelope goes instead, so that no sequence number goes missing.
 */
export const SCRIPT_BURY = `${LUA_FREE_NAMES}
local me, dead = ARGV[4], ARGV[5]
local buried = 0
if redis.call('GET', '${P}cleanup:' .. dead) == me and redis.call('EXISTS', '${P}alive:' .. dead) == 0 then
  buried = 1
  redis.call('PUBLISH', ARGV[1], ARGV[2])
  local users = '${P}users:' .. dead
  free_names(dead, redis.call('HKEYS', users))
  redis.call('DEL', users)
  redis.call('SREM', '${P}nodes', dead)
else
  redis.call('PUBLISH', ARGV[1], ARGV[3])
end
if redis.call('GET', '${P}cleanup:' .. dead) == me then redis.call('DEL', '${P}cleanup:' .. dead) end
return buried
`;

/**
 * ARGV: node, boot, node timeout, claim ttl, then (field, record) pairs: every user here. Claims
 * each name (a name another node holds now stays with it: returned as lost), rewrites our user
 * list, and returns {'ok', lost, snapshot of the other nodes}; {'busy'} while a survivor is still
 * announcing us dead.
 */
export const SCRIPT_REJOIN = `${LUA_SNAPSHOT}${LUA_FREE_NAMES}
local node, boot = ARGV[1], ARGV[2]
if redis.call('EXISTS', '${P}cleanup:' .. node) == 1 then return {'busy'} end
redis.call('SET', '${P}alive:' .. node, boot, 'PX', ARGV[3])
redis.call('SADD', '${P}nodes', node)
local users = '${P}users:' .. node
local keep, gone = {}, {}
for i = 5, #ARGV, 2 do keep[ARGV[i]] = true end
for _, field in ipairs(redis.call('HKEYS', users)) do
  if not keep[field] then table.insert(gone, field) end
end
free_names(node, gone)
redis.call('DEL', users)
local lost = {}
for i = 5, #ARGV, 2 do
  local key = '${P}name:' .. ARGV[i]
  local owner = redis.call('GET', key)
  if owner == node or not owner then
    redis.call('SET', key, node, 'PX', ARGV[4])
    redis.call('HSET', users, ARGV[i], ARGV[i + 1])
  else
    table.insert(lost, ARGV[i])
  end
end
return {'ok', lost, snapshot(node)}
`;

/**
 * ARGV: channel, envelope, node, boot, node timeout. A new process taking over its own id from a
 * dead one (no longer subscribed to its node channel, but its heartbeat not yet expired): publishes
 * the old users' leaves, frees their names and takes the heartbeat, in that order and atomically.
 */
export const SCRIPT_TAKEOVER = `${LUA_FREE_NAMES}
local node = ARGV[3]
local users = '${P}users:' .. node
redis.call('PUBLISH', ARGV[1], ARGV[2])
free_names(node, redis.call('HKEYS', users))
redis.call('DEL', users)
redis.call('SET', '${P}alive:' .. node, ARGV[4], 'PX', ARGV[5])
return 1
`;

export const SCRIPT_SNAPSHOT = `${LUA_SNAPSHOT}
return snapshot(ARGV[1])
`;

/** ARGV: channel, envelope, node. Publishes our users' leaves, then frees their names and forgets this node. */
export const SCRIPT_RETIRE = `${LUA_FREE_NAMES}
local node = ARGV[3]
redis.call('PUBLISH', ARGV[1], ARGV[2])
local users = '${P}users:' .. node
free_names(node, redis.call('HKEYS', users))
redis.call('DEL', users, '${P}alive:' .. node)
redis.call('SREM', '${P}nodes', node)
return 1
`;
