// Users of the other nodes, as this node sees them: members of its hub (found by name, listed, in
// rooms) that are never delivered to, kept per node so that a node's users can be reconciled with
// what it says it has, or forgotten together when it dies; and what they do, applied to the hub
// through the operations users here use. Whatever carries the events (Redis, or memory) uses this.

import { type LeaveReason, unreachable } from "../protocol/events.ts";
import { foldName } from "../protocol/names.ts";
import type { Bus } from "../core/bus.ts";
import type { Hub } from "../core/hub.ts";
import { type Member, NO_DEVICES, type Room } from "../core/room.ts";
import type { ClusterEvent, PipeEvent, RosterEntry } from "./envelope.ts";
import { tellTypingInRoom, tellTypingTo } from "../core/typing.ts";
import type { RolesNews, RoomRoles } from "../store/rooms.ts";

/** What a Redis node counts of its traffic with the others (/metrics). */
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

/** A bus a server can be handed: it reaches the other nodes, and leaves them when the server stops. */
export interface NodeBus extends Bus {
  /** This node's id. */
  readonly node: string;
  /** Leaves the other nodes: our users' leaves go to them, their names are freed. */
  stop(): Promise<void>;
  /** What it did, for the log when the server stops. */
  summary(): string;
  /** Whether the other nodes can be reached (Redis is up): /healthz says 503 while not. */
  readonly connected: boolean;
  /** A piped device's event to another node; false if it can't be reached now. */
  sendPipe(event: PipeEvent): boolean;
  /** Where the piped devices' events for this node go (the server's doors). */
  onPipes(handler: PipeHandler): void;
  /** Envelopes sent, received, missed and repeated, for /metrics (Redis only). */
  readonly stats?: ClusterStats;
}

/**
 * What moderation tells the other nodes, the same whatever carries it (Redis, or memory): each an
 * event queued to go with this turn's.
 */
export abstract class Moderation {
  protected abstract queue(event: ClusterEvent): void;

  /**
   * Puts out a user of another node (from `room` only, if given): its own node does it, and
   * (`banned`) makes a guest's ban cover its network, which only that node knows.
   */
  kick(member: Member, message: string, room?: string, banned = false): void {
    if (member.node === undefined) return;
    this.queue({ type: "kick", node: member.node, name: member.name, message, ...(room ? { room } : {}), ...(banned ? { banned } : {}) });
  }

  /** The server bans changed: every node reads them again. */
  relayBans(): void {
    this.queue({ type: "bans" });
  }

  /** A room's roles, as kept after a change here; `news` tells its members there. */
  relayRoles(room: string, roles: RoomRoles, news: RolesNews): void {
    this.queue({ type: "roles", room, roles, ...news });
  }
}

/** A user here as the other nodes see it: the name as typed, its rooms, and the away reason if any. */
export function entryOf(hub: Hub, member: Member): RosterEntry {
  const entry: RosterEntry = { name: member.name, rooms: member.rooms.map((r) => r.name) };
  const away = hub.awayReason(member);
  if (away !== undefined) entry.away = away;
  if (member.account !== undefined) entry.account = member.account;
  if (member.visit !== undefined) entry.visit = member.visit;
  return entry;
}

/** A user on another node: listed, found by name, never delivered to here. */
export class RemoteMember implements Member {
  readonly devices = NO_DEVICES;
  readonly rooms: Room[] = [];
  lastPmFrom?: Member;
  /** The account it logged in to, and its stay, as its node says. */
  account?: string;
  visit?: string;
  constructor(
    public name: string,
    readonly node: string,
  ) {}
}

/** What the roster needs from the node it belongs to (the Redis bus, or the in-memory one). */
export interface RosterHost {
  /** This node's id. */
  readonly node: string;
  readonly hub: Hub;
  now(): number;
  log(line: string): void;
  /** An event about someone we don't know: our view of the others is off, catch up. */
  resync(): void;
  /** To the other nodes (a private message's recipient had left). */
  send(event: ClusterEvent): void;
  /** A node is gone (`restarted`: a new process took its id over). */
  gone(node: string, restarted: boolean): void;
  /** Heard of `node` now (a snapshot, a join). */
  touch(node: string): void;
  /** A user here holds a name another node was granted by Redis: the next heartbeat sorts it out. */
  conflict(): void;
  /** A piped device's event for this node (doors/pipes.ts). */
  pipe(event: PipeEvent): void;
}

/** What carries piped devices: the server's doors/pipes.ts, told what comes for this node and which nodes go. */
export interface PipeHandler {
  event(event: PipeEvent): void;
  gone(node: string): void;
}

export class RemoteRoster {
  private readonly byNode = new Map<string, Set<RemoteMember>>();
  /** Every remote member by its name as written: the lookup every event makes, without folding. */
  private readonly byName = new Map<string, RemoteMember>();

  constructor(private readonly host: RosterHost) {}

  /** Nodes with users here. */
  nodes(): Iterable<[string, ReadonlySet<RemoteMember>]> {
    return this.byNode;
  }

  /** The member called `name` if it is a user of `node`. */
  find(node: string, name: string): RemoteMember | undefined {
    const exact = this.byName.get(name);
    if (exact?.node === node && exact.name === name) return exact;
    const member = this.host.hub.find(name);
    return member instanceof RemoteMember && member.node === node ? member : undefined;
  }

  /** Renames a remote member (the hub tells everyone who shares a room with it); false if taken. */
  private rename(member: RemoteMember, to: string, ts: number): boolean {
    const from = member.name;
    if (!this.host.hub.rename(member, to, ts)) return false;
    if (this.byName.get(from) === member) this.byName.delete(from);
    this.byName.set(to, member);
    return true;
  }

  /**
   * Adds a user of another node, or brings one up to date (name, away, rooms). Joins and snapshots
   * come from a claim that Redis granted, so a name another node held in our view has moved: that
   * member goes. A name held here means our user lost it while we were cut off: the next heartbeat
   * renames ours.
   */
  add(node: string, entry: RosterEntry, ts: number): RemoteMember | undefined {
    const { hub } = this.host;
    const found = hub.find(entry.name);
    let holder: RemoteMember | undefined;
    if (found instanceof RemoteMember) {
      if (found.node === node) holder = found;
      else this.remove(found, "disconnected", ts);
    } else if (found) {
      this.host.conflict();
      return undefined;
    }
    const isNew = holder === undefined;
    if (holder) {
      if (holder.name !== entry.name) this.rename(holder, entry.name, ts);
      hub.setAway(holder, entry.away);
    } else {
      holder = new RemoteMember(entry.name, node);
      hub.add(holder);
      this.byName.set(holder.name, holder);
      if (entry.away !== undefined) hub.setAway(holder, entry.away);
      let members = this.byNode.get(node);
      if (!members) this.byNode.set(node, (members = new Set()));
      members.add(holder);
      this.host.touch(node);
    }
    holder.account = entry.account;
    holder.visit = entry.visit;
    this.syncRooms(holder, entry.rooms ?? [hub.lobby], ts, isNew);
    return holder;
  }

  /** A remote member's rooms made what its node says (joins and parts told here as they happen). */
  private syncRooms(member: RemoteMember, rooms: string[], ts: number, isNew = false): void {
    const { hub } = this.host;
    const wanted = new Set(rooms);
    for (const room of [...member.rooms]) if (!wanted.has(room.name)) hub.part(member, room, undefined, ts);
    // Someone this node learns of now came into the chat, as far as its users can tell: its first room says so.
    let first = isNew;
    for (const name of wanted) {
      if (member.rooms.some((r) => r.name === name)) continue;
      hub.join(member, name, ts, true, undefined, first);
      first = false;
    }
  }

  /** A user of another node left the chat, told in each room it was in. */
  remove(member: RemoteMember, reason: LeaveReason, ts = this.host.now(), message?: string): void {
    this.byNode.get(member.node)?.delete(member);
    if (this.byName.get(member.name) === member) this.byName.delete(member.name);
    this.host.hub.remove(member, reason, ts, message);
  }

  /** Makes our view of one node what it says it has: joins and leaves for the differences. */
  reconcile(node: string, entries: RosterEntry[], reason: LeaveReason): void {
    const now = this.host.now();
    const present = new Set<string>();
    for (const entry of entries) {
      present.add(foldName(entry.name));
      this.add(node, entry, now);
    }
    for (const member of [...(this.byNode.get(node) ?? [])]) {
      if (!present.has(foldName(member.name))) this.remove(member, reason, now);
    }
  }

  /** A node is gone (dead, stopped answering, restarted): each of its users leaves, once. */
  forget(node: string, reason: LeaveReason, ts = this.host.now()): number {
    const members = this.byNode.get(node);
    this.byNode.delete(node);
    for (const member of members ?? []) this.remove(member, reason, ts);
    return members?.size ?? 0;
  }

  /** What a user of another node did, applied to the hub through the same operations as here. */
  apply(node: string, event: ClusterEvent): void {
    const { hub } = this.host;
    switch (event.type) {
      case "public":
      case "action": {
        if (event.type === "public" && event.bot) return hub.post(event, false); // a bot's: said by no member
        const member = this.find(node, event.from);
        const room = hub.room(event.room);
        if (!member || !room?.has(member)) return this.host.resync();
        return hub.say(room, event, member);
      }
      case "edit":
      case "delete":
      case "react":
        // Changed in Redis by the node it was made on, before it told us: only told here.
        return hub.messages.tell(hub.room(event.room), event, false);
      case "topic": {
        const member = this.find(node, event.by);
        const room = hub.room(event.room);
        if (!member || !room?.has(member)) return this.host.resync();
        return hub.setTopic(room, event.text, member, event.ts, event.id);
      }
      case "join": {
        const member = this.find(node, event.name) ?? this.add(node, { name: event.name, rooms: [] }, event.ts);
        if (member && event.visit !== undefined) member.visit = event.visit;
        if (member) hub.join(member, event.room, event.ts, true, undefined, event.arrived === true);
        return;
      }
      case "leave": {
        const member = this.find(node, event.name);
        const room = hub.room(event.room);
        if (member && room) hub.part(member, room, event.message, event.ts, event.reason === "removed" ? "removed" : "parted");
        return;
      }
      case "quit": {
        const member = this.find(node, event.name);
        if (member) this.remove(member, event.reason, event.ts, event.message);
        return;
      }
      case "rename": {
        const member = this.find(node, event.from);
        if (!member || !this.rename(member, event.to, event.ts)) return this.host.resync();
        return;
      }
      case "account": {
        // Said before its first join (the same envelope): then it is new here.
        const account = event.account ?? undefined;
        const member = this.find(node, event.name);
        if (member) member.account = account;
        else this.add(node, { name: event.name, rooms: [], ...(account ? { account } : {}) }, this.host.now());
        return;
      }
      case "away-state": {
        const member = this.find(node, event.name);
        if (member) hub.setAway(member, event.reason ?? undefined);
        return;
      }
      case "pm": {
        if (event.node !== this.host.node) return; // for a user of another node
        const to = hub.find(event.to);
        if (event.event.type === "edit" || event.event.type === "delete") return void (to && to.node === undefined && hub.send(to, event.event));
        if (event.event.type === "typing") return void (to && to.node === undefined && tellTypingTo(to, event.event));
        if (!to || to.node !== undefined) {
          return this.host.send({ type: "undelivered", node, from: event.event.from, to: event.to, ...(event.event.type === "invite" ? { invite: true as const } : {}) });
        }
        hub.send(to, event.event);
        if (event.event.type === "private") to.lastPmFrom = this.find(node, event.event.from) ?? to.lastPmFrom;
        return;
      }
      case "kick": {
        if (event.node !== this.host.node) return; // a user of another node
        const to = hub.find(event.name);
        if (!to || to.node !== undefined) return;
        const room = event.room === undefined ? undefined : hub.room(event.room);
        if (event.banned && (event.room === undefined || room)) hub.rules.banNetwork(to, room, this.host.log);
        if (event.room === undefined) hub.kick(to, event.message);
        else if (room) hub.kickFromRoom(to, room, event.message);
        return;
      }
      case "roles":
        hub.rules.learnRoles(event.room, event.roles, { ...(event.text ? { text: event.text } : {}), ...(event.by ? { by: event.by } : {}), ...(event.mode ? { mode: true } : {}) });
        return;
      case "bans":
        hub.rules.bansChanged(false);
        return;
      case "typing": {
        const member = this.find(node, event.from);
        const room = hub.room(event.room);
        if (member && room?.has(member)) tellTypingInRoom(room, event, member);
        return;
      }
      case "pipe":
        if (event.node === this.host.node) this.host.pipe(event); // a device piped between two nodes: only its ends apply it
        return;
      case "undelivered": {
        const from = event.node === this.host.node ? hub.find(event.from) : undefined;
        if (!from || from.node !== undefined) return;
        hub.send(from, {
          type: "error",
          code: "unknown-user",
          message: `${event.to} left before your ${event.invite ? "invite" : "private message"} arrived; it was not delivered.`,
        });
        return;
      }
      case "roster": {
        this.reconcile(node, event.users, "disconnected");
        // It has just (re)joined: it may not know the topics set before.
        const topics = hub.topics();
        if (topics.length > 0) this.host.send({ type: "topics", topics });
        return;
      }
      case "topics":
        for (const { room, text, by, ts } of event.topics) hub.room(room)?.learnTopic({ text, by, ts });
        return;
      case "gone": {
        const restarted = event.reason === "server-restarted";
        const left = this.forget(event.node, restarted ? "server-restarted" : "server-lost");
        this.host.gone(event.node, restarted); // its connections piped here go too, users of its own or not
        if (left === 0) return;
        const what = restarted ? "was restarted" : "stopped answering";
        const by = node === this.host.node ? " (announced from here)" : "";
        this.host.log(`cluster: node ${event.node} ${what}; ${event.names.length} user(s) left with it${by}`);
        return;
      }
      default:
        return unreachable(event);
    }
  }
}
