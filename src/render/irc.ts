// IRC as what a room is sent: the events every member of a room sees written as IRC once for all
// of them (a line, a join, a leave, a topic, a rename). What only one user sees (numerics naming
// their nick) is written by the IRC door (src/doors/irc/).

import type { MessageId, Quote, ServerEvent } from "../protocol/events.ts";
import { IRC_LINE_BYTES, IRC_SERVER, ircLine, mask } from "../protocol/irc.ts";
import { leaveWords } from "./text.ts";

/** IRC's STATUSMSG prefix of a line for some of a room. */
export const ONLY_PREFIX = { operators: "@", voiced: "+" } as const;

/** The server-time tag of a line said at `ts`, with the space that ends the tags. */
export function timeTag(ts: number): string {
  return `@time=${new Date(ts).toISOString()} `;
}

/**
 * The tags an IRC view is sent before a line said at `ts` (and, for a line with one, its msgid):
 * none, server-time's, or every tag (message-tags). Ends with the space that ends the tags.
 */
export function lineTags(view: "irc" | "irc-time" | "irc-tags", ts: number, id?: MessageId, client?: string): string {
  if (view === "irc") return "";
  if (view === "irc-time" || id === undefined) return timeTag(ts);
  // An id is digits, or <ms>-<n> of word characters and dots: nothing a tag's value escapes.
  return `@time=${new Date(ts).toISOString()};msgid=${id}${client ? `;${client}` : ""} `;
}

/** A line's own tags for clients that take them: what its IRC sender put on it, and +draft/reply for a reply. */
export function clientTags(event: { tags?: string; reply?: Quote; bot?: true }): string | undefined {
  if (!event.reply && !event.bot) return event.tags; // most lines: as their sender tagged them, or not
  const reply = event.reply && !event.tags?.includes("+draft/reply=") ? `+draft/reply=${event.reply.id}` : undefined;
  // A bot posting through the HTTP API is a bot to IRC clients too (IRCv3 bot mode's tag).
  const all = [event.bot ? "bot" : undefined, event.tags, reply].filter(Boolean);
  return all.length > 0 ? all.join(";") : undefined;
}

/**
 * A reply's text for an IRC client that takes no tags: addressed to whom it answers ("Ana: …"),
 * the way IRC users answer, unless it already starts with their name.
 */
export function addressed(event: { text: string; reply?: Quote }, view: "irc" | "irc-time" | "irc-tags"): string {
  const to = event.reply?.from;
  return view === "irc-tags" || to === undefined || event.text.startsWith(to) ? event.text : `${to}: ${event.text}`;
}

const utf8 = new TextEncoder();

/**
 * A text cut into pieces that each fit an IRC line after `overhead` bytes (the prefix, command and
 * target), at character boundaries: a 4 KiB bunchat line reaches an IRC client as several lines.
 */
export function splitText(text: string, overhead: number): string[] {
  const room = Math.max(64, IRC_LINE_BYTES - 2 - overhead);
  // A UTF-16 unit is at most 3 bytes of UTF-8: most lines fit without being encoded to check.
  if (text.length * 3 <= room || utf8.encode(text).length <= room) return [text];
  const pieces: string[] = [];
  let piece = "";
  let bytes = 0;
  for (const ch of text) {
    const size = utf8.encode(ch).length;
    if (bytes + size > room) {
      pieces.push(piece);
      piece = "";
      bytes = 0;
    }
    piece += ch;
    bytes += size;
  }
  if (piece !== "") pieces.push(piece);
  return pieces;
}

/** What a PRIVMSG from `from` to `target` takes besides its text (the source, the command, an action's CTCP). */
function privmsgOverhead(from: string, target: string, action: boolean): number {
  return mask(from).length + target.length + 16 + (action ? 9 : 0);
}

/**
 * As much of `text` as one PRIVMSG from `from` to `target` carries within IRC's 512 bytes: what
 * an IRC daemon keeps of a client's full-length line once its source is put before it.
 */
export function oneIrcLine(from: string, target: string, text: string, action: boolean): string {
  return splitText(text, privmsgOverhead(from, target, action))[0] ?? "";
}

/** A PRIVMSG (or an action, or a NOTICE) from `from` to `target`, cut to fit, each piece a line. */
export function privmsgLines(from: string, target: string, text: string, action: boolean, tag = "", notice = false): string {
  const source = mask(from);
  const overhead = privmsgOverhead(from, target, action);
  const command = notice ? "NOTICE" : "PRIVMSG";
  const pieces = splitText(text, overhead);
  // The usual case, one piece of plain text: written straight (a line said to a room is encoded
  // once for all its IRC members, but once for every line).
  if (pieces.length === 1 && !action && target !== "" && text !== "" && !text.startsWith(":")) {
    return `${tag}:${source} ${command} ${target} :${text}\r\n`;
  }
  let out = "";
  for (const piece of pieces) {
    out += tag + ircLine(source, command, [target, action ? `\u0001ACTION ${piece}\u0001` : piece], true);
  }
  return out;
}

/**
 * An event every member of a room is sent, as IRC lines in `view` (with the tags it takes); "" for
 * an event that is never shared (those name their recipient: the door writes them).
 */
export function ircShared(event: ServerEvent, view: "irc" | "irc-time" | "irc-tags"): string {
  const tag = "ts" in event ? lineTags(view, event.ts, "id" in event ? event.id : undefined) : "";
  switch (event.type) {
    case "public": {
      // A line for some of the room (STATUSMSG): to "@#room" or "+#room".
      const tags = lineTags(view, event.ts, event.id, clientTags(event));
      return privmsgLines(event.from, `${event.only ? ONLY_PREFIX[event.only] : ""}${event.room}`, addressed(event, view), false, tags, event.notice === true);
    }
    case "action":
      return privmsgLines(event.from, event.room, addressed(event, view), true, lineTags(view, event.ts, event.id, clientTags(event)));
    case "join":
      return tag + ircLine(mask(event.name), "JOIN", [event.room]);
    case "joins":
      // IRC clients keep a channel's names from its JOINs: every one of them, not a summary.
      return event.names.map((name) => tag + ircLine(mask(name), "JOIN", [event.room])).join("");
    case "leave":
      return tag + leaveLine(event.room, event);
    case "leaves":
      return event.users.map((user) => tag + leaveLine(event.room, user)).join("");
    case "topic":
      return tag + ircLine(mask(event.by), "TOPIC", [event.room, event.text], true);
    case "rename":
      return tag + ircLine(mask(event.from), "NICK", [event.to]);
    case "notice":
      return tag + ircLine(IRC_SERVER, "NOTICE", ["*", event.text], true);
    case "shutdown":
      return ircLine(undefined, "ERROR", ["The server is shutting down. Goodbye!"], true);
    default:
      return "";
  }
}

/** Someone left a room: PART for a /part, KICK for a kick, QUIT for leaving the chat. */
function leaveLine(room: string, user: { name: string; reason: Parameters<typeof leaveWords>[0]["reason"]; message?: string }): string {
  if (user.reason === "parted") return ircLine(mask(user.name), "PART", user.message ? [room, user.message] : [room], true);
  if (user.reason === "removed") return kickLine(room, user.name, user.message ?? "", IRC_SERVER);
  return ircLine(mask(user.name), "QUIT", [leaveWords(user)], true);
}

/** A kick as IRC sends it: from the kicker, with its reason (the kicker's nick when none was given). */
export function kickLine(room: string, kicked: string, message: string, server: string): string {
  const by = /^by ([^\s:(]+)/.exec(message)?.[1];
  if (by === undefined) return ircLine(server, "KICK", [room, kicked, message], true);
  const reason = message.slice(3 + by.length).replace(/^:\s*/, "").trim();
  return ircLine(mask(by), "KICK", [room, kicked, reason || by], true);
}
