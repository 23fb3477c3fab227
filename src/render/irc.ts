// IRC as what a room is sent: the events every member of a room sees written as IRC once for all
// of them (a line, a join, a leave, a topic, a rename). What only one user sees (numerics naming
// their nick) is written by the IRC door (src/doors/irc/).

import { type IrcView, type MessageId, type Quote, type ServerEvent, takesTags } from "../protocol/events.ts";
import { IRC_LINE_BYTES, IRC_SERVER, ircLine, mask } from "../protocol/irc.ts";
import { fileWords, leaveWords } from "./text.ts";
import { type Inline, mayFormat, parseBlocks, plainText } from "./markdown.ts";

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
export function lineTags(view: IrcView, ts: number, id?: MessageId, client?: string): string {
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
export function addressed(event: { text: string; reply?: Quote }, view: IrcView): string {
  const to = event.reply?.from;
  return takesTags(view) || to === undefined || event.text.startsWith(to) ? event.text : `${to}: ${event.text}`;
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

/** The capability of messages of several lines in one batch, the batch's type, and the tag of a piece that continues a line. */
export const MULTILINE_CAP = "draft/multiline";
export const CONCAT_TAG = "draft/multiline-concat";

/**
 * A message (a line, or several) from `from` to `target` as `view` is written to, tagged with its
 * time, id and `client` tags. Several lines: a draft/multiline batch for a client that took it (the
 * batch's start carries the tags; each line cut to fit IRC's 512 bytes, its further pieces tagged
 * as continuing it), else each line that is not blank as a line of its own, the first with the
 * message's id. `concat`: where an IRC client's own batch continued a line (see pieces).
 */
export function messageLines(view: IrcView, from: string, target: string, text: string, line: { ts: number; id: MessageId; concat?: readonly number[] }, action: boolean, client?: string, notice = false): string {
  // Its formatting as IRC's codes; not a batch an IRC client sent as it is (its pieces are its own).
  if (line.concat === undefined && mayFormat(text)) text = ircFormatted(text);
  if (!text.includes("\n") && line.concat === undefined) return privmsgLines(from, target, text, action, lineTags(view, line.ts, line.id, client), notice);
  const parts = pieces(text, line.concat);
  if (view !== "irc-multiline") {
    let out = "";
    for (const part of parts) {
      if (part.text.trim() === "") continue;
      // The id once (clients tell lines apart by it); the time and the client's tags on each.
      const tags = out === "" ? lineTags(view, line.ts, line.id, client) : takesTags(view) && client ? `@time=${new Date(line.ts).toISOString()};${client} ` : lineTags(view, line.ts);
      out += privmsgLines(from, target, part.text, action, tags, notice);
    }
    return out;
  }
  const source = mask(from);
  const ref = `ml${String(line.id).replace(/[^A-Za-z0-9]/g, "")}`;
  const command = notice ? "NOTICE" : "PRIVMSG";
  const overhead = privmsgOverhead(from, target, action) + ref.length + CONCAT_TAG.length + 10;
  let out = `${lineTags(view, line.ts, line.id, client)}:${source} BATCH +${ref} ${MULTILINE_CAP} ${target}\r\n`;
  for (const part of parts) {
    const cut = part.text === "" ? [""] : splitText(part.text, overhead);
    cut.forEach((piece, i) => {
      const tag = part.joined || i > 0 ? `@batch=${ref};${CONCAT_TAG} ` : `@batch=${ref} `;
      out += tag + ircLine(source, command, [target, action ? `\u0001ACTION ${piece}\u0001` : piece], true);
    });
  }
  return `${out}:${source} BATCH -${ref}\r\n`;
}

const IRC = { bold: "\u0002", italic: "\u001d", strike: "\u001e", code: "\u0011" } as const;

/**
 * A message's formatting (render/markdown.ts) as IRC's codes: bold (^B), italic (^]), struck (^^)
 * and inline code (^Q, monospace) between their codes, marks taken off; a code block's lines
 * monospace between its fences as typed; quotes as typed; a link's text followed by where it goes.
 */
export function ircFormatted(text: string): string {
  const inline = (nodes: readonly Inline[]): string =>
    nodes
      .map((n) => {
        if (n.kind === "text") return n.text;
        if (n.kind === "code") return `${IRC.code}${n.text}${IRC.code}`;
        if (n.kind === "link") {
          const words = inline(n.children);
          return plainText(n.children) === n.href ? words : `${words} <${n.href}>`;
        }
        return `${IRC[n.kind]}${inline(n.children)}${IRC[n.kind]}`;
      })
      .join("");
  return parseBlocks(text)
    .map((block) => {
      if (block.kind === "code") return [`\`\`\`${block.lang ?? ""}`, ...block.text.split("\n").map((l) => (l === "" ? "" : `${IRC.code}${l}${IRC.code}`)), "```"].join("\n");
      if (block.kind === "quote") return inline(block.inline).split("\n").map((l) => `> ${l}`).join("\n");
      return inline(block.inline);
    })
    .join("\n");
}

/**
 * What an IRC client typed with IRC's formatting codes, as the Markdown every other client reads:
 * bold (^B), italic (^]), struck (^^) and monospace (^Q) between marks, each run's spaces outside
 * its marks (so "^B bold ^B" is "**bold**" between spaces); colours (^C, ^D), underline, reverse
 * and reset (^O, which ends every style) leave no mark. Text without any code is returned as it is.
 */
export function fromIrcFormatting(text: string): string {
  if (!/[\u0002\u0003\u0004\u000f\u0011\u0016\u001d\u001e\u001f]/.test(text)) return text;
  const runs: { text: string; marks: string }[] = [];
  const on = { bold: false, italic: false, strike: false, code: false };
  let run = "";
  const marks = () => `${on.code ? "`" : ""}${on.bold ? "**" : ""}${on.italic ? "_" : ""}${on.strike ? "~~" : ""}`;
  const flush = () => {
    if (run !== "") runs.push({ text: run, marks: marks() });
    run = "";
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const toggle = ({ "\u0002": "bold", "\u001d": "italic", "\u001e": "strike", "\u0011": "code" } as const)[ch as "\u0002"];
    if (toggle) {
      flush();
      on[toggle] = !on[toggle];
    } else if (ch === "\u000f") {
      flush();
      on.bold = on.italic = on.strike = on.code = false;
    } else if (ch === "\u0003") {
      i += /^(\d{1,2}(,\d{1,2})?)?/.exec(text.slice(i + 1))![0].length; // a colour: its numbers go with it
    } else if (ch === "\u0004") {
      i += /^([0-9a-fA-F]{6}(,[0-9a-fA-F]{6})?)?/.exec(text.slice(i + 1))![0].length;
    } else if (ch !== "\u0016" && ch !== "\u001f") run += ch;
  }
  flush();
  return runs
    .map(({ text: t, marks: m }) => {
      const core = t.trim();
      if (m === "" || core === "") return t;
      const close = [...m.matchAll(/`|\*\*|_|~~/g)].map((x) => x[0]).reverse().join("");
      return `${t.slice(0, t.indexOf(core))}${m}${core}${close}${t.slice(t.indexOf(core) + core.length)}`;
    })
    .join("");
}

/**
 * A message's lines, and within a line the pieces an IRC client's batch sent it in: `concat` holds
 * the offsets in `text` where a piece continued the line before it (draft/multiline-concat).
 */
function pieces(text: string, concat: readonly number[] | undefined): { text: string; joined: boolean }[] {
  const out: { text: string; joined: boolean }[] = [];
  let start = 0;
  for (const line of text.split("\n")) {
    const end = start + line.length;
    let from = start;
    for (const at of concat ?? []) {
      if (at <= from || at >= end) continue;
      out.push({ text: text.slice(from, at), joined: from !== start });
      from = at;
    }
    out.push({ text: text.slice(from, end), joined: from !== start });
    start = end + 1;
  }
  return out;
}

/** A PRIVMSG (or an action, or a NOTICE) from `from` to `target`, cut to fit, each piece a line. */
export function privmsgLines(from: string, target: string, text: string, action: boolean, tag = "", notice = false): string {
  if (text.includes("\n")) text = text.replaceAll("\n", " "); // one line here (messageLines writes several)
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
export function ircShared(event: ServerEvent, view: IrcView): string {
  const tag = "ts" in event ? lineTags(view, event.ts, "id" in event ? event.id : undefined) : "";
  switch (event.type) {
    case "public":
      // A line for some of the room (STATUSMSG): to "@#room" or "+#room".
      return messageLines(view, event.from, `${event.only ? ONLY_PREFIX[event.only] : ""}${event.room}`, addressed(event, view) + (event.file ? fileWords(event.file, event.text) : ""), event, false, clientTags(event), event.notice === true);
    case "action":
      return messageLines(view, event.from, event.room, addressed(event, view), event, true, clientTags(event));
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
