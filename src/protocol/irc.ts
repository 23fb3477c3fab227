// IRC's wire format (RFC 1459 / 2812 and the IRCv3 message-tags): reading a client's line into
// its parts, writing ours, and the events every member of a room sees written as IRC once for all
// of them (a line, a join, a leave, a topic, a rename). What only one user sees (numerics naming
// their nick) is written by the IRC door itself (src/server/irc.ts).

import { leaveWords } from "./codec.ts";
import type { ServerEvent } from "./events.ts";

/** The server's name in numerics unless --irc-name says otherwise, and in what a room is sent (notices, kicks). */
export const IRC_SERVER = "bunchat";
/** The host part of every user's mask: bunchat shows no one's address. */
export const IRC_HOST = "bunchat";
/** An IRC line the server writes is at most this long, "\r\n" and tags excluded (RFC 1459). */
export const IRC_LINE_BYTES = 512;

/** One IRC line from a client: its tags, source (clients rarely send one), command and parameters. */
export interface IrcMessage {
  tags?: ReadonlyMap<string, string>;
  source?: string;
  /** Upper-cased; a numeric stays as its digits. */
  command: string;
  params: string[];
}

/**
 * A line as IRC reads it: `@tags :source COMMAND param param :trailing`. Undefined for a line with
 * no command (empty, or only tags). Parameters past the 15th are kept in the last, as servers do.
 */
export function parseIrc(line: string): IrcMessage | undefined {
  let rest = line.replace(/^[ ]+/, "");
  let tags: Map<string, string> | undefined;
  if (rest.startsWith("@")) {
    const end = rest.indexOf(" ");
    if (end < 0) return undefined;
    tags = new Map();
    for (const tag of rest.slice(1, end).split(";")) {
      if (tag === "") continue;
      const eq = tag.indexOf("=");
      tags.set(eq < 0 ? tag : tag.slice(0, eq), eq < 0 ? "" : unescapeTag(tag.slice(eq + 1)));
    }
    rest = rest.slice(end + 1).replace(/^[ ]+/, "");
  }
  let source: string | undefined;
  if (rest.startsWith(":")) {
    const end = rest.indexOf(" ");
    if (end < 0) return undefined;
    source = rest.slice(1, end);
    rest = rest.slice(end + 1).replace(/^[ ]+/, "");
  }
  const params: string[] = [];
  let command = "";
  while (rest.length > 0) {
    if (command !== "" && (rest.startsWith(":") || params.length === 14)) {
      params.push(rest.startsWith(":") ? rest.slice(1) : rest);
      break;
    }
    const end = rest.indexOf(" ");
    const word = end < 0 ? rest : rest.slice(0, end);
    if (command === "") command = word.toUpperCase();
    else params.push(word);
    rest = end < 0 ? "" : rest.slice(end + 1).replace(/^[ ]+/, "");
  }
  if (command === "") return undefined;
  return { ...(tags ? { tags } : {}), ...(source !== undefined ? { source } : {}), command, params };
}

function unescapeTag(value: string): string {
  return value.replace(/\\(.?)/g, (_, c: string) => ({ ":": ";", s: " ", r: "\r", n: "\n", "\\": "\\" })[c] ?? c);
}

/**
 * One IRC line, "\r\n" included: the last parameter is written as trailing (":…") when it has to be
 * (empty, a space, a leading ":") or when `trailing` says so (texts, which clients expect so).
 */
export function ircLine(source: string | undefined, command: string, params: readonly string[], trailing = false): string {
  let line = source === undefined ? command : `:${source} ${command}`;
  params.forEach((p, i) => {
    const last = i === params.length - 1;
    line += last && (trailing || p === "" || p.includes(" ") || p.startsWith(":")) ? ` :${p}` : ` ${p}`;
  });
  return `${line}\r\n`;
}

/** A user's mask as IRC shows it: nick!user@host (bunchat has one host for everyone, and no idents). */
export function mask(nick: string): string {
  return `${nick}!${nick}@${IRC_HOST}`;
}

/** The server-time tag of a line said at `ts`, with the space that ends the tags. */
export function timeTag(ts: number): string {
  return `@time=${new Date(ts).toISOString()} `;
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

/** A PRIVMSG (or an action, or a NOTICE) from `from` to `target`, cut to fit, each piece a line. */
export function privmsgLines(from: string, target: string, text: string, action: boolean, tag = "", notice = false): string {
  const source = mask(from);
  const overhead = source.length + target.length + 16 + (action ? 9 : 0);
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
 * An event every member of a room is sent, as IRC lines (with the server-time tag if `time`); ""
 * for an event that is never shared (those name their recipient: the door writes them).
 */
export function ircShared(event: ServerEvent, time: boolean): string {
  const tag = time && "ts" in event ? timeTag(event.ts) : "";
  switch (event.type) {
    case "public":
      return privmsgLines(event.from, event.room, event.text, false, tag, event.notice === true);
    case "action":
      return privmsgLines(event.from, event.room, event.text, true, tag);
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
  if (user.reason === "removed") return ircLine(IRC_SERVER, "KICK", [room, user.name, `Kicked ${user.message ?? ""}`.trim()], true);
  return ircLine(mask(user.name), "QUIT", [leaveWords(user)], true);
}
