// History in Redis, for a cluster: one stream per room (bunchat:history:<room>, trimmed with
// MAXLEN ~ as lines are added) and the topics in one hash, so that every node replays the same
// lines, those said on other nodes and while it was down included. A node writes only the lines
// said on it, in the script that publishes its turn (src/cluster/scripts.ts): a line that reached
// anyone on another node is in its room's stream.
//
// Redis has no full-text index here (no RediSearch in Debian's redis-server), so /search reads the
// newest SEARCH_SCAN lines of each of the user's rooms and matches their words itself: bounded,
// and said so in the README.

import { type MessageId, type Reaction, type Topic } from "../../protocol/events.ts";
import { isObject, parseJson } from "../../protocol/decode.ts";
import { type Clock, every, SYSTEM_CLOCK } from "../../net/clock.ts";
import { historyKey, reactionsKey, talksKey, TOPICS } from "./keys.ts";
import {
  compareCursors,
  type Conversation,
  conversationKey,
  CONVERSATIONS_KEPT,
  type Cursor,
  type HistoryCounts,
  type HistoryStore,
  type Kept,
  lineMatches,
  type Retention,
  SEARCH_RESULTS,
  type SearchQuery,
  stateFields,
  stateOf,
  type StoredLine,
  storedEvent,
  storedType,
} from "../history.ts";

/** What the store needs from the cluster node it belongs to. */
export interface HistoryLink {
  /** The next line id this node gives (src/cluster/ids.ts). */
  nextId(): string;
  /** Whether a script with lines to keep was handed to Redis's client since last asked. */
  sentLines(): boolean;
  /** Adds a change to this turn's script: hist (a line for room's stream: its id, a space, the line) or topic ('' clears it). */
  write(op: "hist" | "topic" | "talk", room: string, value: string): void;
  /** What its writes came to (lines written by turn scripts, and lost with failed ones). */
  readonly historyWrites: HistoryCounts;
  /** Runs a command on the node's command connection; rejects while Redis can't be reached. */
  command(name: string, args: string[]): Promise<unknown>;
  /** Lines kept per room's stream. */
  historyLines: number;
}

/** Lines of each room /search reads at most. */
export const SEARCH_SCAN = 2000;
const TRIM_EVERY_MS = 60_000;


export class RedisHistory implements HistoryStore {
  readonly where = "Redis";
  /** Rooms written to since the last trim by age. */
  private readonly written = new Set<string>();
  private readonly trimTimer: { cancel(): void } | undefined;

  constructor(
    private readonly link: HistoryLink,
    private readonly retention: Retention,
    private readonly clock: Clock = SYSTEM_CLOCK,
  ) {
    link.historyLines = retention.linesPerRoom;
    if (retention.days > 0) this.trimTimer = every(clock, TRIM_EVERY_MS, () => this.trimByAge());
  }

  get writes(): HistoryCounts {
    return this.link.historyWrites;
  }

  nextId(): string {
    return this.link.nextId();
  }

  keep(event: StoredLine): void {
    const { type, room, text, ts } = event;
    const from = type === "topic" ? event.by : event.from;
    this.link.write("hist", room, `${event.id} ${storedValue(event)}`);
    if (type === "topic") this.link.write("topic", room, text === "" ? "" : JSON.stringify({ text, by: from, ts }));
    if (type === "private") this.link.write("talk", room, String(ts));
    if (this.retention.days > 0) this.written.add(room);
  }

  /**
   * The cluster's turn script writes what was kept, before it publishes them to the other nodes;
   * Bun's client puts it on the wire at the next turn of the event loop, so a turn that kept lines
   * has its bytes wait for that (a kill -9 meanwhile would have shown users here lines Redis never got).
   */
  commit(): boolean {
    return this.link.sentLines();
  }

  /** The cluster's turn script writes what was kept. */
  flush(): void {}

  async recent(room: string, count: number): Promise<Kept[]> {
    if (count <= 0) return [];
    return this.withReactions(room, entries(room, await this.link.command("XREVRANGE", [historyKey(room), "+", "-", "COUNT", String(count)])).reverse());
  }

  async before(room: string, count: number, before: Cursor): Promise<Kept[]> {
    if (count <= 0) return [];
    const reply = await this.link.command("XREVRANGE", [historyKey(room), `(${before}`, "-", "COUNT", String(count)]);
    return this.withReactions(room, entries(room, reply).reverse());
  }

  async after(room: string, count: number, after: Cursor): Promise<Kept[]> {
    if (count <= 0) return [];
    const reply = await this.link.command("XRANGE", [historyKey(room), `(${after}`, "+", "COUNT", String(count)]);
    return this.withReactions(room, entries(room, reply));
  }

  /**
   * A stream's ids are the lines' own (<ms>-<n>, from the clock they were said by), or just after
   * them: the first entries from a little before `ts` on are looked through for the first said at
   * `ts` or later (a bounded number of pages).
   */
  async at(room: string, ts: number): Promise<Kept | undefined> {
    let from = `${Math.max(0, ts - AT_SLACK_MS)}`;
    for (let page = 0; page < AT_PAGES; page++) {
      const found = entries(room, await this.link.command("XRANGE", [historyKey(room), from, "+", "COUNT", String(AT_PAGE)]));
      const line = found.find((k) => k.event.ts >= ts);
      if (line) return (await this.withReactions(room, [line]))[0];
      if (found.length < AT_PAGE) return undefined;
      from = `(${found[found.length - 1]!.id}`;
    }
    return undefined;
  }

  async find(room: string, id: MessageId): Promise<Kept | undefined> {
    const found = await this.entryOf(room, id);
    return found && (await this.withReactions(room, [found]))[0];
  }

  async edit(room: string, id: MessageId, text: string, ts: number): Promise<Kept | undefined> {
    const found = await this.entryOf(room, id);
    if (!found || found.event.type === "topic") return found;
    const event = { ...found.event, text, edited: ts };
    await this.link.command("EVAL", [SCRIPT_REWRITE, "1", historyKey(room), String(found.id), storedValue(event)]);
    return (await this.withReactions(room, [{ id: found.id, event }]))[0];
  }

  async remove(room: string, id: MessageId): Promise<Kept | undefined> {
    const found = await this.entryOf(room, id);
    if (!found) return undefined;
    const [gone] = await this.withReactions(room, [found]);
    await this.link.command("EVAL", [SCRIPT_REWRITE, "2", historyKey(room), reactionsKey(room), String(found.id), "", String(found.event.id)]);
    return gone;
  }

  async react(room: string, id: MessageId, name: string, emoji: string, on: boolean): Promise<Kept | undefined> {
    const found = await this.entryOf(room, id);
    if (!found || found.event.type === "topic") return undefined;
    const reply = await this.link.command("EVAL", [SCRIPT_REACT, "1", reactionsKey(room), String(found.event.id), name, emoji, on ? "1" : "0"]);
    const reactions = typeof reply === "string" ? reactionsOf(parseJson(reply)) : [];
    const { reactions: _, ...event } = found.event;
    return { id: found.id, event: reactions.length > 0 ? { ...event, reactions } : event };
  }

  /**
   * Line `id` of `room` as its stream holds it: under its own id, or (said on two nodes in one
   * millisecond) just after it with its id in field "i" (a few entries on, at most SCAN_AFTER).
   */
  private async entryOf(room: string, id: MessageId): Promise<Kept | undefined> {
    if (typeof id !== "string") return undefined;
    const own = entries(room, await this.link.command("XRANGE", [historyKey(room), id, id]));
    if (own[0]) return own[0];
    const after = entries(room, await this.link.command("XRANGE", [historyKey(room), `(${id}`, "+", "COUNT", String(SCAN_AFTER)]));
    return after.find((k) => k.event.id === id);
  }

  /** `lines` of `room` with their reactions (one HMGET for all of them). */
  private async withReactions(room: string, lines: Kept[]): Promise<Kept[]> {
    const said = lines.filter((l) => l.event.type !== "topic");
    if (said.length === 0) return lines;
    const reply = await this.link.command("HMGET", [reactionsKey(room), ...said.map((l) => String(l.event.id))]);
    if (!Array.isArray(reply) || reply.every((r) => r === null)) return lines;
    const byId = new Map<MessageId, Reaction[]>();
    said.forEach((l, i) => {
      const value = reply[i];
      const reactions = typeof value === "string" ? reactionsOf(parseJson(value)) : [];
      if (reactions.length > 0) byId.set(l.event.id, reactions);
    });
    return lines.map((l) => {
      const reactions = byId.get(l.event.id);
      return reactions && l.event.type !== "topic" ? { id: l.id, event: { ...l.event, reactions } } : l;
    });
  }

  async topic(room: string): Promise<Topic | undefined> {
    const value = await this.link.command("HGET", [TOPICS, room]);
    const parsed = typeof value === "string" ? parseJson(value) : undefined;
    if (!isObject(parsed)) return undefined;
    const { text, by, ts } = parsed;
    return typeof text === "string" && typeof by === "string" && typeof ts === "number" ? { text, by, ts } : undefined;
  }

  async search(rooms: readonly string[], query: SearchQuery): Promise<Kept[]> {
    const found: Kept[] = [];
    const scans = await Promise.all(
      rooms.map((room) => this.link.command("XREVRANGE", [historyKey(room), "+", "-", "COUNT", String(SEARCH_SCAN)])),
    );
    rooms.forEach((room, i) => {
      for (const kept of entries(room, scans[i])) if (lineMatches(kept.event.text, query)) found.push(kept);
    });
    const newest = found.sort((a, b) => compareCursors(b.id, a.id)).slice(0, SEARCH_RESULTS);
    return Promise.all(newest.map(async (k) => (await this.withReactions(k.event.room, [k]))[0]!));
  }

  async conversations(account: string): Promise<Conversation[]> {
    const reply = await this.link.command("ZRANGE", [talksKey(account), "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "0", String(CONVERSATIONS_KEPT), "WITHSCORES"]);
    const out: Conversation[] = [];
    if (!Array.isArray(reply)) return out;
    for (const pair of pairsOf(reply)) {
      const [other, score] = pair;
      const last = Number(score);
      if (typeof other === "string" && Number.isFinite(last)) out.push({ key: conversationKey(account, other), with: other, last });
    }
    return out;
  }

  /**
   * Lines past --history-days go from the rooms written to lately (Redis's ids are its clock in
   * ms), and reactions to lines no longer kept (trimmed by age or by --history-lines).
   */
  private trimByAge(): void {
    const minId = String(this.clock.now() - this.retention.days * 86_400_000);
    for (const room of this.written) {
      this.link.command("XTRIM", [historyKey(room), "MINID", "~", minId]).catch(() => {}); // again next minute
      this.link.command("EVAL", [SCRIPT_FORGET_REACTIONS, "2", historyKey(room), reactionsKey(room)]).catch(() => {});
    }
    this.written.clear();
  }

  close(): void {
    this.trimTimer?.cancel();
  }
}

/** at(): how far before a time its stream is read from (a node's clock against another's), in pages of how many, at most how many. */
const AT_SLACK_MS = 5_000;
const AT_PAGE = 200;
const AT_PAGES = 5;

/** Entries after a line's own id that are looked through for it (one stored under the next id). */
const SCAN_AFTER = 200;

/** A line as the turn script and a rewrite store it: {type, from, text, ts, r: what it answers, e: when edited}. */
function storedValue(event: StoredLine): string {
  const stored = { type: storedType(event), from: event.type === "topic" ? event.by : event.from, text: event.text, ts: event.ts };
  const state = stateFields(event); // most lines: none, and no spread made for them (every line said)
  return JSON.stringify(state ? Object.assign(stored, state) : stored);
}

/** Reactions as a script keeps them ([{emoji, names}], first first), checked field by field. */
function reactionsOf(value: unknown): Reaction[] {
  if (!Array.isArray(value)) return [];
  const out: Reaction[] = [];
  for (const r of value) {
    if (!isObject(r) || typeof r.emoji !== "string" || !Array.isArray(r.names)) continue;
    const names = r.names.filter((n): n is string => typeof n === "string");
    if (names.length > 0) out.push({ emoji: r.emoji, names });
  }
  return out;
}

/**
 * KEYS: the room's stream (and its reactions). ARGV: the entry's stream id, its new value ("" to
 * take it out), and (taking out) the line's own id. Streams never overwrite an entry, and one
 * deleted (XDEL) stays in Redis's memory and its dumps until every entry of its node goes: the
 * stream is written afresh without the old text, under the same ids, its last id kept.
 */
const SCRIPT_REWRITE = `
local key, target, value = KEYS[1], ARGV[1], ARGV[2]
local info = redis.pcall('XINFO', 'STREAM', key)
if info['err'] then return 0 end
local last
for i = 1, #info, 2 do if info[i] == 'last-generated-id' then last = info[i + 1] end end
local all = redis.call('XRANGE', key, '-', '+')
local found = false
for _, e in ipairs(all) do if e[1] == target then found = true end end
if not found then return 0 end
redis.call('DEL', key)
for _, e in ipairs(all) do
  local id, fields = e[1], e[2]
  if id ~= target then
    redis.call('XADD', key, id, unpack(fields))
  elseif value ~= '' then
    for j = 1, #fields, 2 do if fields[j] == 'e' then fields[j + 1] = value end end
    redis.call('XADD', key, id, unpack(fields))
  end
end
if redis.call('EXISTS', key) == 1 then redis.call('XSETID', key, last)
else redis.call('XADD', key, last, 'gone', '1'); redis.call('XDEL', key, last) end
if value == '' and KEYS[2] then redis.call('HDEL', KEYS[2], ARGV[3]) end
return 1
`;

/**
 * KEYS: a room's reactions (line id -> JSON [{emoji, names}]). ARGV: line id, name, emoji, 1 to
 * put it on or 0 to take it back. The line's reactions after, as JSON ('' for none).
 */
const SCRIPT_REACT = `
local key, line, name, emoji, on = KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4] == '1'
local raw = redis.call('HGET', key, line)
local list = raw and cjson.decode(raw) or {}
local out, found = {}, false
for _, r in ipairs(list) do
  if r.emoji ~= emoji then table.insert(out, r) else
    found = true
    local names, has = {}, false
    for _, n in ipairs(r.names) do if n == name then has = true; if on then table.insert(names, n) end else table.insert(names, n) end end
    if on and not has then table.insert(names, name) end
    if #names > 0 then table.insert(out, {emoji = emoji, names = names}) end
  end
end
if not found and on then table.insert(out, {emoji = emoji, names = {name}}) end
if #out == 0 then redis.call('HDEL', key, line); return '' end
local encoded = cjson.encode(out)
redis.call('HSET', key, line, encoded)
return encoded
`;

/**
 * KEYS: a room's stream and its reactions. Reactions to lines older than the stream's oldest go
 * (its lines trimmed by --history-lines or --history-days).
 */
const SCRIPT_FORGET_REACTIONS = `
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
local lines = redis.call('HKEYS', KEYS[2])
local function before(a, b)
  local am, as = string.match(a, '^(%d+)-(.*)$')
  local bm, bs = string.match(b, '^(%d+)-(.*)$')
  if not am or not bm then return false end
  if tonumber(am) ~= tonumber(bm) then return tonumber(am) < tonumber(bm) end
  return (tonumber(as) or 0) < (tonumber(bs) or 0)
end
for _, line in ipairs(lines) do
  if not first or before(line, first[1]) then redis.call('HDEL', KEYS[2], line) end
end
return 1
`;

/** An XRANGE/XREVRANGE reply as kept lines, in the reply's order; an entry that is not one is skipped. */
function entries(room: string, reply: unknown): Kept[] {
  if (!Array.isArray(reply)) return [];
  const out: Kept[] = [];
  for (const entry of reply) {
    if (!Array.isArray(entry) || typeof entry[0] !== "string" || !Array.isArray(entry[1])) continue;
    const fields: unknown[] = entry[1];
    const value = field(fields, "e");
    const own = field(fields, "i"); // a line stored under another id than its own (scripts.ts)
    const event = typeof value === "string" ? keptEvent(typeof own === "string" ? own : entry[0], room, parseJson(value)) : undefined;
    if (event) out.push({ id: entry[0], event });
  }
  return out;
}

/** A stream entry's field by name (fields are name, value, name, value…). */
function field(fields: unknown[], name: string): unknown {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/** A line as the turn script stored it ({type, from, text, ts, r, e}), checked field by field. */
function keptEvent(id: string, room: string, value: unknown): StoredLine | undefined {
  if (!isObject(value)) return undefined;
  const { type, from, text, ts } = value;
  if (typeof from !== "string" || typeof text !== "string" || typeof ts !== "number") return undefined;
  return storedEvent(type, id, room, from, text, ts, stateOf(value));
}



/** A WITHSCORES reply as pairs: flat (RESP2: member, score, …) or already paired (RESP3). */
function pairsOf(reply: unknown[]): [unknown, unknown][] {
  if (reply.every((r) => Array.isArray(r))) return reply.map((r) => [(r as unknown[])[0], (r as unknown[])[1]]);
  const out: [unknown, unknown][] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) out.push([reply[i], reply[i + 1]]);
  return out;
}


