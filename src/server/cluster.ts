// Cluster mode: several bunchat servers share one chat through Redis (Bun's built-in client).
//
// Each node keeps its own hub. What happens here goes out as one envelope per event-loop turn,
// published on one channel ({node, boot, seq, events}); other nodes apply the events to their
// hub, where users of other nodes are members that are never delivered to. Redis also holds who
// is where, which is the truth whenever a node has to catch up:
//   bunchat:name:<folded>   the node owning a name (SET NX, with an expiry the owner refreshes)
//   bunchat:users:<node>    that node's users: folded name -> {"name","away"}
//   bunchat:alive:<node>    the node's heartbeat (expires after the node timeout)
//   bunchat:nodes           every node that has joined
//   bunchat:cleanup:<node>  taken by the one survivor that announces a dead node's users leaving
//   bunchat:node:<node>     a channel only that node subscribes to: PUBLISH says whether it is alive
// Every change to Redis is a Lua script run with the envelope that announces it, so nothing
// another node reads can be ahead of or behind what it is told.
//
// Bun's Redis client, as seen on this machine (../shared/BUN-NOTES.md): its own reconnect gives
// up after ~31 s and forgets subscriptions, and it queues commands while disconnected unless told
// not to; and while it reconnects on its own, `onclose` does not fire, so nothing says Redis is
// gone. So it runs with autoReconnect and the offline queue off (then `onclose` fires at once and
// connect() fails fast while Redis is down), and this file reconnects, resubscribes (unsubscribing
// first) and resyncs itself.

import { RedisClient } from "bun";
import type { LeaveReason, ServerEvent } from "../protocol/events.ts";
import { unreachable } from "../protocol/codec.ts";
import { foldName, checkName, checkRoom } from "../protocol/names.ts";
import { DEFAULT_NODE_TIMEOUT_MS, LIMITS } from "../protocol/limits.ts";
import { Hub, type Link, type Member, type RelayEvent } from "./hub.ts";
import type { Room } from "./room.ts";

export interface ClusterOptions {
  /** redis:// or rediss:// URL. */
  url: string;
  /** This node's name in the cluster; generated when absent. */
  nodeId?: string;
  log(line: string): void;
  /** A node not heard from for this long is dead: one survivor announces its users leaving, then frees their names. */
  nodeTimeoutMs?: number;
  /** The longest wait between attempts to reach Redis again (default 1 s). */
  retryMaxMs?: number;
  /**
   * A PING unanswered this long on either connection means Redis is gone (frozen, or the network to
   * it dropped), even though nothing closed (default 1 s; pings go every half second, so a freeze
   * is noticed within 2 s).
   */
  pulseTimeoutMs?: number;
  /** Output waiting for Redis past which envelopes are dropped rather than queued (default 16 MiB). */
  maxPendingBytes?: number;
  now?(): number;
  /** The hub this node's users are in (built by the server, with its rooms' settings); a default one if absent. */
  hub?: Hub;
}

export interface ClusterStats {
  /** Envelopes published, and received from other nodes. */
  published: number;
  received: number;
  /** Envelopes from other nodes that never arrived (sequence numbers skipped), and ones that arrived twice. */
  missed: number;
  duplicates: number;
  /** Envelopes not sent because Redis was unreachable or refused them. */
  unsent: number;
  /** Times this node caught up from Redis (after a reconnect, a gap, a conflict). */
  resyncs: number;
  /** Attempts to reach Redis again after losing it, in all. */
  reconnects: number;
}

/** Something users of another node did, as carried between nodes. */
export type ClusterEvent =
  | RelayEvent
  | { type: "away-state"; name: string; reason: string | null }
  | { type: "pm"; to: string; event: Extract<ServerEvent, { type: "private" }> }
  /** A pm's recipient had left when it arrived: its sender, on `node`, is told. */
  | { type: "undelivered"; node: string; from: string; to: string }
  /** A node's whole list of users, after it (re)joined: the others reconcile their view of it. */
  | { type: "roster"; users: RosterEntry[] }
  /**
   * A dead node's users left: announced by the one survivor that took its cleanup, or by the node's
   * own next process taking over its id (reason server-restarted).
   */
  | { type: "gone"; node: string; names: string[]; reason?: LeaveReason };

export interface Envelope {
  /** Node, its boot (a new one each time the process starts), sequence number, events. */
  n: string;
  b: string;
  s: number;
  e: ClusterEvent[];
}

interface RosterEntry {
  name: string;
  away?: string;
  /** The rooms it is in; absent in records written before rooms (then: the default room). */
  rooms?: string[];
}

const P = "bunchat:";
const CHANNEL = `${P}events`;
/** Events in one envelope before it is published without waiting for the turn to end. */
const MAX_ENVELOPE_EVENTS = 1024;
/** Envelopes kept while catching up; past this, they are dropped and the catch-up itself covers them. */
const MAX_BUFFERED = 10_000;
const MAX_PENDING_BYTES = 16 * 1024 * 1024;
/** How often both connections are pinged. */
const PULSE_EVERY_MS = 500;
const DEFAULT_PULSE_TIMEOUT_MS = 1000;
/**
 * An envelope that reaches Redis later than this after it was sent is dropped there, unapplied:
 * a frozen Redis that wakes must not deliver what the sender was already told did not go.
 */
const ENVELOPE_DEADLINE_MS = 1000;

// Lua helpers shared by the scripts. Keys are built from the prefix; one Redis, not Redis Cluster.
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
 * ARGV: channel, envelope ('' for none), node, deadline (Redis's clock, ms), then (op, field, value)
 * triples: set a user's record, or del it and free its name. Past the deadline nothing is done: 0.
 */
const SCRIPT_TURN = `
local now = redis.call('TIME')
if tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) > tonumber(ARGV[4]) then return 0 end
local node = ARGV[3]
local users = '${P}users:' .. node
for i = 5, #ARGV, 3 do
  local op, field = ARGV[i], ARGV[i + 1]
  if op == 'set' then
    redis.call('HSET', users, field, ARGV[i + 2])
  else
    redis.call('HDEL', users, field)
    if redis.call('GET', '${P}name:' .. field) == node then redis.call('DEL', '${P}name:' .. field) end
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
const SCRIPT_BEAT = `
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
const SCRIPT_BURY = `
local me, dead = ARGV[4], ARGV[5]
local buried = 0
if redis.call('GET', '${P}cleanup:' .. dead) == me and redis.call('EXISTS', '${P}alive:' .. dead) == 0 then
  buried = 1
  redis.call('PUBLISH', ARGV[1], ARGV[2])
  local users = '${P}users:' .. dead
  for _, field in ipairs(redis.call('HKEYS', users)) do
    if redis.call('GET', '${P}name:' .. field) == dead then redis.call('DEL', '${P}name:' .. field) end
  end
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
const SCRIPT_REJOIN = `${LUA_SNAPSHOT}
local node, boot = ARGV[1], ARGV[2]
if redis.call('EXISTS', '${P}cleanup:' .. node) == 1 then return {'busy'} end
redis.call('SET', '${P}alive:' .. node, boot, 'PX', ARGV[3])
redis.call('SADD', '${P}nodes', node)
local users = '${P}users:' .. node
local keep = {}
for i = 5, #ARGV, 2 do keep[ARGV[i]] = true end
for _, field in ipairs(redis.call('HKEYS', users)) do
  if not keep[field] and redis.call('GET', '${P}name:' .. field) == node then redis.call('DEL', '${P}name:' .. field) end
end
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
const SCRIPT_TAKEOVER = `
local node = ARGV[3]
local users = '${P}users:' .. node
redis.call('PUBLISH', ARGV[1], ARGV[2])
for _, field in ipairs(redis.call('HKEYS', users)) do
  if redis.call('GET', '${P}name:' .. field) == node then redis.call('DEL', '${P}name:' .. field) end
end
redis.call('DEL', users)
redis.call('SET', '${P}alive:' .. node, ARGV[4], 'PX', ARGV[5])
return 1
`;

const SCRIPT_SNAPSHOT = `${LUA_SNAPSHOT}
return snapshot(ARGV[1])
`;

/** ARGV: channel, envelope, node. Publishes our users' leaves, then frees their names and forgets this node. */
const SCRIPT_RETIRE = `
local node = ARGV[3]
redis.call('PUBLISH', ARGV[1], ARGV[2])
local users = '${P}users:' .. node
for _, field in ipairs(redis.call('HKEYS', users)) do
  if redis.call('GET', '${P}name:' .. field) == node then redis.call('DEL', '${P}name:' .. field) end
end
redis.call('DEL', users, '${P}alive:' .. node)
redis.call('SREM', '${P}nodes', node)
return 1
`;

/** A user on another node: listed, found by name, never delivered to here. */
class RemoteMember implements Member {
  readonly mode = "text" as const;
  readonly rooms: Room[] = [];
  room: Room | undefined;
  lastPmFrom?: Member;
  readonly lastHeldSeq = 0;
  constructor(
    public name: string,
    readonly node: string,
  ) {}
  deliver(): void {}
  deliverTurn(): void {}
}

export class ClusterError extends Error {}

/** How long a claim outlives its node's last heartbeat: cleanup frees names sooner; this is for when nobody is left to. */
const claimTtl = (nodeTimeoutMs: number) => 2 * nodeTimeoutMs;

export class Cluster implements Link {
  readonly hub: Hub;
  readonly node: string;
  readonly stats: ClusterStats = {
    published: 0,
    received: 0,
    missed: 0,
    duplicates: 0,
    unsent: 0,
    resyncs: 0,
    reconnects: 0,
  };
  /** A new one per process, so a node restarted under the same id starts a new sequence. */
  private readonly boot = Math.random().toString(36).slice(2, 10);
  private seq = 0;
  private readonly nodeTimeoutMs: number;
  private readonly retryMaxMs: number;
  private readonly pulseTimeoutMs: number;
  private readonly maxPendingBytes: number;
  private readonly now: () => number;
  /** This turn's envelope: events, and changes to our user list in Redis. */
  private events: ClusterEvent[] = [];
  private ops: string[] = [];
  private readonly flushTurn = () => void this.publishTurn();
  private flushScheduled = false;
  /** Other nodes' users here, per node; and per node the last envelope seen and when it was last heard of. */
  private readonly byNode = new Map<string, Set<RemoteMember>>();
  private readonly seen = new Map<string, { boot: string; seq: number; at: number }>();
  /** up: chatting with the cluster · syncing: catching up after (re)connecting · down: Redis unreachable · stopped. */
  private state: "syncing" | "up" | "down" | "stopped" = "syncing";
  /** Envelopes that arrived while catching up, applied once the snapshot is. */
  private buffered: Envelope[] = [];
  private beatTimer: Timer | undefined;
  private pulseTimer: Timer | undefined;
  /** When the PING now awaited on each connection (commands, subscriber) was sent. */
  private pingSent: [number | undefined, number | undefined] = [undefined, undefined];
  /** Redis's clock minus ours, measured at each (re)join: envelope deadlines are on Redis's clock. */
  private redisOffsetMs = 0;
  private retryTimer: Timer | undefined;
  private retries = 0;
  /** Senders told that their lines may not have reached the other servers, since lines last went through. */
  private readonly toldUndelivered = new Set<Member>();
  /** Users here were told the other servers can't be reached, and not yet that they can again. */
  private toldDown = false;
  /** One reconnection at a time, and one rejoin. */
  private reconnecting = false;
  private rejoining: Promise<void> | undefined;
  private resyncing = false;
  private resyncAgain = false;
  private beatPending = false;

  /** The connections to Redis: one for commands, one subscribed. Both are replaced on every reconnection. */
  private cmd: RedisClient;
  private sub: RedisClient;

  private constructor(
    [cmd, sub]: [RedisClient, RedisClient],
    node: string,
    private readonly options: ClusterOptions,
    private readonly log: (line: string) => void,
  ) {
    this.cmd = cmd;
    this.sub = sub;
    this.node = node;
    this.nodeTimeoutMs = options.nodeTimeoutMs ?? DEFAULT_NODE_TIMEOUT_MS;
    this.retryMaxMs = options.retryMaxMs ?? 1000;
    this.pulseTimeoutMs = options.pulseTimeoutMs ?? DEFAULT_PULSE_TIMEOUT_MS;
    this.maxPendingBytes = options.maxPendingBytes ?? MAX_PENDING_BYTES;
    this.now = options.now ?? Date.now;
    this.hub = options.hub ?? new Hub({ clustered: true });
    this.hub.link = this;
  }

  /** Connects, takes the node id, subscribes and reads who is online. Rejects with a ClusterError a person can act on. */
  static async start(options: ClusterOptions): Promise<Cluster> {
    const nodeId = options.nodeId ?? `node-${Math.random().toString(36).slice(2, 8)}`;
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(nodeId)) {
      throw new ClusterError(`--node-id must be 1-64 of A-Z a-z 0-9 _ . -, not "${nodeId}".`);
    }
    const where = redact(options.url);
    const clients = openClients(options.url);
    try {
      await Promise.all(clients.map((c) => c.connect()));
    } catch (err) {
      for (const c of clients) c.close();
      // Bun says only "Connection closed", whether nothing listens there or Redis refused us.
      const why = (await diagnose(options.url)) ?? (err as Error).message;
      throw new ClusterError(`can't reach Redis at ${where}: ${why}`);
    }
    const [cmd] = clients;
    const cluster = new Cluster(clients, nodeId, options, options.log);
    try {
      // A heartbeat that is not ours: another process has this id, or had it and died (kill -9, a
      // crash) less than a node timeout ago. A live one listens on its node channel; a dead one's
      // connections are gone, so nobody hears the question, and its id is ours to take over at once
      // (a service manager restarting a crashed server must not be refused for 10 s).
      const taken = await cmd.send("SET", [
        `${P}alive:${nodeId}`,
        cluster.boot,
        "NX",
        "PX",
        String(cluster.nodeTimeoutMs),
      ]);
      if (taken === null) {
        const listening = await cmd.send("PUBLISH", [nodeChannel(nodeId), cluster.boot]);
        if (listening > 0) {
          throw new ClusterError(`node id "${nodeId}" is in use by another server in this cluster.`);
        }
        await cluster.takeOver();
      }
      await cluster.rejoin();
    } catch (err) {
      for (const c of clients) c.close();
      if (err instanceof ClusterError) throw err;
      throw new ClusterError(`Redis at ${where} failed while joining the cluster: ${(err as Error).message}`);
    }
    cluster.watch();
    cluster.beatTimer = setInterval(() => cluster.beat(), cluster.nodeTimeoutMs / 4);
    cluster.pulseTimer = setInterval(() => cluster.pulse(), PULSE_EVERY_MS);
    options.log(`cluster: node ${nodeId} joined through Redis at ${where}, ${cluster.hub.size} online in all`);
    return cluster;
  }

  get connected(): boolean {
    return this.state === "up" || this.state === "syncing";
  }

  // Link: what happens here, for the other nodes.

  relay(event: RelayEvent): void {
    switch (event.type) {
      case "join":
      case "leave":
        this.record(event.name); // its rooms changed
        break;
      case "quit":
        this.ops.push("del", foldName(event.name), "");
        break;
      case "rename":
        if (foldName(event.from) !== foldName(event.to)) this.ops.push("del", foldName(event.from), "");
        this.record(event.to);
        break;
      case "public":
      case "action":
      case "topic":
        break;
      default:
        return unreachable(event);
    }
    this.queue(event);
  }

  relayAway(name: string, reason: string | undefined): void {
    this.record(name);
    this.queue({ type: "away-state", name, reason: reason ?? null });
  }

  sendPrivate(to: Member, event: ServerEvent): boolean {
    if (this.state !== "up" || event.type !== "private") return false;
    this.queue({ type: "pm", to: to.name, event });
    return true;
  }

  claim(name: string): true | Promise<boolean> {
    if (!this.connected) return true; // alone for now: claimed when Redis is back (see rejoin)
    return this.cmd
      .send("SET", [`${P}name:${foldName(name)}`, this.node, "NX", "PX", String(claimTtl(this.nodeTimeoutMs))])
      .then(
        (ok) => ok !== null,
        () => true, // Redis went away meanwhile: the same as claiming while it is away
      );
  }

  unclaim(name: string): void {
    this.ops.push("del", foldName(name), "");
    this.schedule();
  }

  /** Our user's record in Redis (its name as typed, and away reason), set at the end of the turn. */
  private record(name: string): void {
    const member = this.hub.find(name);
    this.ops.push("set", foldName(name), JSON.stringify(member ? this.rosterEntry(member) : { name }));
  }

  private queue(event: ClusterEvent): void {
    this.events.push(event);
    if (this.events.length >= MAX_ENVELOPE_EVENTS) void this.publishTurn();
    else this.schedule();
  }

  private schedule(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.hub.turns.beforeWrite(this.flushTurn);
  }

  /** One script per turn: our user list changes, and one envelope with the turn's events. */
  private async publishTurn(): Promise<void> {
    this.flushScheduled = false;
    const events = this.events;
    const ops = this.ops;
    this.events = [];
    this.ops = [];
    if (events.length === 0 && ops.length === 0) return;
    // While Redis is away nothing is queued: users here were told, and the catch-up on return
    // brings the user list up to date. A stale line delivered a minute late is worse.
    if (!this.connected) {
      if (events.length > 0) this.stats.unsent++;
      return;
    }
    // Connected but Redis is not taking what we send (busy, or frozen and not yet timed out):
    // past a bound the events are dropped, not queued. Their sequence number is used up, so the
    // other nodes see the gap and catch up; our user-list changes still go (they are small).
    let envelope = "";
    if (events.length > 0 && this.isCongested()) {
      this.seq++;
      this.stats.unsent++;
    } else if (events.length > 0) envelope = this.envelope(events);
    if (envelope === "" && ops.length === 0) return;
    const deadline = String(Math.round(Date.now() + this.redisOffsetMs + ENVELOPE_DEADLINE_MS));
    try {
      const done = await this.cmd.send("EVAL", [SCRIPT_TURN, "0", CHANNEL, envelope, this.node, deadline, ...ops]);
      if (done === 1) {
        if (envelope) this.stats.published++;
        this.toldUndelivered.clear(); // lines go again: a later failure is news
        return;
      }
      // Redis ran it after its deadline (it was frozen or swamped meanwhile) and did nothing: the
      // senders are told, and our user list in Redis is written afresh.
      if (envelope) this.stats.unsent++;
      this.undelivered(events, "Redis took too long to take it");
      this.log("! cluster: an envelope reached Redis after its deadline and was dropped; rejoining");
      void this.rejoin().catch((err) => this.trouble("rejoin", err));
    } catch (err) {
      if (envelope) this.stats.unsent++;
      this.undelivered(events, "Redis stopped answering");
      this.trouble("publish", err);
    }
  }

  /**
   * Tells the senders here of lines and private messages that may not have reached the other
   * servers: never silent, but once per sender until lines go through again.
   */
  private undelivered(events: ClusterEvent[], why: string): void {
    const lines = new Map<Member, string[]>();
    for (const event of events) {
      let from: string;
      let what: string;
      if (event.type === "public" || event.type === "action") [from, what] = [event.from, `"${excerpt(event.text)}"`];
      else if (event.type === "pm") [from, what] = [event.event.from, `your private message to ${event.to}`];
      else continue;
      const sender = this.hub.find(from);
      if (!sender || sender.node !== undefined || this.toldUndelivered.has(sender)) continue;
      let list = lines.get(sender);
      if (!list) lines.set(sender, (list = []));
      list.push(what);
    }
    for (const [sender, list] of lines) {
      this.toldUndelivered.add(sender);
      const which = list.length === 1 ? list[0]! : `${list.length} of your lines (${list[0]} and after)`;
      this.hub.send(sender, {
        type: "error",
        code: "unreachable",
        message: `${which[0]!.toUpperCase()}${which.slice(1)} may not have reached the other servers (${why}); people on this server got it.`,
      });
    }
  }

  /** Whether Redis has more than the bound waiting for it; users here are told when this starts and ends. */
  private isCongested(): boolean {
    const waiting = this.cmd.bufferedAmount;
    if (!this.congested && waiting > this.maxPendingBytes) {
      this.congested = true;
      this.log(
        `! cluster: Redis is not keeping up (${Math.round(waiting / 1048576)} MiB waiting); messages for other servers are dropped until it does`,
      );
      this.notice(
        "Messages are not reaching the other servers right now (they can't keep up); they are not delivered there.",
      );
    } else if (this.congested && waiting < this.maxPendingBytes / 2) {
      this.congested = false;
      this.log("cluster: Redis is keeping up again");
      this.notice("Messages reach the other servers again.");
    }
    return this.congested;
  }
  private congested = false;

  /** Our next envelope (or, given `seq`, another with that number: one or the other is sent). */
  private envelope(events: ClusterEvent[], seq?: number): string {
    const envelope: Envelope = { n: this.node, b: this.boot, s: seq ?? ++this.seq, e: events };
    return JSON.stringify(envelope); // starts with ownPrefix: "n" and "b" first
  }

  /** How each of our envelopes starts. */
  private get ownPrefix(): string {
    return (this.prefix ??= JSON.stringify({ n: this.node, b: this.boot }).slice(0, -1) + ",");
  }
  private prefix: string | undefined;

  // From the other nodes.

  private onMessage(text: string): void {
    // Our own envelopes come back on the channel too: known by how they start, without parsing
    // them (half of what a node would otherwise parse).
    if (text.startsWith(this.ownPrefix) || this.state === "stopped") return;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(text) as Envelope;
    } catch {
      return this.log(`! cluster: an envelope that is not JSON (${text.length} bytes) was ignored`);
    }
    if (envelope.n === this.node) return;
    if (this.state === "syncing") {
      if (this.buffered.length < MAX_BUFFERED) this.buffered.push(envelope);
      return;
    }
    this.apply(envelope);
  }

  /** Checks the sender's sequence (gaps and repeats are counted, logged, and a gap triggers a catch-up), then applies the events. */
  apply(envelope: Envelope): void {
    if (typeof envelope.n !== "string" || !Array.isArray(envelope.e) || typeof envelope.s !== "number") return;
    const last = this.seen.get(envelope.n);
    if (last && last.boot === envelope.b) {
      if (envelope.s <= last.seq) {
        this.stats.duplicates++;
        return this.log(`! cluster: envelope ${envelope.s} from ${envelope.n} arrived again; ignored`);
      }
      if (envelope.s > last.seq + 1) {
        const missed = envelope.s - last.seq - 1;
        this.stats.missed += missed;
        this.log(`! cluster: ${missed} envelope(s) from ${envelope.n} never arrived; catching up from Redis`);
        this.resync();
      }
    }
    this.seen.set(envelope.n, { boot: envelope.b, seq: envelope.s, at: this.now() });
    this.stats.received++;
    for (const event of envelope.e) {
      try {
        this.applyEvent(envelope.n, event);
      } catch (err) {
        // Another node's bug must not take this one down: skip the event, say so.
        this.log(`! cluster: an event from ${envelope.n} could not be applied: ${(err as Error).message}`);
      }
    }
  }

  private applyEvent(node: string, event: ClusterEvent): void {
    const hub = this.hub;
    switch (event.type) {
      case "public":
      case "action": {
        const member = this.remote(node, event.from);
        const room = hub.room(event.room);
        if (!member || !room?.has(member)) return this.resync();
        return hub.say(room, event, member);
      }
      case "topic": {
        const member = this.remote(node, event.by);
        const room = hub.room(event.room);
        if (!member || !room?.has(member)) return this.resync();
        return hub.setTopic(room, event.text, member, event.ts);
      }
      case "join": {
        if (!this.remote(node, event.name)) this.addRemote(node, { name: event.name, rooms: [] }, event.ts);
        const member = this.remote(node, event.name);
        if (member) hub.join(member, event.room, event.ts);
        return;
      }
      case "leave": {
        const member = this.remote(node, event.name);
        const room = hub.room(event.room);
        if (member && room) hub.part(member, room, event.message, event.ts);
        return;
      }
      case "quit": {
        const member = this.remote(node, event.name);
        if (member) this.removeRemote(member, event.reason, event.ts);
        return;
      }
      case "rename": {
        const member = this.remote(node, event.from);
        if (!member || !hub.rename(member, event.to, event.ts)) return this.resync();
        return;
      }
      case "away-state": {
        const member = this.remote(node, event.name);
        if (member) hub.setAway(member, event.reason ?? undefined);
        return;
      }
      case "pm": {
        const to = hub.find(event.to);
        if (!to || to.node !== undefined) {
          return this.queue({ type: "undelivered", node, from: event.event.from, to: event.to });
        }
        hub.send(to, event.event);
        to.lastPmFrom = this.remote(node, event.event.from) ?? to.lastPmFrom;
        return;
      }
      case "undelivered": {
        const from = event.node === this.node ? hub.find(event.from) : undefined;
        if (!from || from.node !== undefined) return;
        hub.send(from, {
          type: "error",
          code: "unknown-user",
          message: `${event.to} left before your private message arrived; it was not delivered.`,
        });
        return;
      }
      case "roster":
        return this.reconcile(node, event.users, "disconnected");
      case "gone": {
        const members = this.byNode.get(event.node);
        if (!members) return;
        const restarted = event.reason === "server-restarted";
        for (const member of [...members]) this.removeRemote(member, restarted ? "server-restarted" : "server-lost");
        this.byNode.delete(event.node);
        if (!restarted) this.seen.delete(event.node); // a restarted node's new boot is already being tracked
        const what = restarted ? "was restarted" : "stopped answering";
        const by = node === this.node ? " (announced from here)" : "";
        this.log(`cluster: node ${event.node} ${what}; ${event.names.length} user(s) left with it${by}`);
        return;
      }
    }
  }

  private remote(node: string, name: string): RemoteMember | undefined {
    const member = this.hub.find(name);
    return member instanceof RemoteMember && member.node === node ? member : undefined;
  }

  /**
   * Adds a user of another node; false if it was already here. Joins and snapshots come from a
   * claim that Redis granted, so a name another node held in our view has moved: that member goes.
   * A name held here means our user lost it while we were cut off: the next heartbeat renames ours.
   */
  private addRemote(node: string, entry: RosterEntry, ts: number): void {
    if (typeof entry?.name !== "string" || !checkName(entry.name).ok) return;
    let holder = this.hub.find(entry.name);
    if (holder instanceof RemoteMember && holder.node !== node) {
      this.removeRemote(holder, "disconnected");
      holder = undefined;
    }
    if (holder?.node === undefined && holder !== undefined) return this.beatSoon();
    const away = typeof entry.away === "string" ? entry.away : undefined;
    if (holder instanceof RemoteMember) {
      if (holder.name !== entry.name) this.hub.rename(holder, entry.name, ts);
      this.hub.setAway(holder, away);
    } else {
      holder = new RemoteMember(entry.name, node);
      this.hub.add(holder);
      if (away !== undefined) this.hub.setAway(holder, away);
      let members = this.byNode.get(node);
      if (!members) this.byNode.set(node, (members = new Set()));
      members.add(holder as RemoteMember);
      this.touch(node);
    }
    this.syncRooms(holder, entry.rooms, ts);
  }

  /** A remote member's rooms made what its node says (joins and parts told here as they happen). */
  private syncRooms(member: Member, listed: unknown, ts: number): void {
    const names = Array.isArray(listed) ? listed : [this.hub.lobby];
    const wanted = new Set<string>();
    for (const name of names) {
      const check = typeof name === "string" ? checkRoom(name) : undefined;
      if (check?.ok) wanted.add(check.name);
    }
    for (const room of [...member.rooms]) if (!wanted.has(room.name)) this.hub.part(member, room, undefined, ts);
    for (const name of wanted) if (!member.rooms.some((r) => r.name === name)) this.hub.join(member, name, ts);
  }

  /** Heard of `node` now (an envelope, a snapshot, a heartbeat list). */
  private touch(node: string): void {
    const last = this.seen.get(node);
    if (last) last.at = this.now();
    else this.seen.set(node, { boot: "", seq: 0, at: this.now() });
  }

  private beatSoon(): void {
    if (this.beatPending) return;
    this.beatPending = true;
    setTimeout(() => {
      this.beatPending = false;
      this.beat();
    }, 0);
  }

  private removeRemote(member: RemoteMember, reason: LeaveReason, ts = this.now()): void {
    this.byNode.get(member.node)?.delete(member);
    this.hub.remove(member, reason, ts);
  }

  /** Makes our view of one node what it says it has: joins and leaves for the differences. */
  private reconcile(node: string, entries: RosterEntry[], reason: LeaveReason): void {
    const now = this.now();
    const present = new Set<string>();
    for (const entry of entries) {
      if (typeof entry?.name !== "string") continue;
      present.add(foldName(entry.name));
      this.addRemote(node, entry, now);
    }
    for (const member of [...(this.byNode.get(node) ?? [])]) {
      if (!present.has(foldName(member.name))) this.removeRemote(member, reason, now);
    }
  }

  /** Our view of every other node, from a snapshot; nodes missing from it are left to the heartbeat check. */
  private applySnapshot(snapshot: [string, string[]][]): void {
    for (const [node, records] of snapshot) {
      this.reconcile(node, parseRecords(records), "disconnected");
      this.touch(node);
    }
  }

  // Keeping in touch.

  /**
   * Redis went away (either connection closed, or stopped answering): both connections are closed,
   * users here are told, and the reconnection loop, the only one, takes over. While it runs
   * (state down), nothing else closes or opens connections.
   */
  private lost(err: Error | undefined): void {
    if (this.state !== "up" && this.state !== "syncing") return;
    this.state = "down";
    this.closeClients();
    this.log(
      `! cluster: lost Redis (${err?.message ?? "connection closed"}); chatting on this server only until it is back`,
    );
    // Once per outage, however many times a reconnection fails half-way: users hear one "can't be
    // reached" and, when it is over, one "reachable again".
    if (!this.toldDown) {
      this.toldDown = true;
      this.notice(
        "The other servers of this chat can't be reached right now. You can keep chatting with people on this server; messages for the others are not delivered until they are back.",
      );
    }
    this.retry();
  }

  /** A retry that is not scheduled while down (defensive: every path to "down" schedules one); the heartbeat checks. */
  private retryIfClosed(): void {
    if (this.state === "down") this.retry();
  }

  private retry(): void {
    if (this.retryTimer !== undefined || this.state === "stopped") return;
    const delay = Math.min(this.retryMaxMs, 100 * 2 ** Math.min(this.retries++, 10));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.reconnect();
    }, delay);
  }

  private async reconnect(): Promise<void> {
    if (this.reconnecting || this.state === "stopped") return;
    this.reconnecting = true;
    this.stats.reconnects++;
    try {
      [this.cmd, this.sub] = openClients(this.options.url);
      await Promise.all([this.cmd.connect(), this.sub.connect()]);
      this.watch();
      await this.rejoin();
    } catch (err) {
      if ((this.state as string) === "stopped") return; // stop() came while we waited
      this.state = "down";
      this.closeClients();
      this.trouble("reconnect", err);
      return this.retry();
    } finally {
      this.reconnecting = false;
    }
    if (this.state !== "up") return; // busy: a survivor is still announcing us dead; retrying
    this.retries = 0;
    this.log(`cluster: back in touch through Redis, ${this.hub.size} online in all`);
    if (this.toldDown) {
      this.toldDown = false;
      this.notice(`The other servers of this chat are reachable again: ${this.hub.size} online in all.`);
    }
  }

  /** Both connections heard from: a close, or a PING unanswered too long (see pulse), means Redis is gone. */
  private watch(): void {
    const cmd = this.cmd;
    const sub = this.sub;
    this.pingSent = [undefined, undefined];
    cmd.onclose = sub.onclose = (err) => {
      if (cmd === this.cmd) this.lost(err); // not for connections already replaced
    };
  }

  private closeClients(): void {
    for (const client of [this.cmd, this.sub]) {
      client.onclose = null;
      client.close();
    }
    this.pingSent = [undefined, undefined];
  }

  /**
   * Every half second: a PING on each connection, unless one is still unanswered, and if one has
   * been for pulseTimeoutMs, Redis is taken as gone. A frozen Redis (or a dead network path) closes
   * nothing, and would otherwise hold lines for as long as TCP takes to give up.
   */
  private pulse(): void {
    if (this.state !== "up" && this.state !== "syncing") return;
    const now = Date.now();
    const clients = [this.cmd, this.sub] as const;
    for (const i of [0, 1] as const) {
      const sent = this.pingSent[i];
      if (sent !== undefined) {
        if (now - sent <= this.pulseTimeoutMs) continue;
        const which = i === 0 ? "command" : "subscriber";
        return this.lost(new Error(`no answer to a PING on the ${which} connection in ${now - sent} ms`));
      }
      this.pingSent[i] = now;
      const client = clients[i];
      client.ping().then(
        () => {
          if (client === this.cmd || client === this.sub) this.pingSent[i] = undefined;
        },
        (err) => this.trouble("ping", err),
      );
    }
  }

  /** Redis's clock against ours, halfway through a TIME round trip. */
  private async measureClock(): Promise<void> {
    const before = Date.now();
    const [seconds, micros] = (await this.cmd.send("TIME", [])) as [string, string];
    const after = Date.now();
    this.redisOffsetMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - (before + after) / 2;
  }

  /**
   * (Re)joins the cluster: subscribe afresh, claim every name here (renaming users whose name another
   * node took meanwhile), catch up with the other nodes, and tell them who is here. One at a time.
   */
  private rejoin(): Promise<void> {
    this.rejoining ??= this.join().finally(() => (this.rejoining = undefined));
    return this.rejoining;
  }

  private async join(): Promise<void> {
    this.state = "syncing";
    this.buffered = [];
    await this.measureClock();
    // After a reconnect the old subscription is gone on Redis's side but not in Bun's client:
    // subscribing again without unsubscribing first would deliver everything twice.
    try {
      await this.sub.unsubscribe(CHANNEL);
    } catch {
      // nothing was subscribed
    }
    await this.sub.subscribe(CHANNEL, (message) => this.onMessage(message));
    // Heard by nobody but counted: a new process asking whether this id is still alive (start()).
    try {
      await this.sub.unsubscribe(nodeChannel(this.node));
    } catch {
      // nothing was subscribed
    }
    await this.sub.subscribe(nodeChannel(this.node), () => {});
    const args: string[] = [this.node, this.boot, String(this.nodeTimeoutMs), String(claimTtl(this.nodeTimeoutMs))];
    for (const member of this.hub.locals()) {
      args.push(foldName(member.name), JSON.stringify(this.rosterEntry(member)));
    }
    const result = (await this.cmd.send("EVAL", [SCRIPT_REJOIN, "0", ...args])) as
      ["busy"] | ["ok", string[], [string, string[]][]];
    if (result[0] === "busy") {
      this.state = "down";
      return this.retry();
    }
    this.stats.resyncs++;
    const [, lost, snapshot] = result;
    for (const field of lost) await this.yieldName(field);
    // Sequences start afresh from here: the snapshot covers what came before.
    for (const last of this.seen.values()) last.boot = "";
    this.applySnapshot(snapshot);
    this.queue({ type: "roster", users: [...this.hub.locals()].map((m) => this.rosterEntry(m)) });
    this.state = "up";
    const buffered = this.buffered;
    this.buffered = [];
    for (const envelope of buffered) this.apply(envelope);
  }

  /** Takes our id over from our dead predecessor: its users leave (their server restarted), their names are freed. */
  private async takeOver(): Promise<void> {
    const records = (await this.cmd.send("HVALS", [`${P}users:${this.node}`])) as string[];
    const names = parseRecords(records).map((entry) => entry.name);
    const gone: ClusterEvent = { type: "gone", node: this.node, names, reason: "server-restarted" };
    const args = [CHANNEL, this.envelope([gone]), this.node, this.boot, String(this.nodeTimeoutMs)];
    await this.cmd.send("EVAL", [SCRIPT_TAKEOVER, "0", ...args]);
    this.stats.published++;
    this.log(
      `cluster: node id ${this.node} taken over from a previous process that stopped answering; its ${names.length} user(s) left`,
    );
  }

  /** A user here as the other nodes see it: the name as typed, its rooms, and the away reason if any. */
  private rosterEntry(member: Member): RosterEntry {
    const entry: RosterEntry = { name: member.name, rooms: member.rooms.map((r) => r.name) };
    const away = this.hub.awayReason(member);
    if (away !== undefined) entry.away = away;
    return entry;
  }

  /**
   * A name of ours that another node holds in Redis now (claimed while we were cut off). The rule:
   * a name stays with whoever holds it in Redis, so our user takes the first free "name-2",
   * "name-3"… and is told why.
   */
  private async yieldName(field: string): Promise<void> {
    const member = this.hub.find(field);
    if (!member || member.node !== undefined) return;
    const old = member.name;
    for (let n = 2; n < 100; n++) {
      const suffix = `-${n}`;
      const name = old.slice(0, LIMITS.nameMaxLength - suffix.length) + suffix;
      if (this.hub.find(name)) continue;
      if ((await this.claim(name)) !== true) continue;
      if (this.hub.find(old) !== member || !this.hub.rename(member, name, this.now())) return this.unclaim(name);
      this.hub.send(member, {
        type: "notice",
        text: `While this server was cut off from the others, someone there took the name ${old}; you are now ${name} (/nick to choose another).`,
        ts: this.now(),
      });
      this.log(`~ ${old} is now ${name}: the name was taken on another node meanwhile`);
      return;
    }
  }

  /** Catches up with the other nodes from Redis (after a gap or a conflict); one at a time. */
  private resync(): void {
    if (this.state !== "up") return;
    if (this.resyncing) {
      this.resyncAgain = true;
      return;
    }
    this.resyncing = true;
    this.cmd.send("EVAL", [SCRIPT_SNAPSHOT, "0", this.node]).then(
      (snapshot: [string, string[]][]) => {
        this.stats.resyncs++;
        this.applySnapshot(snapshot);
        this.resyncing = false;
        if (this.resyncAgain) {
          this.resyncAgain = false;
          this.resync();
        }
      },
      (err) => {
        this.resyncing = false;
        this.trouble("resync", err);
      },
    );
  }

  /** Every quarter of the node timeout: our heartbeat and claims, and the other nodes' health. */
  private beat(): void {
    if (this.state === "up" && (!this.cmd.connected || !this.sub.connected)) return this.lost(undefined);
    if (this.state !== "up") return void this.retryIfClosed();
    const args = [this.node, this.boot, String(this.nodeTimeoutMs), String(claimTtl(this.nodeTimeoutMs))];
    if (this.congested) this.isCongested(); // tells users here once Redis has caught up, even if nobody speaks
    this.cmd.send("EVAL", [SCRIPT_BEAT, "0", ...args]).then(
      (result: [number, string[], [string, string[]][], string[]]) =>
        this.afterBeat(...result).catch((err) => this.trouble("heartbeat", err)),
      (err) => this.trouble("heartbeat", err),
    );
  }

  private async afterBeat(ours: number, lost: string[], dead: [string, string[]][], live: string[]): Promise<void> {
    if (this.state !== "up") return;
    if (ours === 0) {
      // Our heartbeat had expired (we were taken for dead) or Redis lost its data: join again.
      this.log("! cluster: our heartbeat had lapsed in Redis; claiming our users' names again");
      return this.rejoin().catch((err) => this.trouble("rejoin", err));
    }
    for (const field of lost) await this.yieldName(field);
    if (lost.length > 0) this.resync(); // the users who kept those names, on other nodes
    for (const [node, records] of dead) await this.bury(node, records);
    // A node that left Redis's list without anyone announcing it (Redis restarted, and the node
    // never came back): its users are dropped here once it has been silent for a timeout.
    const now = this.now();
    for (const node of live) this.touch(node);
    for (const [node, members] of this.byNode) {
      if (live.includes(node) || members.size === 0) continue;
      const last = this.seen.get(node);
      if (last && now - last.at < this.nodeTimeoutMs) continue;
      for (const member of [...members]) this.removeRemote(member, "server-lost", now);
      this.byNode.delete(node);
      this.seen.delete(node);
    }
  }

  /** We took a dead node's cleanup: its users' leaves go out first, and only then are their names freed. */
  private async bury(node: string, records: string[]): Promise<void> {
    const names = parseRecords(records).map((entry) => entry.name); // a broken record's name is freed all the same
    const gone: ClusterEvent = { type: "gone", node, names };
    const seq = this.seq + 1;
    const envelopes = [this.envelope([gone]), this.envelope([], seq)];
    try {
      const buried = await this.cmd.send("EVAL", [SCRIPT_BURY, "0", CHANNEL, ...envelopes, this.node, node]);
      this.stats.published++;
      if (buried === 1) this.applyEvent(this.node, gone);
      else this.log(`cluster: node ${node} is back; not announced`);
    } catch (err) {
      // Not announced: the names stay claimed, and the lock expires for another try.
      this.stats.unsent++;
      this.trouble("cleanup", err);
    }
  }

  /** A Redis command failed: logged; a closed connection is handled by `lost`. */
  private trouble(what: string, err: unknown): void {
    const error = err as Error & { code?: string };
    if (error?.code === "ERR_REDIS_CONNECTION_CLOSED" || error?.code === "ERR_REDIS_IDLE_TIMEOUT") {
      if (!this.cmd.connected || !this.sub.connected) this.lost(error);
      return;
    }
    this.log(`! cluster: ${what} failed: ${error?.message ?? String(err)}`);
  }

  private notice(text: string): void {
    this.hub.notice(text, this.now());
  }

  /**
   * Leaves the cluster (graceful shutdown): our users' leaves go to the other nodes, their names are
   * freed, and the connections close. Users here are told by the server, not by this.
   */
  async stop(timeoutMs = 2000): Promise<void> {
    if (this.state === "stopped") return;
    const wasUp = this.state === "up";
    this.state = "stopped";
    clearInterval(this.beatTimer);
    clearInterval(this.pulseTimer);
    clearTimeout(this.retryTimer);
    this.hub.link = undefined;
    this.cmd.onclose = this.sub.onclose = null;
    if (wasUp) {
      const ts = this.now();
      const leaves: ClusterEvent[] = [...this.hub.locals()].map((m) => ({
        type: "quit",
        name: m.name,
        reason: "server-stopped",
        ts,
      }));
      this.events.push(...leaves);
      const envelope = this.envelope(this.events);
      let timer: Timer | undefined;
      await Promise.race([
        this.cmd.send("EVAL", [SCRIPT_RETIRE, "0", CHANNEL, envelope, this.node]).catch((err) => {
          this.log(`! cluster: could not announce our users leaving: ${(err as Error).message}`);
        }),
        new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
      ]);
      clearTimeout(timer);
    }
    this.cmd.close();
    this.sub.close();
  }
}

/**
 * Why a connection to Redis failed, asked of Redis itself over a plain socket: nothing listening,
 * no answer, a password needed or refused. Undefined when it can't tell (TLS, a malformed URL).
 */
export async function diagnose(url: string, timeoutMs = 2000): Promise<string | undefined> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return "that is not a valid URL";
  }
  if (target.protocol !== "redis:") return undefined;
  const password = decodeURIComponent(target.password);
  const user = decodeURIComponent(target.username);
  const command = (...words: string[]) =>
    `*${words.length}\r\n${words.map((w) => `$${Buffer.byteLength(w)}\r\n${w}\r\n`).join("")}`;
  const ask = password ? command("AUTH", ...(user ? [user] : []), password) : command("PING");
  let answer = "";
  let timer: Timer | undefined;
  try {
    const reply = await Promise.race([
      new Promise<string>((resolve, reject) => {
        Bun.connect({
          hostname: target.hostname.replace(/^\[|\]$/g, ""),
          port: Number(target.port || 6379),
          socket: {
            open: (socket) => void socket.write(ask),
            data: (socket, chunk) => {
              answer += chunk.toString();
              if (answer.includes("\r\n")) {
                socket.end();
                resolve(answer.slice(0, answer.indexOf("\r\n")));
              }
            },
            close: () => resolve(answer || "(closed without a word)"),
            connectError: (_socket, error) => reject(error),
          },
        }).catch(reject);
      }),
      new Promise<string>((resolve) => (timer = setTimeout(() => resolve(""), timeoutMs))),
    ]);
    if (reply === "") return `no answer within ${timeoutMs / 1000} s`;
    if (/^-NOAUTH/.test(reply)) return "it wants a password: redis://:<password>@host:port";
    if (/^-(WRONGPASS|ERR invalid password)/.test(reply)) return "it refused the password (or user) in the URL";
    if (/^-ERR.*without any password configured/.test(reply)) {
      return "it has no password, but the URL gives one";
    }
    if (/^[+-]/.test(reply)) return `it answered "${reply.slice(0, 80)}"`;
    return "what answered is not Redis";
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ECONNREFUSED") return "nothing is listening there (is redis-server running?)";
    return (err as Error).message;
  } finally {
    clearTimeout(timer);
  }
}

/** Users' records from Redis; a broken one is skipped (its node rewrites its records when it next rejoins). */
function parseRecords(records: string[]): RosterEntry[] {
  const entries: RosterEntry[] = [];
  for (const record of records) {
    try {
      entries.push(JSON.parse(record) as RosterEntry);
    } catch {
      // skipped
    }
  }
  return entries;
}

/**
 * A node's two connections. Our own reconnection (see the top of the file): Bun's gives up, and
 * would queue commands. A Redis that stops answering is noticed by the pulse (pings), well before
 * the idle timeout, which stays as a backstop.
 */
function openClients(url: string): [RedisClient, RedisClient] {
  const settings = {
    autoReconnect: false,
    enableOfflineQueue: false,
    connectionTimeout: 2000,
    idleTimeout: 10_000,
  };
  return [new RedisClient(url, settings), new RedisClient(url, settings)];
}

/** The start of a line, for a notice about it. */
function excerpt(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** Each node listens on a channel of its own, so that a new process can tell whether the id is alive. */
function nodeChannel(node: string): string {
  return `${P}node:${node}`;
}

/** The URL without its password, for logs and errors. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
}
