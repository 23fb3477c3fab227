// What nodes say to each other: one envelope per event-loop turn ({node, boot, seq, events}), and
// each user's record in Redis. Everything read from Redis is checked field by field into these
// types (no `as`): a node of another version, a bug elsewhere or a hand-edited key must not reach
// the hub as something it is not. Also the per-node sequence numbers that tell a lost envelope
// from a repeated one. Pure: no Redis, no clock of its own.

import { parseRoles, type RoomRoles } from "../store/rooms.ts";
import type { RelayEvent } from "../core/bus.ts";
import { isLeaveReason, type FileRef, type LeaveReason, type Quote, type ServerEvent } from "../protocol/events.ts";
import { isObject } from "../protocol/decode.ts";
import { LIMITS } from "../protocol/limits.ts";
import { hasNameShape, hasRoomShape } from "../protocol/names.ts";

/** Something users of another node did, as carried between nodes. */
export type ClusterEvent =
  | RelayEvent
  | { type: "away-state"; name: string; reason: string | null }
  /** `name` logged in to the account with this key (null: it is a guest now, after /unregister). */
  | { type: "account"; name: string; account: string | null }
  | PipeEvent
  /**
   * A private message or an invite for `to`, a user of `node` (only that node applies it); or an
   * edit or delete of a line of their kept conversation with the sender (its `room`: "@" and the sender's name).
   */
  | { type: "pm"; to: string; node: string; event: Extract<ServerEvent, { type: "private" | "invite" | "edit" | "delete" | "typing" }> }
  /**
   * `name`, a user of `node`, was put out (only that node applies it): of the chat by a server
   * admin, or (`room`) of a room by its operator; `message`: by whom and why.
   */
  | { type: "kick"; node: string; name: string; message: string; room?: string; banned?: true }
  /** The server bans changed (kept in Redis): read them again before the next join. */
  | { type: "bans" }
  /** A room's roles changed (owner, operators, mutes, topic lock); `text`: what its members are told. */
  | { type: "roles"; room: string; roles: RoomRoles; text?: string; by?: string; mode?: boolean }
  /** A pm's recipient had left when it arrived: its sender, on `node`, is told. */
  | { type: "undelivered"; node: string; from: string; to: string; invite?: true }
  /** A node's whole list of users, after it (re)joined: the others reconcile their view of it, and answer with their topics. */
  | { type: "roster"; users: RosterEntry[] }
  /** The topics of the rooms a node has users in: for a node that joined after they were set. */
  | { type: "topics"; topics: RoomTopic[] }
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

/** A room's topic, as carried between nodes. */
export interface RoomTopic {
  room: string;
  text: string;
  by: string;
  ts: number;
}

/** A user as its node keeps it in Redis: the name as typed, the away reason, the rooms it is in. */
export interface RosterEntry {
  name: string;
  away?: string;
  /** Absent in records written before rooms: then the default room. */
  rooms?: string[];
  /** The key of the account it logged in to; absent for a guest. */
  account?: string;
  /** Its stay in the chat (Member.visit). */
  visit?: string;
}


/**
 * Generous bounds on what a well-behaved node sends: text is sanitised and bounded where it was
 * typed (a message of several lines by --max-message-bytes, at most 1 MiB).
 */
const MAX_TEXT = 1024 * 1024;

// Names and rooms are checked for their shape (hasNameShape, hasRoomShape), not the full rules:
// the reserved names and look-alikes were checked where they were claimed, not on every line.
const isText = (v: unknown, max = MAX_TEXT): v is string => typeof v === "string" && v.length <= max;
/** A line id as nodes give them (ids.ts: <ms>-<n>, or <ms>-<boot>.<n>); one test, for every line. */
const isMessageId = (v: unknown): v is string => typeof v === "string" && /^[0-9]{1,16}-[\w.]{1,40}$/.test(v);
const isTime = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
/** A member's stay (Member.visit): what a node makes of it. */
const isVisit = (v: unknown): v is string => typeof v === "string" && /^[a-z0-9.]{1,40}$/.test(v);
/** An account's key: a folded name (foldName), so a name's shape. */
const isAccountKey = (v: unknown): v is string => hasNameShape(v);
/** A node id: 1-64 of A-Z a-z 0-9 _ . - (checked when a node starts, and in everything from one). */
export const isNodeId = (v: unknown): v is string => typeof v === "string" && /^[A-Za-z0-9_.-]{1,64}$/.test(v);

/** One user's record, checked; undefined if it is not one. Unknown fields are dropped. */
export function rosterEntry(v: unknown): RosterEntry | undefined {
  if (!isObject(v) || !hasNameShape(v.name)) return undefined;
  const entry: RosterEntry = { name: v.name };
  if (isText(v.away, LIMITS.reasonMaxLength)) entry.away = v.away;
  if (Array.isArray(v.rooms)) entry.rooms = v.rooms.filter(hasRoomShape);
  if (isAccountKey(v.account)) entry.account = v.account;
  if (isVisit(v.visit)) entry.visit = v.visit;
  return entry;
}

/** Users' records as read from Redis (JSON each); broken ones are skipped: their node rewrites them when it next rejoins. */
export function parseRecords(records: unknown): RosterEntry[] {
  const entries: RosterEntry[] = [];
  for (const record of Array.isArray(records) ? records : []) {
    if (typeof record !== "string") continue;
    try {
      const entry = rosterEntry(JSON.parse(record));
      if (entry) entries.push(entry);
    } catch {
      // skipped
    }
  }
  return entries;
}

/** What a line said on another node may carry besides: what it answers (quoted), its IRC client's own tags. */
function extras(v: Record<string, unknown>): { reply?: Quote; tags?: string; file?: FileRef } {
  const r = isObject(v.reply) ? v.reply : undefined;
  const reply: Quote | undefined =
    r && isMessageId(r.id)
      ? { id: r.id, ...(hasNameShape(r.from) ? { from: r.from } : {}), ...(isText(r.text, 200) ? { text: r.text } : {}) }
      : undefined;
  const f = isObject(v.file) ? v.file : undefined;
  const file = f && isText(f.id, 64) && isText(f.name, 400) && typeof f.size === "number" && Number.isFinite(f.size) && isText(f.type, 64) ? { id: f.id, name: f.name, size: f.size, type: f.type } : undefined;
  return { ...(reply ? { reply } : {}), ...(isText(v.tags, 4096) ? { tags: v.tags } : {}), ...(file ? { file } : {}) };
}

/** An edit, a delete or a reaction made on another node, checked field by field. */
function lineChange(v: Record<string, unknown>): Extract<ClusterEvent, { type: "edit" | "delete" | "react" }> | undefined {
  const place = hasRoomShape(v.room) || (typeof v.room === "string" && v.room.startsWith("@") && hasNameShape(v.room.slice(1)));
  if (!isMessageId(v.id) || !place || typeof v.room !== "string" || !hasNameShape(v.of) || !isTime(v.at) || !isTime(v.ts)) return undefined;
  const about = { room: v.room, id: v.id, of: v.of, at: v.at, ts: v.ts };
  if (v.type === "edit") return hasNameShape(v.by) && isText(v.text) ? { type: "edit", ...about, text: v.text, by: v.by } : undefined;
  if (v.type === "delete") {
    if (!hasNameShape(v.by) || (v.reason !== undefined && !isText(v.reason, LIMITS.reasonMaxLength))) return undefined;
    return { type: "delete", ...about, by: v.by, ...(typeof v.reason === "string" ? { reason: v.reason } : {}) };
  }
  return hasNameShape(v.from) && isText(v.emoji, 64) && typeof v.on === "boolean" && typeof v.count === "number" && isText(v.excerpt, 200)
    ? { type: "react", ...about, emoji: v.emoji, from: v.from, on: v.on, count: v.count, excerpt: v.excerpt }
    : undefined;
}

/** One event from another node, checked field by field; undefined if it is not one we know. */
export function clusterEvent(v: unknown): ClusterEvent | undefined {
  if (!isObject(v)) return undefined;
  switch (v.type) {
    case "public":
    case "action":
      {
        if (!isMessageId(v.id) || !hasRoomShape(v.room) || !hasNameShape(v.from) || !isText(v.text) || !isTime(v.ts)) return undefined;
        // Built plain, its rarer fields added when there: every line of every other node comes through here.
        const event: Extract<ClusterEvent, { type: "public" | "action" }> =
          v.type === "action" ? { type: "action", id: v.id, room: v.room, from: v.from, text: v.text, ts: v.ts } : { type: "public", id: v.id, room: v.room, from: v.from, text: v.text, ts: v.ts };
        if (event.type === "public") {
          if (v.notice === true) event.notice = true;
          if (v.only === "operators" || v.only === "voiced") event.only = v.only;
          if (v.bot === true) event.bot = true;
        }
        if (v.reply !== undefined || v.tags !== undefined || v.file !== undefined) Object.assign(event, extras(v));
        return event;
      }
    case "join":
      return hasRoomShape(v.room) && hasNameShape(v.name) && isTime(v.ts)
        ? { type: "join", room: v.room, name: v.name, ...(v.arrived === true ? { arrived: true as const } : {}), ...(isVisit(v.visit) ? { visit: v.visit } : {}), ts: v.ts }
        : undefined;
    case "leave":
      if (!hasRoomShape(v.room) || !hasNameShape(v.name) || !isLeaveReason(v.reason) || !isTime(v.ts)) return undefined;
      if (v.message !== undefined && !isText(v.message, KICK_MESSAGE_MAX)) return undefined;
      return {
        type: "leave",
        room: v.room,
        name: v.name,
        reason: v.reason,
        ...(v.message === undefined ? {} : { message: v.message }),
        ts: v.ts,
      };
    case "quit":
      if (v.message !== undefined && !isText(v.message, KICK_MESSAGE_MAX)) return undefined;
      return hasNameShape(v.name) && isLeaveReason(v.reason) && isTime(v.ts)
        ? { type: "quit", name: v.name, reason: v.reason, ...(v.message === undefined ? {} : { message: v.message }), ts: v.ts }
        : undefined;
    case "kick":
      if (v.room !== undefined && !hasRoomShape(v.room)) return undefined;
      return isNodeId(v.node) && hasNameShape(v.name) && isText(v.message, KICK_MESSAGE_MAX)
        ? {
            type: "kick",
            node: v.node,
            name: v.name,
            message: v.message,
            ...(v.room === undefined ? {} : { room: v.room }),
            ...(v.banned === true ? { banned: true as const } : {}),
          }
        : undefined;
    case "bans":
      return { type: "bans" };
    case "roles": {
      const roles = parseRoles(v.roles);
      if (!hasRoomShape(v.room) || !roles || (v.text !== undefined && !isText(v.text, 400))) return undefined;
      return {
        type: "roles",
        room: v.room,
        roles,
        ...(v.text === undefined ? {} : { text: v.text }),
        ...(hasNameShape(v.by) ? { by: v.by } : {}),
        ...(v.mode === true ? { mode: true } : {}),
      };
    }
    case "rename":
      return hasNameShape(v.from) && hasNameShape(v.to) && isTime(v.ts) ? { type: "rename", from: v.from, to: v.to, ts: v.ts } : undefined;
    case "edit":
    case "delete":
    case "react":
      return hasRoomShape(v.room) ? lineChange(v) : undefined; // a private line's change goes in a "pm", to one node
    case "topic":
      return isMessageId(v.id) && hasRoomShape(v.room) && isText(v.text, LIMITS.topicMaxLength) && hasNameShape(v.by) && isTime(v.ts)
        ? { type: "topic", id: v.id, room: v.room, text: v.text, by: v.by, ts: v.ts }
        : undefined;
    case "account":
      return hasNameShape(v.name) && (v.account === null || isAccountKey(v.account))
        ? { type: "account", name: v.name, account: v.account }
        : undefined;
    case "away-state":
      return hasNameShape(v.name) && (v.reason === null || isText(v.reason, LIMITS.reasonMaxLength))
        ? { type: "away-state", name: v.name, reason: v.reason }
        : undefined;
    case "pm": {
      const e = v.event;
      if (!hasNameShape(v.to) || !isNodeId(v.node) || !isObject(e)) return undefined;
      if (e.type === "typing") {
        const typing = typingEvent(e);
        return typing && typing.room === undefined ? { type: "pm", to: v.to, node: v.node, event: typing } : undefined;
      }
      if (e.type === "edit" || e.type === "delete") {
        const change = lineChange(e);
        return change && change.type !== "react" && change.room.startsWith("@") ? { type: "pm", to: v.to, node: v.node, event: change } : undefined;
      }
      if (!hasNameShape(e.from) || !isTime(e.ts)) return undefined;
      if (e.type === "invite") {
        return hasRoomShape(e.room) ? { type: "pm", to: v.to, node: v.node, event: { type: "invite", from: e.from, room: e.room, ts: e.ts } } : undefined;
      }
      return e.type === "private" && isMessageId(e.id) && isText(e.text)
        ? { type: "pm", to: v.to, node: v.node, event: { type: "private", id: e.id, from: e.from, text: e.text, ts: e.ts, ...(isText(e.tags, 4096) ? { tags: e.tags } : {}) } }
        : undefined;
    }
    case "pipe":
      return pipeEvent(v);
    case "typing": {
      const typing = typingEvent(v);
      return typing && hasRoomShape(typing.room) ? { ...typing, room: typing.room } : undefined;
    }
    case "undelivered":
      return isNodeId(v.node) && hasNameShape(v.from) && hasNameShape(v.to)
        ? { type: "undelivered", node: v.node, from: v.from, to: v.to, ...(v.invite === true ? { invite: true as const } : {}) }
        : undefined;
    case "roster": {
      if (!Array.isArray(v.users)) return undefined;
      const users: RosterEntry[] = [];
      for (const u of v.users) {
        const entry = rosterEntry(u);
        if (entry) users.push(entry);
      }
      return { type: "roster", users };
    }
    case "topics": {
      if (!Array.isArray(v.topics)) return undefined;
      const topics: RoomTopic[] = [];
      for (const t of v.topics) {
        if (isObject(t) && hasRoomShape(t.room) && isText(t.text, LIMITS.topicMaxLength) && hasNameShape(t.by) && isTime(t.ts)) {
          topics.push({ room: t.room, text: t.text, by: t.by, ts: t.ts });
        }
      }
      return { type: "topics", topics };
    }
    case "gone":
      if (!isNodeId(v.node) || !Array.isArray(v.names)) return undefined;
      if (v.reason !== undefined && !isLeaveReason(v.reason)) return undefined;
      return {
        type: "gone",
        node: v.node,
        names: v.names.filter((n): n is string => typeof n === "string"),
        ...(v.reason === undefined ? {} : { reason: v.reason }),
      };
    default:
      return undefined;
  }
}

/**
 * An envelope as published, checked: its header must be right, or it is refused whole (with why);
 * an event in it that is not right is dropped and counted, and the rest applied.
 */
export function parseEnvelope(text: string): { envelope: Envelope; dropped: number } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: `an envelope that is not JSON (${text.length} bytes)` };
  }
  if (!isObject(value) || !isNodeId(value.n) || typeof value.b !== "string" || !Array.isArray(value.e)) {
    return { error: `an envelope without a node, boot and events (${text.length} bytes)` };
  }
  if (typeof value.s !== "number" || !Number.isSafeInteger(value.s) || value.s < 0) {
    return { error: `an envelope from ${value.n} without a sequence number` };
  }
  const events: ClusterEvent[] = [];
  for (const e of value.e) {
    const event = clusterEvent(e);
    if (event) events.push(event);
  }
  return { envelope: { n: value.n, b: value.b, s: value.s, e: events }, dropped: value.e.length - events.length };
}

/** What an envelope's sequence number says: next in line, already seen, or after a gap. */
export type SequenceVerdict = { kind: "next" } | { kind: "repeated" } | { kind: "gap"; missed: number };

/**
 * The last envelope seen from each node (its boot and number), and when the node was last heard of.
 * A new boot starts a new sequence; a number at or below the last is a repeat; above last + 1, a gap.
 */
export class Sequences {
  private readonly nodes = new Map<string, { boot: string; seq: number; at: number }>();

  /** Judges an envelope's number and, unless it is a repeat, records it. */
  see(node: string, boot: string, seq: number, now: number): SequenceVerdict {
    const last = this.nodes.get(node);
    let verdict: SequenceVerdict = { kind: "next" };
    if (last && last.boot === boot) {
      if (seq <= last.seq) return { kind: "repeated" };
      if (seq > last.seq + 1) verdict = { kind: "gap", missed: seq - last.seq - 1 };
    }
    this.nodes.set(node, { boot, seq, at: now });
    return verdict;
  }

  /** Heard of `node` now (a snapshot, a heartbeat list) without an envelope. */
  touch(node: string, now: number): void {
    const last = this.nodes.get(node);
    if (last) last.at = now;
    else this.nodes.set(node, { boot: "", seq: 0, at: now });
  }

  /** When `node` was last heard of; undefined if never. */
  heardAt(node: string): number | undefined {
    return this.nodes.get(node)?.at;
  }

  forget(node: string): void {
    this.nodes.delete(node);
  }

  /** After a catch-up from Redis: every node's next envelope starts its sequence afresh. */
  restart(): void {
    for (const last of this.nodes.values()) last.boot = "";
  }
}

// What the Lua scripts (scripts.ts) answer, read as carefully as envelopes: a Redis that is not
// ours, or a script of another version, must fail loudly, not hand the hub nonsense.

/** Thrown when Redis answers a script in a shape it never returns. */
export class ReplyError extends Error {}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");

/** The other nodes and their users' records: [[node, [record, …]], …]. */
export function snapshotReply(v: unknown): [string, string[]][] {
  if (!Array.isArray(v)) throw new ReplyError("a snapshot that is not a list");
  return v.map((entry) => {
    if (!Array.isArray(entry) || typeof entry[0] !== "string" || !isStrings(entry[1] ?? [])) {
      throw new ReplyError("a snapshot entry that is not [node, records]");
    }
    return [entry[0], entry[1] ?? []];
  });
}

/** The heartbeat's answer: whether it was still ours, names lost, dead nodes to bury, live nodes. */
export function beatReply(v: unknown): { ours: boolean; lost: string[]; dead: [string, string[]][]; live: string[] } {
  if (!Array.isArray(v) || typeof v[0] !== "number") throw new ReplyError("a heartbeat answer that is not [ours, …]");
  const [ours, lost = [], dead = [], live = []] = v;
  if (!isStrings(lost) || !isStrings(live)) throw new ReplyError("a heartbeat answer with names that are not text");
  return { ours: ours === 1, lost, dead: snapshotReply(dead), live };
}

/** The rejoin's answer: busy (a survivor is still announcing us dead), or names lost and a snapshot. */
export function rejoinReply(v: unknown): { busy: true } | { busy: false; lost: string[]; snapshot: [string, string[]][] } {
  if (Array.isArray(v) && v[0] === "busy") return { busy: true };
  if (!Array.isArray(v) || v[0] !== "ok" || !isStrings(v[1] ?? [])) throw new ReplyError("a rejoin answer that is not ok or busy");
  return { busy: false, lost: v[1] ?? [], snapshot: snapshotReply(v[2] ?? []) };
}

/** TIME's answer: Redis's clock in ms. */
export function timeReply(v: unknown): number {
  if (!isStrings(v) || v.length < 2) throw new ReplyError("a TIME answer that is not [seconds, microseconds]");
  return Number(v[0]) * 1000 + Math.floor(Number(v[1]) / 1000);
}

/** "by Ana: " and a reason: a name and the longest reason. */
const KICK_MESSAGE_MAX = LIMITS.reasonMaxLength + LIMITS.nameMaxLength + 8;

/** Whether `event` goes to one user of another node in a "pm": a private message, an invite, a change to a line of a kept conversation. */
export function carriedPrivately(event: ServerEvent): event is Extract<ClusterEvent, { type: "pm" }>["event"] {
  return event.type === "private" || event.type === "invite" || (event.type === "typing" && event.room === undefined) || ((event.type === "edit" || event.type === "delete") && event.room.startsWith("@"));
}

/**
 * A connection to node `from` that is a device of a registered user of `node` (doors/pipes.ts):
 * `open` (its mode, door and address, and the name it chose, or the page's `/resume <token>`: that
 * node asks its password, or signs the session in, and runs it as another device of the user), a `line` it typed, bytes `out` to it (text), `close`. Only
 * `node` applies it; `pipe` names it on `from`.
 */
export interface PipeEvent {
  type: "pipe";
  node: string;
  from: string;
  pipe: string;
  op: "open" | "line" | "out" | "close";
  text?: string;
  mode?: "text" | "json";
  door?: "tcp" | "web";
  address?: string;
}

/** What one pipe event's text holds at most: a line a client may send, or bytes one answer may be (a history's 256 KiB, escaped). */
const PIPE_TEXT_MAX = 1024 * 1024;

function pipeEvent(v: Record<string, unknown>): PipeEvent | undefined {
  if (!isNodeId(v.node) || !isNodeId(v.from) || typeof v.pipe !== "string" || !/^[A-Za-z0-9]{1,32}$/.test(v.pipe)) return undefined;
  const base = { type: "pipe" as const, node: v.node, from: v.from, pipe: v.pipe };
  switch (v.op) {
    case "open":
      // `text`: the name chosen, or the page's "/resume <token>".
      return (v.mode === "text" || v.mode === "json") && (v.door === "tcp" || v.door === "web") && isText(v.address, 64) && isText(v.text, 200)
        ? { ...base, op: "open", mode: v.mode, door: v.door, address: v.address, text: v.text }
        : undefined;
    case "line":
    case "out":
      return isText(v.text, PIPE_TEXT_MAX) ? { ...base, op: v.op, text: v.text } : undefined;
    case "close":
      return { ...base, op: "close" };
    default:
      return undefined;
  }
}

/** Someone typing, checked field by field (in a room, or to one person). */
function typingEvent(v: Record<string, unknown>): Extract<ServerEvent, { type: "typing" }> | undefined {
  if (!isMessageId(v.id) || !hasNameShape(v.from) || (v.state !== "active" && v.state !== "paused" && v.state !== "done") || !isTime(v.ts)) return undefined;
  if (v.room !== undefined && !hasRoomShape(v.room)) return undefined;
  return { type: "typing", id: v.id, from: v.from, state: v.state, ts: v.ts, ...(typeof v.room === "string" ? { room: v.room } : {}) };
}
