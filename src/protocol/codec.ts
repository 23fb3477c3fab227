// The two wire encodings of a server event: plain text for people on nc/telnet, JSON lines for
// the bundled client. Encoded bytes are shared by every recipient in that mode.

import { COMMANDS } from "./commands.ts";
import type { ClientHello, LeaveReason, Mode, ServerEvent } from "./events.ts";

const utf8 = new TextEncoder();

/** The event as one line of the wire, newline included, before it is turned into bytes. */
export function wireLine(event: ServerEvent, mode: Mode): string {
  return mode === "json" ? `${JSON.stringify(event)}\n` : `${toText(event)}\n`;
}

export function encode(event: ServerEvent, mode: Mode): Uint8Array {
  return utf8.encode(wireLine(event, mode));
}

/** An event with its encodings computed at most once each, however many recipients it has. */
export class Encoded {
  private text?: Uint8Array;
  private json?: Uint8Array;
  private textLine?: string;
  private jsonLine?: string;
  constructor(readonly event: ServerEvent) {}
  bytes(mode: Mode): Uint8Array {
    if (mode === "json") return (this.json ??= utf8.encode(this.line("json")));
    return (this.text ??= utf8.encode(this.line("text")));
  }
  /** The line as text: a turn of many events is joined as text and encoded once. */
  line(mode: Mode): string {
    if (mode === "json") return (this.jsonLine ??= wireLine(this.event, "json"));
    return (this.textLine ??= wireLine(this.event, "text"));
  }
}

/** Command help as aligned lines, shared by the text mode and the bundled client. */
export function helpLines(): string[] {
  const width = Math.max(...COMMANDS.map((c) => c.usage.length));
  return [
    `${"<text>".padEnd(width)}  send a message to everyone`,
    ...COMMANDS.map((c) => `${c.usage.padEnd(width)}  ${c.summary}`),
  ];
}

/** The answer to /help, or to /help <command>. */
export function helpBlock(command?: string): string[] {
  const spec = command === undefined ? undefined : COMMANDS.find((c) => c.name === command);
  if (spec) {
    const aliases = spec.aliases.length > 0 ? ` (also ${spec.aliases.map((a) => `/${a}`).join(", ")})` : "";
    return [`${spec.usage}${aliases}: ${spec.summary}.`, `  ${spec.about}`, `  Example: ${spec.example}`];
  }
  return ["Commands:", ...helpLines().map((l) => `  ${l}`), "  //text  send a message that starts with /"];
}

/** Names shown when joining. A 10,000-name welcome is 70 KB nobody reads. */
export const WELCOME_NAMES = 50;
/**
 * Names a /users reply holds at most: past this it is a summary, and /users <prefix> finds someone.
 * A full list of 2000 users with away reasons was 236 KB for a 7-byte command.
 */
export const USERS_SHOWN = 100;

/** What a list of who is online says: the names shown, and how many there are in all. */
export interface UsersList {
  users: readonly string[];
  away?: Readonly<Record<string, string>>;
  /** Everyone in the list, shown or not (default: those shown). */
  count?: number;
  awayCount?: number;
  prefix?: string;
}

/** "Online (N): …" for the welcome and /users, with "and K more" when not everyone is shown. */
export function usersLine(list: UsersList, limit = Number.POSITIVE_INFINITY): string {
  const away = list.away ?? {};
  const shown = list.users.slice(0, limit).map((name) => (name in away ? `${name} (away: ${away[name]})` : name));
  const count = Math.max(list.count ?? 0, list.users.length);
  if (list.prefix !== undefined && count === 0) return `Nobody online has a name starting with "${list.prefix}".`;
  const more = count - shown.length;
  const awayNote = list.awayCount ? `; ${list.awayCount} away` : "";
  const tail = more > 0 ? ` and ${more} more${awayNote} (/users <start of a name> finds someone)` : "";
  const title = list.prefix === undefined ? "Online" : `Online, starting with "${list.prefix}"`;
  return `${title} (${count}): ${shown.join(", ")}${tail}`;
}

/** "a, b, c and 7 more": the names shown, and how many of `count` were not. */
export function andMore(shown: readonly string[], count: number): string {
  const more = count - shown.length;
  return more > 0 ? `${shown.join(", ")} and ${more} more` : shown.join(", ");
}

/** How a leave reason reads in a sentence. */
export const LEAVE_WORDS: Record<LeaveReason, string> = {
  quit: "quit",
  disconnected: "disconnected",
  "too-slow": "dropped: not reading",
  "timed-out": "timed out",
  flooding: "dropped: flooding",
  "server-stopped": "their server was stopped",
  "server-lost": "their server stopped answering",
  "server-restarted": "their server restarted",
};

/** The human-readable form of an event: what an nc user sees. */
export function toText(event: ServerEvent): string {
  switch (event.type) {
    case "hello":
      return `Welcome to bunchat ${event.server}.`;
    case "ask-password":
      return "This server needs a password:";
    case "ask-name":
      return "Enter your username:";
    case "welcome":
      return [
        `Hi ${event.name}, you are in. Type a line and press Enter to send it to everyone.`,
        ...helpLines().map((l) => `  ${l}`),
        usersLine(event, WELCOME_NAMES),
      ].join("\n");
    case "public":
      return `${event.from}: ${event.text}`;
    case "private":
      return `[pm from ${event.from}] ${event.text}`;
    case "private-sent":
      return `[pm to ${event.to}] ${event.text}`;
    case "join":
      return `--> ${event.name} joined the chat`;
    case "leave":
      return `<-- ${event.name} left the chat (${LEAVE_WORDS[event.reason]})`;
    case "joins":
      return `--> ${event.count} joined the chat: ${andMore(event.names, event.count)}`;
    case "leaves":
      return `<-- ${event.count} left the chat: ${andMore(
        event.users.map((u) => `${u.name} (${LEAVE_WORDS[u.reason]})`),
        event.count,
      )}`;
    case "users":
      return usersLine(event);
    case "action":
      return `* ${event.from} ${event.text}`;
    case "rename":
      return `--- ${event.from} is now known as ${event.to}`; // not "* …": /me could write that
    case "away":
      return event.reason === null ? "You are back." : `You are marked as away: ${event.reason}`;
    case "away-notice":
      return `${event.name} is away: ${event.reason}`;
    case "help":
      return helpBlock(event.command).join("\n");
    case "notice":
      return `-- ${event.text}`;
    case "pong":
      return `pong ${event.token}`;
    case "ping":
      return "ping";
    case "error":
      return `! ${event.message}`;
    case "bye":
      return event.name ? `Goodbye, ${event.name}!` : "Goodbye!";
    case "shutdown":
      return "!! The server is shutting down. Goodbye!";
    default:
      return unreachable(event);
  }
}

export function unreachable(value: never): never {
  throw new Error(`unhandled event: ${JSON.stringify(value)}`);
}

/** Reads the first line of a structured client; undefined if it is not a hello at all. */
export function parseClientHello(line: string): ClientHello | { error: string } | undefined {
  if (!line.startsWith("{")) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { error: "The first line looks like JSON but does not parse." };
  }
  if (typeof value !== "object" || value === null || (value as { type?: unknown }).type !== "hello") {
    return { error: 'A structured client must start with {"type":"hello","proto":1}.' };
  }
  const proto = (value as { proto?: unknown }).proto;
  if (typeof proto !== "number") return { error: 'The hello needs "proto": 1.' };
  return value as ClientHello;
}

const EVENT_TYPES = new Set<string>([
  "action",
  "rename",
  "away",
  "away-notice",
  "hello",
  "ask-password",
  "ask-name",
  "welcome",
  "public",
  "private",
  "private-sent",
  "join",
  "leave",
  "joins",
  "leaves",
  "users",
  "help",
  "notice",
  "pong",
  "ping",
  "error",
  "bye",
  "shutdown",
] satisfies ServerEvent["type"][]);

/** Reads one JSON line from the server; undefined for anything that is not a known event. */
export function decodeEvent(line: string): ServerEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const type = (value as { type?: unknown }).type;
  return typeof type === "string" && EVENT_TYPES.has(type) ? (value as ServerEvent) : undefined;
}
