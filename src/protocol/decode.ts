// A structured client reading the server: each JSON line is checked field by field into a typed
// event (no cast). A line that is not an event this version knows (a type, or a reason or error
// code it has no word for) is skipped, as PROTOCOL.md asks of clients; fields it does not know are
// dropped. The server and the bundled client ship together, and the hello's protocol number
// guards against a server that speaks another version.

import { type Door, type ErrorCode, type FileRef, type Unread, type EventType, isLeaveReason, type LineState, messageIdOf, type Quote, type Reaction, type HistoryLine, type LeaveReason, type RoomInfo, type Only, type RoomSettings, type ServerEvent, type Topic } from "./events.ts";

export type Fields = Record<string, unknown>;
type Decoder = (v: Fields) => ServerEvent | undefined;

/** Done from another connection of the same user (another device): `elsewhere`, if it says so. */
const elsewhereOf = (v: Fields): { elsewhere?: true } => (v.elsewhere === true ? { elsewhere: true } : {});

const ERROR_CODES: Record<ErrorCode, true> = {
  "name-invalid": true,
  "name-taken": true,
  "not-registered": true,
  "line-too-long": true,
  "bad-encoding": true,
  "no-newline": true,
  "unfinished-line": true,
  "wrong-protocol": true,
  "slow-down": true,
  "excess-flood": true,
  "too-many-attempts": true,
  "too-many-devices": true,
  "session-expired": true,
  "bad-password": true,
  "ping-timeout": true,
  "too-slow": true,
  "unknown-command": true,
  "bad-usage": true,
  "unknown-user": true,
  unreachable: true,
  "bad-hello": true,
  "room-invalid": true,
  "not-in-room": true,
  "already-in-room": true,
  "too-many-rooms": true,
  "topic-too-long": true,
  "no-history": true,
  "login-failed": true,
  "name-registered": true,
  "no-accounts": true,
  "server-busy": true,
  "not-allowed": true,
  "unknown-line": true,
  "invite-only": true,
  "bad-key": true,
  "room-full": true,
  "banned-from-room": true,
  kicked: true,
  banned: true,
  "registration-timeout": true,
  "server-full": true,
  "too-many-connections": true,
  "connecting-too-fast": true,
};

/** JSON text as a value to check, or undefined if it does not parse. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const isObject = (v: unknown): v is Fields => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): v is string => typeof v === "string";
const num = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every(str);
const isCode = (v: unknown): v is ErrorCode => str(v) && Object.hasOwn(ERROR_CODES, v);

/** An optional field: absent, or of its kind (then kept). */
const maybe = <T>(v: unknown, is: (v: unknown) => v is T, key: string): Record<string, T> | undefined =>
  v === undefined ? {} : is(v) ? { [key]: v } : undefined;

function topic(v: unknown): Topic | undefined {
  return isObject(v) && str(v.text) && str(v.by) && num(v.ts) ? { text: v.text, by: v.by, ts: v.ts } : undefined;
}

function away(v: unknown): Record<string, string> | undefined {
  if (!isObject(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [name, reason] of Object.entries(v)) if (str(reason)) out[name] = reason;
  return out;
}

/** A room's settings: the switches and values this version knows (others dropped). */
function settings(v: unknown): RoomSettings | undefined {
  if (!isObject(v)) return undefined;
  return {
    ...(v.inviteOnly === true ? { inviteOnly: true as const } : {}),
    ...(v.secret === true ? { secret: true as const } : {}),
    ...(v.keyed === true ? { keyed: true as const } : {}),
    ...(str(v.key) ? { key: v.key } : {}),
    ...(num(v.limit) ? { limit: v.limit } : {}),
    ...(v.moderated === true ? { moderated: true as const } : {}),
    ...(v.topicLocked === true ? { topicLocked: true as const } : {}),
    ...(v.external === true ? { external: true as const } : {}),
  };
}

/** The list part of welcome, users and room events: names, away reasons, counts. */
function list(v: Fields): { users: string[]; away?: Record<string, string>; count?: number; awayCount?: number } | undefined {
  if (!strings(v.users)) return undefined;
  const a = v.away === undefined ? undefined : away(v.away);
  if (v.away !== undefined && a === undefined) return undefined;
  if ((v.count !== undefined && !num(v.count)) || (v.awayCount !== undefined && !num(v.awayCount))) return undefined;
  return {
    users: v.users,
    ...(a ? { away: a } : {}),
    ...(num(v.count) ? { count: v.count } : {}),
    ...(num(v.awayCount) ? { awayCount: v.awayCount } : {}),
  };
}

/** A list of reactions ([{emoji, names}]): those that read as one are kept. */
function reactions(v: unknown): Reaction[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return v.filter((r): r is Reaction => isObject(r) && str(r.emoji) && strings(r.names));
}

/** What a room line carries besides (LineState): what it answers, when edited, its reactions; those that do not read as such are dropped. */
function lineState(v: Fields): LineState {
  const r = isObject(v.reply) ? v.reply : undefined;
  const replyId = r ? messageIdOf(r.id) : undefined;
  const reply: Quote | undefined = r && replyId !== undefined ? { id: replyId, ...(str(r.from) ? { from: r.from } : {}), ...(str(r.text) ? { text: r.text } : {}) } : undefined;
  const rs = reactions(v.reactions);
  const f = isObject(v.file) ? v.file : undefined;
  const file: FileRef | undefined = f && str(f.id) && str(f.name) && num(f.size) && str(f.type) ? { id: f.id, name: f.name, size: f.size, type: f.type } : undefined;
  return { ...(reply ? { reply } : {}), ...(num(v.edited) ? { edited: v.edited } : {}), ...(rs && rs.length > 0 ? { reactions: rs } : {}), ...(file ? { file } : {}) };
}

/** The line an edit, a delete or a reaction is about: its room and id, who said it and when. */
const about = (v: Fields) => {
  const id = messageIdOf(v.id);
  return id !== undefined && str(v.room) && str(v.of) && num(v.at) ? { room: v.room, id, of: v.of, at: v.at } : undefined;
};

/** A line said in a room, or to one person: who, what, when. */
const said = (v: Fields) => {
  const id = messageIdOf(v.id);
  return id !== undefined && str(v.from) && str(v.text) && num(v.ts) ? { id, from: v.from, text: v.text, ts: v.ts } : undefined;
};

// One decoder per event type: a Record, so a type without one does not compile.
const DECODERS: Record<EventType, Decoder> = {
  hello: (v) =>
    str(v.server) &&
    num(v.proto) &&
    num(v.maxLineBytes) &&
    num(v.nameMaxLength) &&
    num(v.burstLines) &&
    num(v.linesPerSecond) &&
    typeof v.password === "boolean"
      ? {
          type: "hello",
          server: v.server,
          proto: v.proto,
          maxLineBytes: v.maxLineBytes,
          ...(num(v.maxMessageBytes) && num(v.maxMessageLines) ? { maxMessageBytes: v.maxMessageBytes, maxMessageLines: v.maxMessageLines } : {}),
          nameMaxLength: v.nameMaxLength,
          burstLines: v.burstLines,
          linesPerSecond: v.linesPerSecond,
          password: v.password,
        }
      : undefined,
  "ask-password": () => ({ type: "ask-password" }),
  "ask-name": () => ({ type: "ask-name" }),
  "ask-login": (v) => {
    const unencrypted = maybe(v.unencrypted, (x): x is boolean => typeof x === "boolean", "unencrypted");
    return str(v.name) && unencrypted ? { type: "ask-login", name: v.name, ...unencrypted } : undefined;
  },
  welcome: (v) => {
    const l = list(v);
    const t = v.topic === undefined ? undefined : topic(v.topic);
    if (!l || !str(v.name) || !str(v.room) || !strings(v.rooms) || (v.topic !== undefined && !t)) return undefined;
    return { type: "welcome", name: v.name, room: v.room, rooms: v.rooms, ...(t ? { topic: t } : {}), ...l };
  },
  public: (v) => {
    const s = said(v);
    const notice = v.notice === true ? { notice: true as const } : {};
    const bot = v.bot === true ? { bot: true as const } : {};
    const o = v.only;
    const only: { only?: Only } = o === "operators" || o === "voiced" ? { only: o } : {};
    return s && str(v.room) ? { type: "public", room: v.room, ...s, ...notice, ...bot, ...only, ...lineState(v) } : undefined;
  },
  action: (v) => {
    const s = said(v);
    return s && str(v.room) ? { type: "action", room: v.room, ...s, ...lineState(v) } : undefined;
  },
  edit: (v) => {
    const a = about(v);
    return a && str(v.text) && str(v.by) && num(v.ts) ? { type: "edit", ...a, text: v.text, by: v.by, ts: v.ts } : undefined;
  },
  delete: (v) => {
    const a = about(v);
    const reason = maybe(v.reason, str, "reason");
    return a && reason && str(v.by) && num(v.ts) ? { type: "delete", ...a, by: v.by, ...reason, ts: v.ts } : undefined;
  },
  react: (v) => {
    const a = about(v);
    return a && str(v.emoji) && str(v.from) && typeof v.on === "boolean" && num(v.count) && str(v.excerpt) && num(v.ts)
      ? { type: "react", ...a, emoji: v.emoji, from: v.from, on: v.on, count: v.count, excerpt: v.excerpt, ts: v.ts }
      : undefined;
  },
  tagmsg: (v) => {
    const id = messageIdOf(v.id);
    const room = maybe(v.room, str, "room");
    const to = maybe(v.to, str, "to");
    return id !== undefined && room && to && str(v.from) && str(v.tags) && num(v.ts) ? { type: "tagmsg", id, ...room, ...to, from: v.from, tags: v.tags, ts: v.ts } : undefined;
  },
  reactions: (v) => {
    const a = about(v);
    const rs = reactions(v.reactions);
    return a && rs && str(v.excerpt) ? { type: "reactions", ...a, excerpt: v.excerpt, reactions: rs } : undefined;
  },
  private: (v) => {
    const s = said(v);
    return s ? { type: "private", ...s, ...lineState(v) } : undefined;
  },
  typing: (v) => {
    const room = maybe(v.room, str, "room");
    const id = messageIdOf(v.id);
    return id !== undefined && str(v.from) && (v.state === "active" || v.state === "paused" || v.state === "done") && num(v.ts) && room ? { type: "typing", id, from: v.from, state: v.state, ts: v.ts, ...room } : undefined;
  },
  invite: (v) => (str(v.from) && str(v.room) && num(v.ts) ? { type: "invite", from: v.from, room: v.room, ts: v.ts } : undefined),
  "invite-sent": (v) => (str(v.to) && str(v.room) ? { type: "invite-sent", to: v.to, room: v.room } : undefined),
  "private-sent": (v) =>
    messageIdOf(v.id) !== undefined && str(v.to) && str(v.text) && num(v.ts) ? { type: "private-sent", id: messageIdOf(v.id)!, to: v.to, text: v.text, ts: v.ts, ...elsewhereOf(v), ...lineState(v) } : undefined,
  join: (v) =>
    str(v.room) && str(v.name) && num(v.ts)
      ? { type: "join", room: v.room, name: v.name, ...(v.arrived === true ? { arrived: true as const } : {}), ts: v.ts }
      : undefined,
  leave: (v) => {
    const message = maybe(v.message, str, "message");
    if (!str(v.room) || !str(v.name) || !isLeaveReason(v.reason) || !num(v.ts) || !message) return undefined;
    return { type: "leave", room: v.room, name: v.name, reason: v.reason, ...message, ts: v.ts };
  },
  joins: (v) =>
    str(v.room) && strings(v.names) && num(v.count) && num(v.ts)
      ? { type: "joins", room: v.room, names: v.names, count: v.count, ...(v.arrived === true ? { arrived: true as const } : {}), ts: v.ts }
      : undefined,
  leaves: (v) => {
    if (!str(v.room) || !Array.isArray(v.users) || !num(v.count) || !num(v.ts)) return undefined;
    const users: { name: string; reason: LeaveReason; message?: string }[] = [];
    for (const u of v.users) {
      const message = isObject(u) ? maybe(u.message, str, "message") : undefined;
      if (!isObject(u) || !str(u.name) || !isLeaveReason(u.reason) || !message) return undefined;
      users.push({ name: u.name, reason: u.reason, ...message });
    }
    return { type: "leaves", room: v.room, users, count: v.count, ts: v.ts };
  },
  users: (v) => {
    const l = list(v);
    const room = maybe(v.room, str, "room");
    const prefix = maybe(v.prefix, str, "prefix");
    if (!l || !num(v.count) || !room || !prefix) return undefined;
    return { type: "users", ...room, ...l, count: v.count, ...prefix };
  },
  room: (v) => {
    const l = list(v);
    const t = v.topic === undefined ? undefined : topic(v.topic);
    const s = v.settings === undefined ? undefined : settings(v.settings);
    if (!l || !str(v.room) || typeof v.joined !== "boolean" || !num(v.count) || (v.topic !== undefined && !t) || (v.settings !== undefined && !s)) {
      return undefined;
    }
    return { type: "room", room: v.room, joined: v.joined, ...l, count: v.count, ...(t ? { topic: t } : {}), ...(s ? { settings: s } : {}), ...elsewhereOf(v) };
  },
  settings: (v) => {
    const s = settings(v.settings);
    return str(v.room) && s ? { type: "settings", room: v.room, settings: s } : undefined;
  },
  parted: (v) => {
    const current = maybe(v.current, str, "current");
    const kicked = maybe(v.kicked, str, "kicked");
    return str(v.room) && current && kicked ? { type: "parted", room: v.room, ...current, ...kicked, ...elsewhereOf(v) } : undefined;
  },
  topic: (v) =>
    messageIdOf(v.id) !== undefined && str(v.room) && str(v.text) && str(v.by) && num(v.ts)
      ? { type: "topic", id: messageIdOf(v.id)!, room: v.room, text: v.text, by: v.by, ts: v.ts }
      : undefined,
  "topic-is": (v) => {
    const t = v.topic === undefined ? undefined : topic(v.topic);
    if (!str(v.room) || (v.topic !== undefined && !t)) return undefined;
    return { type: "topic-is", room: v.room, ...(t ? { topic: t } : {}) };
  },
  rooms: (v) => {
    if (!Array.isArray(v.rooms) || !num(v.count)) return undefined;
    const prefix = maybe(v.prefix, str, "prefix");
    const rooms: RoomInfo[] = [];
    for (const r of v.rooms) {
      const s = r === null || !isObject(r) || r.settings === undefined ? undefined : settings(r.settings);
      if (!isObject(r) || !str(r.name) || !num(r.count) || (r.topic !== undefined && !str(r.topic)) || (r.settings !== undefined && !s)) return undefined;
      const unread = isObject(r.unread) && num(r.unread.count) && num(r.unread.mentions) ? { count: r.unread.count, mentions: r.unread.mentions, ...(r.unread.more === true ? { more: true as const } : {}) } : undefined;
      rooms.push({ name: r.name, count: r.count, ...(str(r.topic) ? { topic: r.topic } : {}), ...(s ? { settings: s } : {}), ...(unread ? { unread } : {}) });
    }
    return prefix ? { type: "rooms", rooms, count: v.count, ...prefix } : undefined;
  },
  history: (v) => {
    const events = keptEvents(v.events);
    if (!str(v.room) || (v.why !== "join" && v.why !== "request") || !events || typeof v.more !== "boolean" || !num(v.ts)) {
      return undefined;
    }
    const after = messageIdOf(v.after);
    return { type: "history", room: v.room, why: v.why, events, more: v.more, ts: v.ts, ...(num(v.since) ? { since: v.since } : {}), ...(after !== undefined ? { after } : {}) };
  },
  search: (v) => {
    const events = keptEvents(v.events);
    return str(v.query) && events && num(v.ts) ? { type: "search", query: v.query, events, ts: v.ts } : undefined;
  },
  whois: (v) => {
    if (!str(v.name) || typeof v.online !== "boolean" || typeof v.registered !== "boolean") return undefined;
    const since = maybe(v.since, num, "since");
    const idle = maybe(v.idle, num, "idle");
    const away = maybe(v.away, str, "away");
    const rooms = maybe(v.rooms, strings, "rooms");
    const elsewhere = maybe(v.elsewhere, (x): x is boolean => typeof x === "boolean", "elsewhere");
    const admin = maybe(v.admin, (x): x is boolean => typeof x === "boolean", "admin");
    const operator = maybe(v.operator, strings, "operator");
    if (!since || !idle || !away || !rooms || !elsewhere || !admin || !operator) return undefined;
    const roomSettings: Record<string, RoomSettings> = {};
    if (isObject(v.settings)) for (const [room, s] of Object.entries(v.settings)) {
      const known = settings(s);
      if (known) roomSettings[room] = known;
    }
    return {
      type: "whois",
      name: v.name,
      online: v.online,
      registered: v.registered,
      ...since,
      ...idle,
      ...away,
      ...rooms,
      ...elsewhere,
      ...(Array.isArray(v.doors) ? { doors: v.doors.filter((d): d is Door => d === "tcp" || d === "irc" || d === "web") } : {}),
      ...admin,
      ...operator,
      ...(Object.keys(roomSettings).length > 0 ? { settings: roomSettings } : {}),
    };
  },
  marker: (v) => (str(v.target) && (v.at === null || num(v.at)) ? { type: "marker", target: v.target, at: v.at, ...elsewhereOf(v) } : undefined),
  markers: (v) => {
    if (!isObject(v.markers)) return undefined;
    const markers: Record<string, number> = {};
    for (const [target, at] of Object.entries(v.markers)) if (num(at)) markers[target] = at;
    const unread: Record<string, Unread> = {};
    if (isObject(v.unread)) {
      for (const [room, u] of Object.entries(v.unread)) {
        if (isObject(u) && num(u.count) && num(u.mentions)) unread[room] = { count: u.count, mentions: u.mentions, ...(u.more === true ? { more: true as const } : {}) };
      }
    }
    return { type: "markers", markers, ...(Object.keys(unread).length > 0 ? { unread } : {}) };
  },
  session: (v) => (str(v.id) && str(v.token) && num(v.expires) ? { type: "session", id: v.id, token: v.token, expires: v.expires } : undefined),
  sessions: (v) => {
    if (!Array.isArray(v.sessions)) return undefined;
    const sessions: { id: string; created: number; used: number; expires: number; current?: true }[] = [];
    for (const s of v.sessions) {
      if (!isObject(s) || !str(s.id) || !num(s.created) || !num(s.used) || !num(s.expires)) return undefined;
      sessions.push({ id: s.id, created: s.created, used: s.used, expires: s.expires, ...(s.current === true ? { current: true as const } : {}) });
    }
    return { type: "sessions", sessions };
  },
  rename: (v) => (str(v.from) && str(v.to) && num(v.ts) ? { type: "rename", from: v.from, to: v.to, ts: v.ts } : undefined),
  away: (v) => (v.reason === null || str(v.reason) ? { type: "away", reason: v.reason } : undefined),
  "away-notice": (v) => (str(v.name) && str(v.reason) ? { type: "away-notice", name: v.name, reason: v.reason } : undefined),
  help: (v) => {
    const command = maybe(v.command, str, "command");
    return command ? { type: "help", ...command } : undefined;
  },
  notice: (v) => (str(v.text) && num(v.ts) ? { type: "notice", text: v.text, ts: v.ts } : undefined),
  pong: (v) => (str(v.token) ? { type: "pong", token: v.token } : undefined),
  ping: () => ({ type: "ping" }),
  error: (v) => (isCode(v.code) && str(v.message) ? { type: "error", code: v.code, message: v.message } : undefined),
  bye: (v) => (str(v.name) ? { type: "bye", name: v.name } : undefined),
  shutdown: () => ({ type: "shutdown" }),
  upload: (v) =>
    str(v.room) && str(v.path) && str(v.token) && num(v.port) && typeof v.tls === "boolean" && num(v.maxBytes) && num(v.until) && num(v.ts)
      ? { type: "upload", room: v.room, path: v.path, token: v.token, port: v.port, tls: v.tls, ...(str(v.host) ? { host: v.host } : {}), maxBytes: v.maxBytes, until: v.until, ts: v.ts }
      : undefined,
  "file-key": (v) => (str(v.key) && num(v.port) && typeof v.tls === "boolean" && num(v.until) ? { type: "file-key", key: v.key, port: v.port, tls: v.tls, until: v.until } : undefined),
};

/** Lines from history: each a public line, an action, a topic or a private line, whole; one that is not fails them all. */
function keptEvents(v: unknown): HistoryLine[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: HistoryLine[] = [];
  for (const item of v) {
    if (!isObject(item)) return undefined;
    const type = item.type;
    const event = type === "public" || type === "action" || type === "topic" || type === "private" || type === "private-sent" ? DECODERS[type](item) : undefined;
    if (!event || (event.type !== "public" && event.type !== "action" && event.type !== "topic" && event.type !== "private" && event.type !== "private-sent")) return undefined;
    out.push(event);
  }
  return out;
}

const isEventType = (type: string): type is EventType => Object.hasOwn(DECODERS, type);

/** Reads one JSON line from the server; undefined for anything that is not a known, well-formed event. */
export function decodeEvent(line: string): ServerEvent | undefined {
  const value = parseJson(line);
  if (!isObject(value) || !str(value.type) || !isEventType(value.type)) return undefined;
  return DECODERS[value.type](value);
}
