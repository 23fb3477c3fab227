// Cluster mode: several bunchat servers share one chat through Redis (Bun's built-in client).
//
// Each node keeps its own hub. What happens here goes out as one envelope per event-loop turn,
// published on one channel ({node, boot, seq, events}: envelope.ts); other nodes apply the events
// to their hub, where users of other nodes are members that are never delivered to (roster.ts).
// Redis also holds who is where, which is the truth whenever a node has to catch up; every change
// to it is a Lua script run with the envelope that announces it (scripts.ts). The connections and
// their reconnection loop are in connection.ts; this file rejoins (resubscribing, unsubscribing
// first), catches up, and keeps the heartbeat.

import { DEFAULT_RETENTION } from "../store/history.ts";
import type { HistoryLink } from "../store/redis/history.ts";
import type { RedisClient } from "bun";
import { type Clock, every, SYSTEM_CLOCK, within } from "../net/clock.ts";
import { type ServerEvent, unreachable } from "../protocol/events.ts";
import { DEFAULT_NODE_TIMEOUT_MS } from "../protocol/limits.ts";
import { foldName } from "../protocol/names.ts";
import type { RelayEvent } from "../core/bus.ts";
import type { Hub } from "../core/hub.ts";
import type { Member } from "../core/room.ts";
import { type ConnectionHost, openClients, RedisConnection } from "./connection.ts";
import { carriedPrivately, type PipeEvent } from "./envelope.ts";
import { diagnose, redact } from "./diagnose.ts";
import { type ClusterStats, entryOf, Moderation, type NodeBus, type PipeHandler, RemoteRoster, type RosterHost } from "./roster.ts";
import {
  isNodeId,
  type ClusterEvent,
  type Envelope,
  parseEnvelope,
  parseRecords,
  rejoinReply,
  Sequences,
  timeReply,
} from "./envelope.ts";
import {
  CHANNEL,
  nodeChannel,
  SCRIPT_REJOIN,
  SCRIPT_RETIRE,
  SCRIPT_TAKEOVER,
} from "./scripts.ts";
import { HISTORY_SEQ, P } from "../store/redis/keys.ts";
import { type IdsHost, LeasedIds } from "./ids.ts";
import { Outbound, type OutboundHost } from "./outbound.ts";
import { claimTtl, Liveness, type LivenessHost } from "./liveness.ts";

export type { ClusterEvent, Envelope } from "./envelope.ts";
export { diagnose, redact } from "./diagnose.ts";

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
  /** Time and timers (heartbeats, pings, retries); the system's by default. */
  clock?: Clock;
  /** For the boot id and a generated node id: a number in [0, 1). */
  random?: () => number;
}

/** Envelopes kept while catching up; past this, they are dropped and the catch-up itself covers them. */
const MAX_BUFFERED = 10_000;
const MAX_PENDING_BYTES = 16 * 1024 * 1024;
const DEFAULT_PULSE_TIMEOUT_MS = 1000;

export class ClusterError extends Error {}

/** A short random id of base-36 digits. */
function randomId(random: () => number, length: number): string {
  let id = "";
  while (id.length < length) id += Math.floor(random() * 36).toString(36);
  return id;
}


export class Cluster extends Moderation implements NodeBus, RosterHost, ConnectionHost, HistoryLink, OutboundHost, LivenessHost, IdsHost {
  /** The hub this node's users are in: built on this bus (and its stores), then given to join(). */
  hub!: Hub;
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
  readonly nodeTimeoutMs: number;
  readonly maxPendingBytes: number;
  readonly now: () => number;
  private readonly clock: Clock;
  /** What this node tells the others, a turn at a time (outbound.ts). */
  readonly out: Outbound;
  /** The ids this node gives lines (ids.ts). */
  private readonly ids: LeasedIds;
  /** Heartbeats, names taken meanwhile, dead nodes (liveness.ts). */
  private readonly liveness: Liveness;
  /** Other nodes' users here, per node; and per node the last envelope seen and when it was last heard of. */
  readonly sequences = new Sequences();
  readonly remotes = new RemoteRoster(this);
  /** Envelopes that arrived while catching up, applied once the snapshot is. */
  private buffered: Envelope[] = [];
  private beatTimer: { cancel(): void } | undefined;
  /** Redis's clock minus ours, measured at each (re)join: envelope deadlines are on Redis's clock. */
  redisOffsetMs = 0;
  /** One rejoin at a time. */
  private rejoining: Promise<void> | undefined;
  private beatPending = false;

  /** The connections to Redis, and their state (connection.ts). */
  readonly redis: RedisConnection;
  /** Lines kept per room's stream (XADD MAXLEN ~): set by the history store. */
  historyLines = DEFAULT_RETENTION.linesPerRoom;

  private constructor(
    /** The command connection and the subscriber's. */
    private readonly clients: [RedisClient, RedisClient],
    node: string,
    private readonly options: ClusterOptions,
    readonly log: (line: string) => void,
  ) {
    super();
    this.node = node;
    this.nodeTimeoutMs = options.nodeTimeoutMs ?? DEFAULT_NODE_TIMEOUT_MS;
    this.maxPendingBytes = options.maxPendingBytes ?? MAX_PENDING_BYTES;
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.redis = new RedisConnection(clients, this, {
      url: options.url,
      clock: this.clock,
      retryMaxMs: options.retryMaxMs ?? 1000,
      pulseTimeoutMs: options.pulseTimeoutMs ?? DEFAULT_PULSE_TIMEOUT_MS,
      stats: this.stats,
    });
    this.now = () => this.clock.now();
    this.out = new Outbound(this, randomId(options.random ?? Math.random, 8));
    this.ids = new LeasedIds(this, this.out.boot);
    this.liveness = new Liveness(this);
  }

  /**
   * Connects to Redis; rejects with a ClusterError a person can act on. The node is not in the
   * cluster yet: the stores can be made on it, then the hub, then join().
   */
  static async connect(options: ClusterOptions): Promise<Cluster> {
    const nodeId = options.nodeId ?? `node-${randomId(options.random ?? Math.random, 6)}`;
    if (!isNodeId(nodeId)) {
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
    return new Cluster(clients, nodeId, options, options.log);
  }

  /** Takes the node id, subscribes and reads who is online, into `hub` (built on this bus). */
  async join(hub: Hub): Promise<void> {
    this.hub = hub;
    const cluster = this;
    const nodeId = this.node;
    const where = redact(this.options.url);
    const [cmd] = this.clients;
    try {
      // A heartbeat that is not ours: another process has this id, or had it and died (kill -9, a
      // crash) less than a node timeout ago. A live one listens on its node channel; a dead one's
      // connections are gone, so nobody hears the question, and its id is ours to take over at once
      // (a service manager restarting a crashed server must not be refused for 10 s).
      const taken = await cmd.send("SET", [
        `${P}alive:${nodeId}`,
        cluster.out.boot,
        "NX",
        "PX",
        String(cluster.nodeTimeoutMs),
      ]);
      if (taken === null) {
        const listening = await cmd.send("PUBLISH", [nodeChannel(nodeId), cluster.out.boot]);
        if (listening > 0) {
          throw new ClusterError(`node id "${nodeId}" is in use by another server in this cluster.`);
        }
        await cluster.takeOver();
      }
      await cluster.rejoin();
      await cluster.ids.start();
    } catch (err) {
      for (const c of this.clients) c.close();
      if (err instanceof ClusterError) throw err;
      throw new ClusterError(`Redis at ${where} failed while joining the cluster: ${(err as Error).message}`);
    }
    cluster.redis.watch();
    cluster.beatTimer = every(cluster.clock, cluster.nodeTimeoutMs / 4, () => cluster.liveness.beat());
    cluster.redis.startPulse();
    this.options.log(`cluster: node ${nodeId} joined through Redis at ${where}, ${cluster.hub.size} online in all`);
  }

  get connected(): boolean {
    return this.redis.connected;
  }

  /** OutboundHost: the command connection. */
  get cmd(): RedisClient {
    return this.redis.cmd;
  }

  // Bus: what happens here, for the other nodes.

  relay(event: RelayEvent): void {
    switch (event.type) {
      case "join":
      case "leave":
        this.out.record(event.name); // its rooms changed
        break;
      case "quit":
        this.out.op("del", foldName(event.name));
        break;
      case "rename":
        if (foldName(event.from) !== foldName(event.to)) this.out.op("del", foldName(event.from));
        this.out.record(event.to);
        break;
      case "public":
      case "action":
      case "topic":
      case "edit":
      case "delete":
      case "react":
      case "typing":
        break;
      default:
        return unreachable(event);
    }
    this.out.queue(event);
  }

  relayAway(name: string, reason: string | undefined): void {
    this.out.record(name);
    this.out.queue({ type: "away-state", name, reason: reason ?? null });
  }

  relayAccount(name: string, account: string | undefined): void {
    this.out.record(name);
    this.out.queue({ type: "account", name, account: account ?? null });
  }

  sendPrivate(to: Member, event: ServerEvent): boolean {
    if (this.redis.state !== "up" || !carriedPrivately(event)) return false;
    this.out.queue({ type: "pm", to: to.name, node: to.node!, event });
    return true;
  }

  claim(name: string): true | Promise<boolean> {
    if (!this.connected) return true; // alone for now: claimed when Redis is back (see rejoin)
    const key = foldName(name);
    // Given up earlier in this turn ("/nick x" then "/nick back")? The turn's script frees it:
    // send that first, on the same connection, so that Redis has freed it when the claim arrives.
    if (this.out.freeing(key)) void this.out.publishTurn();
    return this.redis.cmd
      .send("SET", [`${P}name:${key}`, this.node, "NX", "PX", String(claimTtl(this.nodeTimeoutMs))])
      .then(
        (ok) => ok !== null,
        () => true, // Redis went away meanwhile: the same as claiming while it is away
      );
  }

  // HistoryLink: the Redis history store writes with this turn's script, and reads on our connection.

  get historyWrites(): { written: number; failed: number } {
    return this.out.historyWrites;
  }

  write(op: "hist" | "topic" | "talk", room: string, value: string): void {
    this.out.write(op, room, value);
  }

  nextId(): string {
    return this.ids.nextId();
  }

  sentLines(): boolean {
    return this.out.sentLines();
  }

  lease(count: number): Promise<number> {
    return this.redis.cmd.send("INCRBY", [HISTORY_SEQ, String(count)]).then((last) => {
      if (typeof last !== "number") throw new Error(`INCRBY answered ${String(last)}`);
      return last;
    });
  }

  command(name: string, args: string[]): Promise<unknown> {
    if (!this.connected) return Promise.reject(new Error("Redis can't be reached"));
    return this.redis.cmd.send(name, args);
  }

  unclaim(name: string): void {
    this.out.op("del", foldName(name));
    this.out.schedule();
  }

  protected queue(event: ClusterEvent): void {
    this.out.queue(event);
  }

  // From the other nodes.

  private onMessage(text: string): void {
    // Our own envelopes come back on the channel too: known by how they start, without parsing
    // them (half of what a node would otherwise parse).
    if (text.startsWith(this.out.ownPrefix) || this.redis.state === "stopped") return;
    const parsed = parseEnvelope(text);
    if ("error" in parsed) return this.log(`! cluster: ${parsed.error} was ignored`);
    const { envelope, dropped } = parsed;
    if (envelope.n === this.node) return;
    if (dropped > 0) this.log(`! cluster: ${dropped} event(s) from ${envelope.n} we can't read were ignored`);
    if (this.redis.state === "syncing") {
      if (this.buffered.length < MAX_BUFFERED) this.buffered.push(envelope);
      return;
    }
    this.apply(envelope);
  }

  /** Checks the sender's sequence (gaps and repeats are counted, logged, and a gap triggers a catch-up), then applies the events. */
  apply(envelope: Envelope): void {
    const verdict = this.sequences.see(envelope.n, envelope.b, envelope.s, this.now());
    if (verdict.kind === "repeated") {
      this.stats.duplicates++;
      return this.log(`! cluster: envelope ${envelope.s} from ${envelope.n} arrived again; ignored`);
    }
    if (verdict.kind === "gap") {
      this.stats.missed += verdict.missed;
      this.log(`! cluster: ${verdict.missed} envelope(s) from ${envelope.n} never arrived; catching up from Redis`);
      this.liveness.catchUp();
    }
    this.stats.received++;
    for (const event of envelope.e) {
      try {
        this.remotes.apply(envelope.n, event);
      } catch (err) {
        // Another node's bug must not take this one down: skip the event, say so.
        this.log(`! cluster: an event from ${envelope.n} could not be applied: ${(err as Error).message}`);
      }
    }
  }

  // RosterHost: what applying other nodes' events needs from here.

  /** Our view of the others is off (an event about someone we don't know): catch up from Redis. */
  resync(): void {
    this.liveness.catchUp();
  }

  /** To the other nodes, with this turn's envelope. */
  send(event: ClusterEvent): void {
    this.out.queue(event);
  }

  /** A node is gone: its sequence with it, unless it restarted (its new boot is tracked already). */
  gone(node: string, restarted: boolean): void {
    if (!restarted) this.sequences.forget(node);
    this.pipes?.gone(node);
  }

  private pipes: PipeHandler | undefined;

  sendPipe(event: PipeEvent): boolean {
    if (this.redis.state !== "up") return false;
    this.out.queue(event);
    return true;
  }

  onPipes(handler: PipeHandler): void {
    this.pipes = handler;
  }

  /** RosterHost: a piped device's event for this node. */
  pipe(event: PipeEvent): void {
    this.pipes?.event(event);
  }

  /** Heard of `node` now (an envelope, a snapshot, a heartbeat list). */
  touch(node: string): void {
    this.sequences.touch(node, this.now());
  }

  /** RosterHost: a user here holds a name Redis gave another node; the heartbeat renames ours. */
  conflict(): void {
    this.beatSoon();
  }

  private beatSoon(): void {
    if (this.beatPending) return;
    this.beatPending = true;
    this.clock.later(0, () => {
      this.beatPending = false;
      this.liveness.beat();
    });
  }

  /** Our view of every other node, from a snapshot; nodes missing from it are left to the heartbeat check. */
  applySnapshot(snapshot: [string, string[]][]): void {
    for (const [node, records] of snapshot) {
      this.remotes.reconcile(node, parseRecords(records), "disconnected");
      this.touch(node);
    }
  }

  // Keeping in touch.

  /** Redis's clock against ours, halfway through a TIME round trip. */
  private async measureClock(): Promise<void> {
    const before = this.now();
    const redisNow = timeReply(await this.redis.cmd.send("TIME", []));
    const after = this.now();
    this.redisOffsetMs = redisNow - (before + after) / 2;
  }

  /**
   * (Re)joins the cluster: subscribe afresh, claim every name here (renaming users whose name another
   * node took meanwhile), catch up with the other nodes, and tell them who is here. One at a time.
   */
  rejoin(): Promise<void> {
    this.rejoining ??= this.subscribeAndSync().finally(() => (this.rejoining = undefined));
    return this.rejoining;
  }

  private async subscribeAndSync(): Promise<void> {
    this.redis.state = "syncing";
    this.buffered = [];
    await this.measureClock();
    // After a reconnect the old subscription is gone on Redis's side but not in Bun's client:
    // subscribing again without unsubscribing first would deliver everything twice.
    try {
      await this.redis.sub.unsubscribe(CHANNEL);
    } catch {
      // nothing was subscribed
    }
    await this.redis.sub.subscribe(CHANNEL, (message) => this.onMessage(message));
    // Heard by nobody but counted: a new process asking whether this id is still alive (start()).
    try {
      await this.redis.sub.unsubscribe(nodeChannel(this.node));
    } catch {
      // nothing was subscribed
    }
    await this.redis.sub.subscribe(nodeChannel(this.node), () => {});
    const args: string[] = [this.node, this.out.boot, String(this.nodeTimeoutMs), String(claimTtl(this.nodeTimeoutMs))];
    for (const member of this.hub.locals()) {
      args.push(foldName(member.name), JSON.stringify(entryOf(this.hub, member)));
    }
    const result = rejoinReply(await this.redis.cmd.send("EVAL", [SCRIPT_REJOIN, "0", ...args]));
    if (result.busy) {
      this.redis.state = "down";
      return this.redis.retry();
    }
    this.stats.resyncs++;
    const { lost, snapshot } = result;
    for (const field of lost) await this.liveness.yieldName(field);
    // Sequences start afresh from here: the snapshot covers what came before.
    this.sequences.restart();
    this.applySnapshot(snapshot);
    this.out.queue({ type: "roster", users: [...this.hub.locals()].map((m) => entryOf(this.hub, m)) });
    this.redis.state = "up";
    const buffered = this.buffered;
    this.buffered = [];
    for (const envelope of buffered) this.apply(envelope);
  }

  /** Takes our id over from our dead predecessor: its users leave (their server restarted), their names are freed. */
  private async takeOver(): Promise<void> {
    const records: unknown = await this.redis.cmd.send("HVALS", [`${P}users:${this.node}`]);
    const names = parseRecords(records).map((entry) => entry.name);
    const gone: ClusterEvent = { type: "gone", node: this.node, names, reason: "server-restarted" };
    const args = [CHANNEL, this.out.envelope([gone]), this.node, this.out.boot, String(this.nodeTimeoutMs)];
    await this.redis.cmd.send("EVAL", [SCRIPT_TAKEOVER, "0", ...args]);
    this.stats.published++;
    this.log(
      `cluster: node id ${this.node} taken over from a previous process that stopped answering; its ${names.length} user(s) left`,
    );
  }

  /** A user here as the other nodes see it: the name as typed, its rooms, and the away reason if any. */

  /** A Redis command failed: logged; a closed connection is handled by `lost`. */
  trouble(what: string, err: unknown): void {
    const error = err as Error & { code?: string };
    if (error?.code === "ERR_REDIS_CONNECTION_CLOSED" || error?.code === "ERR_REDIS_IDLE_TIMEOUT") {
      if (!this.redis.cmd.connected || !this.redis.sub.connected) this.redis.lost(error);
      return;
    }
    this.log(`! cluster: ${what} failed: ${error?.message ?? String(err)}`);
  }

  notice(text: string): void {
    this.hub.notice(text, this.now());
  }

  // ConnectionHost: what losing Redis and finding it again mean here.

  outage(): void {
    this.notice(
      "The other servers of this chat can't be reached right now. You can keep chatting with people on this server; messages for the others are not delivered until they are back.",
    );
  }

  reconnected(told: boolean): void {
    this.log(`cluster: back in touch through Redis, ${this.hub.size} online in all`);
    if (told) this.notice(`The other servers of this chat are reachable again: ${this.hub.size} online in all.`);
  }

  summary(): string {
    const st = this.stats;
    return `envelopes ${st.published} sent, ${st.received} received, ${st.missed} missed, ${st.duplicates} repeated, ${st.unsent} not sent`;
  }

  /**
   * Leaves the cluster (graceful shutdown): our users' leaves go to the other nodes, their names are
   * freed, and the connections close. Users here are told by the server, not by this.
   */
  async stop(timeoutMs = 2000): Promise<void> {
    if (this.redis.state === "stopped") return;
    const wasUp = this.redis.state === "up";
    this.redis.stop();
    this.beatTimer?.cancel();
    this.hub.bus = undefined;
    if (wasUp) {
      const ts = this.now();
      const leaves: ClusterEvent[] = [...this.hub.locals()].map((m) => ({
        type: "quit",
        name: m.name,
        reason: "server-stopped",
        ts,
      }));
      const envelope = this.out.last(leaves);
      const retired = this.redis.cmd.send("EVAL", [SCRIPT_RETIRE, "0", CHANNEL, envelope, this.node]).catch((err) => {
        this.log(`! cluster: could not announce our users leaving: ${(err as Error).message}`);
      });
      await within(retired, timeoutMs, undefined);
    }
    this.redis.cmd.close();
    this.redis.sub.close();
  }
}


