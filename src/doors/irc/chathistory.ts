// IRCv3 draft/chathistory: CHATHISTORY LATEST, BEFORE, AFTER, BETWEEN and AROUND a msgid or a
// timestamp, for a channel the client is in or one of its kept private conversations (a nick),
// each answered as one `chathistory` batch of the lines as they were said (their own time and msgid
// tags); and TARGETS, the channels and conversations with lines in a time window. With
// draft/event-playback, topics are played back too. The same history as bunchat's /history: the
// store's, read through its before/after/at (store/history.ts).

import { chain, compareCursors, conversationKey, type HistoryStore, type Kept, type Maybe, settled, then } from "../../store/history.ts";
import { type MessageId, messageIdOf } from "../../protocol/events.ts";
import { ircLine, mask } from "../../protocol/irc.ts";
import { foldName, hasNameShape } from "../../protocol/names.ts";
import { addressed, clientTags, lineTags, messageLines } from "../../render/irc.ts";
import { parseMarkerTime } from "../../core/markers.ts";
import type { IrcCommandHost } from "./commands.ts";
import { visibleTo } from "../../core/conversations.ts";
import { ircView } from "./replies.ts";

export const CHATHISTORY_CAP = "draft/chathistory";
export const EVENT_PLAYBACK_CAP = "draft/event-playback";
/** Lines one CHATHISTORY answer holds at most (ISUPPORT CHATHISTORY), and targets one TARGETS lists. */
export const CHATHISTORY_MAX = 100;

/** Where a line is named from: a msgid, a time, or (LATEST) none. */
type Bound = { kind: "msgid"; id: MessageId } | { kind: "timestamp"; ts: number } | { kind: "none" };

/** A target's history as this client reads it: its store key, and how its lines are written. */
interface Place {
  key: string;
  /** The channel's name, or the other of the conversation (this nick, to oneself). */
  name: string;
  room: boolean;
}

function parseBound(text: string | undefined): Bound | undefined {
  if (text === "*") return { kind: "none" };
  if (text?.startsWith("msgid=")) {
    const id = messageIdOf(text.slice(6));
    return id === undefined ? undefined : { kind: "msgid", id };
  }
  if (text?.startsWith("timestamp=")) {
    const ts = parseMarkerTime(text.slice(10));
    return ts === undefined ? undefined : { kind: "timestamp", ts };
  }
  return undefined;
}

/** CHATHISTORY <subcommand> <target> <bound> [<bound>] <limit>, or TARGETS <bound> <bound> <limit>. */
export function chathistoryCommand(c: IrcCommandHost, params: readonly string[]): void {
  const sub = (params[0] ?? "").toUpperCase();
  const fail = (code: string, ...rest: string[]) => c.send(ircLine(c.server, "FAIL", ["CHATHISTORY", code, ...rest], true));
  const history = c.hub.history;
  if (!["LATEST", "BEFORE", "AFTER", "BETWEEN", "AROUND", "TARGETS"].includes(sub)) return fail("INVALID_PARAMS", sub || "*", "Unknown subcommand");
  if (!history) return fail("MESSAGE_ERROR", sub, "This server keeps no history");
  const limitText = params[params.length - 1] ?? "";
  const limit = /^[0-9]{1,6}$/.test(limitText) ? Math.min(CHATHISTORY_MAX, Number(limitText)) : 0;
  const bounds = sub === "BETWEEN" || sub === "TARGETS" ? 2 : 1;
  const expected = sub === "TARGETS" ? 4 : 3 + bounds;
  if (params.length < expected || limit <= 0) return fail("INVALID_PARAMS", sub, `CHATHISTORY ${sub} needs ${sub === "TARGETS" ? "two timestamps" : "a target, " + (bounds === 2 ? "two bounds" : "a bound")} and a limit`);
  if (sub === "TARGETS") return targets(c, history, params[1], params[2], limit, fail);
  const target = params[1]!;
  const first = parseBound(params[2]);
  const second = bounds === 2 ? parseBound(params[3]) : { kind: "none" as const };
  if (!first || !second || (sub !== "LATEST" && first.kind === "none") || (sub === "BETWEEN" && second.kind === "none")) {
    return fail("INVALID_PARAMS", sub, "A bound is msgid=<id> or timestamp=<YYYY-MM-DDThh:mm:ss.sssZ> (LATEST: or *)");
  }
  c.session.after(placeOf(c, target), (place) => {
    if (!place) return fail("INVALID_TARGET", sub, target, "No such channel or conversation, or you are not in it");
    // Topics are played back only to a client that asked for draft/event-playback: over-read, then
    // trimmed (AROUND as asked: it is centred on its line).
    const playback = c.caps.has(EVENT_PLAYBACK_CAP);
    const want = playback || sub === "AROUND" ? limit : 2 * limit;
    c.session.after(settled(query(history, place.key, sub, first, second, want)), (read) => {
      if (read === null) return fail("MESSAGE_ERROR", sub, target, "History can't be read right now; try again in a moment");
      const shown = read.lines.filter((l) => (playback || l.event.type !== "topic") && (l.event.type !== "private" || visibleTo(c.session.me, l.event)));
      // Those nearest the bound they were read from: the newest, read backwards.
      const kept = read.back ? shown.slice(-limit) : shown.slice(0, limit);
      c.send(batch(c, "chathistory", target, kept.map((l) => lineOf(c, place, l)).join("")));
    });
  });
}

/** The channel `target` names (one this client is in), or its conversation with a nick (its own to itself); undefined if neither. */
function placeOf(c: IrcCommandHost, target: string): Maybe<Place | undefined> {
  const me = c.session.me;
  if (target.startsWith("#")) {
    const room = c.hub.room(target);
    return room && room.has(me) ? { key: room.name, name: room.name, room: true } : undefined;
  }
  if (!hasNameShape(target) || me.account === undefined || !c.hub.conversations.keeping) return undefined;
  if (foldName(target) === me.account) return { key: conversationKey(me.account, me.account), name: me.name, room: false };
  return then(c.hub.conversations.find(me, target), (talk) => ("type" in talk ? undefined : { key: talk.key, name: talk.other, room: false }));
}

/** The lines a subcommand names, oldest first (up to `count`), and whether they were read back from its bound. */
function query(history: HistoryStore, key: string, sub: string, first: Bound, second: Bound, count: number): Maybe<{ lines: Kept[]; back: boolean }> {
  const back = (lines: Kept[]) => ({ lines, back: true });
  const forth = (lines: Kept[]) => ({ lines, back: false });
  switch (sub) {
    case "LATEST":
      // The newest lines, after the bound if there is one.
      return chain(history.recent(key, count), (lines) => then(pointOf(history, key, first), (from) => back(first.kind === "none" ? lines : lines.filter((l) => isAfter(l, first, from)))));
    case "BEFORE":
      return then(linesBefore(history, key, first, count), back);
    case "AFTER":
      return then(linesAfter(history, key, first, count), forth);
    case "AROUND":
      return chain(pointOf(history, key, first), (center): Maybe<{ lines: Kept[]; back: boolean }> => {
        if (!center) return forth([]);
        const older = Math.floor((count - 1) / 2);
        return chain(history.before(key, older, center.id), (before) => then(history.after(key, count - 1 - older, center.id), (after) => forth([...before, center, ...after])));
      });
    default: // BETWEEN, either way round: from the first bound towards the second
      return chain(pointOf(history, key, first), (a) =>
        chain(pointOf(history, key, second), (b) => {
          const backwards = isBackwards(first, second, a, b);
          const read = backwards ? linesBefore(history, key, first, count) : linesAfter(history, key, first, count);
          return then(read, (lines) => ({ lines: lines.filter((l) => (backwards ? isAfter(l, second, b) : isBefore(l, second, b))), back: backwards }));
        }),
      );
  }
}

/** The line a bound names: by its msgid, or the first said at its time or later. */
function pointOf(history: HistoryStore, key: string, bound: Bound): Maybe<Kept | undefined> {
  if (bound.kind === "msgid") return history.find(key, bound.id);
  if (bound.kind === "timestamp") return history.at(key, bound.ts);
  return undefined;
}

/** Lines strictly before a bound, the newest `count`. */
function linesBefore(history: HistoryStore, key: string, bound: Bound, count: number): Maybe<Kept[]> {
  return chain(pointOf(history, key, bound), (point): Maybe<Kept[]> => {
    if (point) return history.before(key, count, point.id);
    // A time after every line: all of them are before it; a msgid not kept: none.
    return bound.kind === "timestamp" ? history.recent(key, count) : [];
  });
}

/** Lines strictly after a bound, the oldest `count`. */
function linesAfter(history: HistoryStore, key: string, bound: Bound, count: number): Maybe<Kept[]> {
  if (bound.kind === "msgid") return chain(history.find(key, bound.id), (point) => (point ? history.after(key, count, point.id) : []));
  if (bound.kind !== "timestamp") return [];
  // The first line said after the time (a millisecond later or more), then the lines after it.
  return chain(history.at(key, bound.ts + 1), (point) => (point ? then(history.after(key, count - 1, point.id), (rest) => [point, ...rest]) : []));
}

/** Whether `line` comes after the bound (`point`: the line the bound named, if it is kept). */
function isAfter(line: Kept, bound: Bound, point: Kept | undefined): boolean {
  if (bound.kind === "timestamp") return line.event.ts > bound.ts;
  return point === undefined || compareCursors(line.id, point.id) > 0;
}

function isBefore(line: Kept, bound: Bound, point: Kept | undefined): boolean {
  if (bound.kind === "timestamp") return line.event.ts < bound.ts;
  return point !== undefined && compareCursors(line.id, point.id) < 0;
}

/** Whether BETWEEN goes back in time (its first bound is the later one). */
function isBackwards(first: Bound, second: Bound, a: Kept | undefined, b: Kept | undefined): boolean {
  if (first.kind === "msgid" && second.kind === "msgid" && a && b) return compareCursors(a.id, b.id) > 0;
  const time = (bound: Bound, point: Kept | undefined) => (bound.kind === "timestamp" ? bound.ts : (point?.event.ts ?? 0));
  return time(first, a) > time(second, b);
}

/** A kept line as this client sees it, with its own time and msgid (and the client tags it carried). */
function lineOf(c: IrcCommandHost, place: Place, { event: e }: Kept): string {
  const view = ircView(c.caps);
  switch (e.type) {
    case "topic":
      return lineTags(view, e.ts, e.id) + ircLine(mask(e.by), "TOPIC", [e.room, e.text], true);
    case "private": {
      // Theirs to this nick, or this nick's to them: as it was sent.
      const mine = foldName(e.from) === c.session.me.account;
      return messageLines(view, mine ? c.name : e.from, mine ? place.name : c.name, e.text, e, false);
    }
    default:
      return messageLines(view, e.from, place.name, addressed(e, view), e, e.type === "action", clientTags(e), e.type === "public" && e.notice === true);
  }
}

/** `lines` in a batch of `type` (its parameters after), each tagged with it (or with a batch inside it). */
function batch(c: IrcCommandHost, type: string, param: string | undefined, lines: string): string {
  const ref = c.nextBatch();
  const inside = lines
    .split("\r\n")
    .filter((l) => l !== "")
    // A message of several lines is a batch inside this one: its start is tagged, its lines are its own.
    .map((l) => (/^@(\S*;)?batch=/.test(l) ? l : l.startsWith("@") ? `@batch=${ref};${l.slice(1)}` : `@batch=${ref} ${l}`) + "\r\n")
    .join("");
  return ircLine(c.server, "BATCH", param === undefined ? [`+${ref}`, type] : [`+${ref}`, type, param]) + inside + ircLine(c.server, "BATCH", [`-${ref}`]);
}

/**
 * TARGETS: the channels this client is in and its kept conversations whose newest line was said
 * between the two times (either way round, neither included), oldest first, at most `limit`.
 */
function targets(c: IrcCommandHost, history: HistoryStore, a: string | undefined, b: string | undefined, limit: number, fail: (code: string, ...rest: string[]) => void): void {
  const from = parseBound(a);
  const to = parseBound(b);
  if (from?.kind !== "timestamp" || to?.kind !== "timestamp") return fail("INVALID_PARAMS", "TARGETS", "TARGETS takes two timestamp= bounds and a limit");
  const [lo, hi] = from.ts < to.ts ? [from.ts, to.ts] : [to.ts, from.ts];
  const me = c.session.me;
  const rooms = me.rooms.map((r) => then(settled(history.recent(r.name, 1)), (l) => ({ name: r.name, last: l?.[0]?.event.ts })));
  const account = me.account;
  const talks: Maybe<{ name: string; last: number }[]> =
    account === undefined || !c.hub.conversations.keeping ? [] : then(c.hub.conversations.talks(account), (named) => (named ?? []).map((t) => ({ name: t.other, last: t.last })));
  const rows = chain(rooms.some((r) => r instanceof Promise) ? Promise.all(rooms) : (rooms as { name: string; last: number | undefined }[]), (r) => then(talks, (t) => [...r, ...t]));
  c.session.after(rows, (all) => {
    const within = all
      .filter((t): t is { name: string; last: number } => t.last !== undefined && t.last > lo && t.last < hi)
      .sort((x, y) => x.last - y.last)
      .slice(0, limit);
    c.send(batch(c, "draft/chathistory-targets", undefined, within.map((t) => ircLine(c.server, "CHATHISTORY", ["TARGETS", t.name, new Date(t.last).toISOString()])).join("")));
  });
}
