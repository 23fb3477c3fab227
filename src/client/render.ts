// How the bundled client shows each server event: sender first, private and system lines
// visibly distinct, colours only when asked for, and nothing from the network unsanitised.

import { createColors } from "picocolors";
import { firstLine, hangIndent, helpBlock, helpLines, ONLY_WORDS, quoteWords, roomsLines, stateWords, toText, topicLine, unreadSummary, usersLine } from "../render/text.ts";
import { type FileRef, type HistoryLine, type RoomInfo, type ServerEvent, type Topic, unreachable } from "../protocol/events.ts";
import { WELCOME_NAMES } from "../protocol/limits.ts";
import { sanitizeLines, sanitizeText } from "../protocol/sanitize.ts";
import { clock } from "../time.ts";
import { hyperlinked, osc8 } from "../render/links.ts";
import { sizeWords } from "../protocol/messages.ts";
import { type Inline, mayFormat, parseBlocks, plainText } from "../render/markdown.ts";

export interface RenderOptions {
  color: boolean;
  timestamps: boolean;
  /** Clock for events that carry no time of their own. */
  now?: () => number;
  /** Our own name, for highlighting lines that mention it. */
  me?: () => string | undefined;
  /** Our current room: lines from other rooms show theirs. */
  room?: () => string | undefined;
  /** Called when a line is highlighted because it mentions us (the client rings the bell). */
  onMention?: () => void;
  /**
   * The terminal's width, when drawing on one: a message that wraps is broken into rows here, each
   * row after the first indented under the text, so spaces can't push a fake "Alice: …" onto a row
   * of its own.
   */
  columns?: () => number | undefined;
  /** The terminal shows OSC 8 hyperlinks (render/links.ts, terminalLinks): links in lines are made clickable. */
  links?: boolean;
  /** Where a shared file is for us (the server's file-key); undefined before it is known: /file <id> then. */
  fileUrl?: (file: FileRef) => string | undefined;
}

import { mentions } from "../protocol/names.ts";
export { mentions };

/** Each name's colour: the same name always gets the same one (FNV-1a of the folded name). */
export function nameColor(name: string, palette: number): number {
  let hash = 0x811c9dc5;
  for (const ch of name.toLowerCase()) hash = Math.imul(hash ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return hash % palette;
}

/**
 * Breaks text into rows of at most `first` columns, then `rest` columns (at a space when there is
 * one in the second half of the row), counting wide characters as two and never splitting one.
 */
export function wrapRows(text: string, first: number, rest: number): string[] {
  return wrapSpans(text, first, rest).map(([start, end]) => text.slice(start, end));
}

/** wrapRows' rows as [start, end) offsets in `text` (a row's trailing spaces left out). */
export function wrapSpans(text: string, first: number, rest: number): [number, number][] {
  const rows: [number, number][] = [];
  let start = 0; // where the row being filled starts in text
  let at = 0; // where the next grapheme starts
  let width = 0;
  let limit = Math.max(1, first);
  for (const { segment } of graphemes.segment(text)) {
    const w = Bun.stringWidth(segment);
    if (width + w > limit && at > start) {
      const row = text.slice(start, at);
      const space = row.lastIndexOf(" ");
      const cut = space > 0 && Bun.stringWidth(row.slice(0, space)) >= limit / 2 ? space + 1 : row.length;
      rows.push([start, start + row.slice(0, cut).trimEnd().length]);
      start += cut;
      width = Bun.stringWidth(text.slice(start, at));
      limit = Math.max(1, rest);
    }
    at += segment.length;
    width += w;
  }
  rows.push([start, text.length]);
  return rows;
}
const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

export type Renderer = (event: ServerEvent) => string | undefined;

/** A piece of a line shown in one style (a link's: where it goes). */
interface Run {
  text: string;
  style?: (s: string) => string;
  href?: string;
}

type Colors = ReturnType<typeof createColors>;

/**
 * A message's formatting as styled pieces, line by line: bold, italic, struck, inline code in
 * cyan, marks taken off; a code block's lines in cyan between its fences (dim, the language
 * named); a quote's lines dim after a bar; a link's text, hyperlinked to where it goes, or
 * followed by it.
 */
function formattedRuns(text: string, c: Colors): Run[][] {
  const lines: Run[][] = [[]];
  const add = (run: Run) => {
    const parts = run.text.split("\n");
    parts.forEach((part, i) => {
      if (i > 0) lines.push([]);
      if (part !== "") lines[lines.length - 1]!.push({ ...run, text: part });
    });
  };
  const both = (a: ((s: string) => string) | undefined, b: (s: string) => string) => (a ? (s: string) => a(b(s)) : b);
  const inline = (nodes: readonly Inline[], style: ((s: string) => string) | undefined, href?: string): void => {
    for (const node of nodes) {
      if (node.kind === "text") add({ text: node.text, ...(style ? { style } : {}), ...(href ? { href } : {}) });
      else if (node.kind === "code") add({ text: node.text, style: both(style, c.cyan), ...(href ? { href } : {}) });
      else if (node.kind === "link") {
        inline(node.children, both(style, c.underline), node.href);
        if (plainText(node.children) !== node.href) add({ text: ` <${node.href}>`, style: c.dim });
      } else inline(node.children, both(style, node.kind === "bold" ? c.bold : node.kind === "italic" ? c.italic : c.strikethrough), href);
    }
  };
  parseBlocks(text).forEach((block, i) => {
    if (i > 0) lines.push([]);
    if (block.kind === "code") {
      add({ text: `\`\`\`${block.lang ?? ""}\n`, style: c.dim });
      add({ text: `${block.text}\n`, style: c.cyan });
      add({ text: "```", style: c.dim });
    } else if (block.kind === "quote") {
      const quoted = lines.length;
      inline(block.inline, c.dim);
      for (let l = quoted - 1; l < lines.length; l++) lines[l]!.unshift({ text: "▎ ", style: c.dim });
    } else inline(block.inline, undefined);
  });
  return lines;
}

/** The part [start, end) of a line's runs, each styled; with `links`, links in text hyperlinked (OSC 8), and a written link's text to its href. */
function showRuns(runs: readonly Run[], start: number, end: number, links: boolean): string {
  let out = "";
  let at = 0;
  for (const run of runs) {
    const from = Math.max(start, at);
    const to = Math.min(end, at + run.text.length);
    at += run.text.length;
    if (from >= to) continue;
    const piece = run.text.slice(from - (at - run.text.length), to - (at - run.text.length));
    const linkedPiece = !links ? piece : run.href ? osc8(run.href, piece) : hyperlinked(piece);
    out += run.style ? run.style(linkedPiece) : linkedPiece;
  }
  return out;
}

/** The instructions shown after joining. */
export function instructions(): string[] {
  return [
    "Type a message and press Enter to send it to everyone in your room.",
    ...helpLines(true).map((l) => `  ${l}`),
    "  Ctrl-D, or Ctrl-C on an empty line, also leaves (Ctrl-C clears a half-typed one).",
  ];
}

export function makeRenderer(options: RenderOptions): Renderer {
  const c = createColors(options.color);
  const now = options.now ?? Date.now;
  const s = (value: unknown) => sanitizeText(String(value ?? ""));
  const stamp = (ts: unknown) =>
    options.timestamps ? c.dim(`[${clock(typeof ts === "number" ? ts : now(), false)}] `) : "";
  const palette = [c.cyanBright, c.greenBright, c.yellowBright, c.blueBright, c.magentaBright, c.redBright];
  const who = (name: unknown) => {
    const text = s(name);
    return c.bold(palette[nameColor(text, palette.length)]!(text));
  };
  /**
   * A message: its head (time, who), then its text; on a terminal, rows after the first are
   * indented under the text. A long head (a long name on a narrow terminal) indents by two.
   */
  const hang = (head: string, text: string, style: (row: string) => string = (row) => row, format = false) => {
    const columns = options.columns?.();
    // Links made clickable row by row, once wrapped (the sequences take no columns).
    const headWidth = Bun.stringWidth(head);
    // A message of several lines: each line under the first's text, wrapped on its own; with
    // colour, its formatting (render/markdown.ts) shown as styles, applied row by row once wrapped.
    const lines: Run[][] = format && options.color && mayFormat(text) ? formattedRuns(text, c) : text.split("\n").map((line) => [{ text: line }]);
    const indent = !columns ? hangIndent(headWidth) : headWidth <= columns / 2 ? headWidth : 2;
    const rows: string[] = [];
    lines.forEach((runs, i) => {
      const plain = runs.map((r) => r.text).join("");
      const spans: [number, number][] = columns ? wrapSpans(plain, i === 0 ? columns - headWidth : columns - indent, columns - indent) : [[0, plain.length]];
      for (const [start, end] of spans) rows.push(style(showRuns(runs, start, end, options.links === true)));
    });
    return head + rows.join(`\n${" ".repeat(indent)}`);
  };
  /** A shared file after its line: its name, size and link (or how to get one). */
  const fileShown = (file: FileRef | undefined, text: string) => {
    if (!file) return "";
    const url = options.fileUrl?.(file);
    const name = s(file.name) === text ? "" : `${s(file.name)}, `;
    return c.dim(` [📎 ${name}${sizeWords(file.size)}: `) + (url ? (options.links ? osc8(url, url) : url) : c.dim(`/file ${s(file.id)}`)) + c.dim("]");
  };
  /** Sanitised text (a line, or several) after its head, standing out if it mentions us. */
  const said = (head: string, value: unknown) => {
    const text = sanitizeLines(String(value ?? ""));
    if (!mentions(text, options.me?.())) return hang(head, text, undefined, true);
    options.onMention?.();
    return hang(head, text, c.inverse, true);
  };
  /** A count from the network, if it is one. */
  const count = (n: unknown) => (typeof n === "number" && Number.isSafeInteger(n) ? n : undefined);
  /** A welcome's or /users' list, every field checked and sanitised: it came from the network. */
  const list = (event: Extract<ServerEvent, { type: "welcome" | "users" | "room" }>, limit?: number) => {
    const names = Array.isArray(event.users) ? event.users.map(s) : [];
    const away: Record<string, string> = {};
    if (event.away && typeof event.away === "object") {
      for (const [k, v] of Object.entries(event.away)) away[s(k)] = s(v);
    }
    const prefix = event.type === "users" ? event.prefix : undefined;
    const room = event.type === "welcome" ? undefined : event.room;
    return usersLine(
      {
        room: typeof room === "string" ? s(room) : undefined,
        users: names,
        away,
        count: count(event.count),
        awayCount: count(event.awayCount),
        prefix: typeof prefix === "string" ? s(prefix) : undefined,
      },
      limit,
    );
  };

  /** "[#dev] " for an event from a room other than ours; "" for ours (or none). */
  const tag = (room: unknown) => {
    const r = typeof room === "string" ? s(room) : undefined;
    return r && r !== options.room?.() ? c.dim(`[${r}] `) : "";
  };
  const topic = (t: Topic | undefined) => (t ? [c.cyan(s(topicLine(t)))] : []);

  return (event) => {
    switch (event.type) {
      case "hello":
      case "ask-password":
      case "ask-login":
      case "ask-name":
      case "ping":
        return undefined; // the client asks for the name and password itself, and answers pings
      case "welcome":
        return [
          c.green(`Joined as ${c.bold(s(event.name))}.`),
          ...instructions().map((l) => c.dim(l)),
          ...topic(event.topic),
          list(event, WELCOME_NAMES),
        ].join("\n");
      case "public":
        // A bot's line reads as nc shows it: "deploy (bot): …" (no user's name holds a space).
        return said(`${stamp(event.ts)}${tag(event.room)}${who(event.from)}${event.bot ? c.dim(" (bot)") : ""}${event.only ? c.dim(` (to ${ONLY_WORDS[event.only]})`) : ""}${c.dim(s(quoteWords(event.reply)))}: `, event.text) + fileShown(event.file, s(event.text)) + c.dim(s(stateWords(event)));
      case "private":
        return hang(`${stamp(event.ts)}${c.magenta(c.bold(`[pm from ${s(event.from)}]`))} `, sanitizeLines(event.text), c.magenta);
      case "private-sent":
        return hang(`${stamp(event.ts)}${c.magenta(`[pm to ${s(event.to)}]`)} `, sanitizeLines(event.text), c.magenta);
      // The server's own words for joins and leaves (the chat's, or a room's), sanitised: names and
      // messages came from users.
      case "join":
      case "joins":
        return `${stamp(event.ts)}${c.green(s(toText(event)))}`;
      case "leave":
      case "leaves":
        return `${stamp(event.ts)}${c.yellow(s(toText(event)))}`;
      case "users":
        return c.cyan(list(event));
      case "action":
        return c.italic(said(`${stamp(event.ts)}${tag(event.room)}* ${who(event.from)}${c.dim(s(quoteWords(event.reply)))} `, event.text)) + c.dim(s(stateWords(event)));
      // Changes to lines already on the screen, which a terminal can't redraw: said as nc says them.
      case "edit":
      case "delete":
      case "react":
        return `${stamp(event.ts)}${tag(event.room)}${c.dim(sanitizeLines(toText(event)))}`;
      case "reactions":
        return c.cyan(s(toText(event)));
      case "tagmsg":
      case "session":
        return undefined;
      case "markers": {
        const line = unreadSummary(event);
        return line === undefined ? undefined : c.cyan(s(line));
      }
      case "sessions":
        return c.dim(s(toText(event)));
      case "marker":
        return c.dim(s(toText(event)));
      case "room":
        return [
          c.green(s(firstLine(toText(event)))), // the server's words; the topic and the list styled apart
          ...topic(event.topic),
          c.cyan(list(event, WELCOME_NAMES)),
        ].join("\n");
      case "parted":
        return c.yellow(s(toText(event)));
      case "topic":
        return `${stamp(event.ts)}${tag(event.room)}${c.cyan(s(toText(event)))}`;
      case "topic-is":
        return c.cyan(s(toText(event)));
      case "rooms":
        return c.cyan(roomsText(event, s));
      case "history":
      case "search": {
        // The codec's own lines (times, markers), from fields sanitised first: they came from the network.
        const events = event.events.map((e) => cleanKept(e, s));
        const clean = event.type === "history" ? { ...event, room: s(event.room), events } : { ...event, query: s(event.query), events };
        return toText(clean)
          .split("\n")
          .map((row) => c.dim(row))
          .join("\n");
      }
      case "whois": {
        // The codec's own words, from fields sanitised first: they came from the network.
        const rooms = event.rooms?.map(s);
        const clean = { ...event, name: s(event.name), ...(event.away === undefined ? {} : { away: s(event.away) }), ...(rooms ? { rooms } : {}) };
        return c.cyan(toText(clean));
      }
      case "rename":
        return `${stamp(event.ts)}${c.cyan(s(toText(event)))}`;
      case "away":
      case "away-notice":
        return c.dim(s(toText(event)));
      case "invite":
        return `${stamp(event.ts)}${c.cyan(c.bold(s(toText(event))))}`;
      case "invite-sent":
        return c.cyan(s(toText(event)));
      case "settings":
        return undefined; // state (the change itself came as a notice)
      case "help":
        return helpBlock(typeof event.command === "string" ? event.command : undefined).join("\n");
      case "notice":
        return `${stamp(event.ts)}${c.cyan(s(toText(event)))}`;
      case "pong":
        return s(toText(event));
      case "error":
        return c.red(s(toText(event)));
      case "bye":
        return c.dim(s(toText(event)));
      case "shutdown":
        return c.red(c.bold(toText(event)));
      case "typing":
        return undefined; // shown in the prompt, not as a line (app.ts)
      case "upload":
      case "file-key":
        return undefined; // acted on, not shown (app.ts: /upload sends the file)
      default:
        return unreachable(event);
    }
  };
}

/** A line from history with every text field sanitised. */
function cleanKept(e: HistoryLine, s: (value: unknown) => string): HistoryLine {
  switch (e.type) {
    case "topic":
      return { ...e, room: s(e.room), text: s(e.text), by: s(e.by) };
    case "private":
      return { ...e, from: s(e.from), text: s(e.text) };
    case "private-sent":
      return { ...e, to: s(e.to), text: s(e.text) };
    default:
      return { ...e, room: s(e.room), from: s(e.from), text: s(e.text) };
  }
}

/** The /rooms reply, every field checked and sanitised: it came from the network. */
function roomsText(event: Extract<ServerEvent, { type: "rooms" }>, s: (value: unknown) => string): string {
  const rooms = (Array.isArray(event.rooms) ? event.rooms : []).map((r: Partial<RoomInfo> | null) => ({
    name: s(r?.name),
    count: typeof r?.count === "number" ? r.count : 0,
    ...(typeof r?.topic === "string" ? { topic: s(r.topic) } : {}),
  }));
  const count = typeof event.count === "number" ? event.count : rooms.length;
  return roomsLines({ rooms, count, ...(typeof event.prefix === "string" ? { prefix: s(event.prefix) } : {}) });
}
