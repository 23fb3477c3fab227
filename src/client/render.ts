// How the bundled client shows each server event: sender first, private and system lines
// visibly distinct, colours only when asked for, and nothing from the network unsanitised.

import { createColors } from "picocolors";
import { helpBlock, helpLines, LEAVE_WORDS, unreachable, usersLine, WELCOME_NAMES } from "../protocol/codec.ts";
import type { ServerEvent } from "../protocol/events.ts";
import { sanitizeText } from "../protocol/sanitize.ts";
import { clock } from "../time.ts";

export interface RenderOptions {
  color: boolean;
  timestamps: boolean;
  /** Clock for events that carry no time of their own. */
  now?: () => number;
  /** Our own name, for highlighting lines that mention it. */
  me?: () => string | undefined;
  /** Called when a line is highlighted because it mentions us (the client rings the bell). */
  onMention?: () => void;
}

/** True when `text` names `me` as a whole word, ignoring case ("sam," yes; "samuel" no). */
export function mentions(text: string, me: string | undefined): boolean {
  if (!me) return false;
  const at = text.toLowerCase().indexOf(me.toLowerCase());
  if (at === -1) return false;
  const word = /[A-Za-z0-9_-]/;
  const before = text[at - 1];
  const after = text[at + me.length];
  if ((before === undefined || !word.test(before)) && (after === undefined || !word.test(after))) return true;
  return mentions(text.slice(at + 1), me); // a later occurrence may be a whole word
}

/** Each name's colour: the same name always gets the same one (FNV-1a of the folded name). */
export function nameColor(name: string, palette: number): number {
  let hash = 0x811c9dc5;
  for (const ch of name.toLowerCase()) hash = Math.imul(hash ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return hash % palette;
}

export type Renderer = (event: ServerEvent) => string | undefined;

/** The instructions shown after joining. */
export function instructions(): string[] {
  return [
    "Type a message and press Enter to send it to everyone.",
    ...helpLines().map((l) => `  ${l}`),
    "  Ctrl-C or Ctrl-D also leave.",
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
  /** Sanitised text, standing out if it mentions us. */
  const said = (value: unknown) => {
    const text = s(value);
    if (!mentions(text, options.me?.())) return text;
    options.onMention?.();
    return c.inverse(text);
  };
  const list = (users: unknown, limit?: number, away?: unknown) => {
    const names = Array.isArray(users) ? users.map(s) : [];
    const reasons: Record<string, string> = {};
    if (away && typeof away === "object") for (const [k, v] of Object.entries(away)) reasons[s(k)] = s(v);
    return usersLine(names, limit, reasons);
  };

  return (event) => {
    switch (event.type) {
      case "hello":
      case "ask-password":
      case "ask-name":
      case "ping":
        return undefined; // the client asks for the name and password itself, and answers pings
      case "welcome":
        return [
          c.green(`Joined as ${c.bold(s(event.name))}.`),
          ...instructions().map((l) => c.dim(l)),
          list(event.users, WELCOME_NAMES, event.away),
        ].join("\n");
      case "public":
        return `${stamp(event.ts)}${who(event.from)}: ${said(event.text)}`;
      case "private":
        return `${stamp(event.ts)}${c.magenta(`${c.bold(`[pm from ${s(event.from)}]`)} ${s(event.text)}`)}`;
      case "private-sent":
        return `${stamp(event.ts)}${c.magenta(`[pm to ${s(event.to)}] ${s(event.text)}`)}`;
      case "join":
        return `${stamp(event.ts)}${c.green(`--> ${s(event.name)} joined the chat`)}`;
      case "leave":
        return `${stamp(event.ts)}${c.yellow(`<-- ${s(event.name)} left the chat (${s(LEAVE_WORDS[event.reason] ?? event.reason)})`)}`;
      case "users":
        return c.cyan(list(event.users, undefined, event.away));
      case "action":
        return `${stamp(event.ts)}${c.italic(`* ${who(event.from)} ${said(event.text)}`)}`;
      case "rename":
        return `${stamp(event.ts)}${c.cyan(`* ${s(event.from)} is now known as ${c.bold(s(event.to))}`)}`;
      case "away":
        return c.dim(event.reason === null ? "You are back." : `You are marked as away: ${s(event.reason)}`);
      case "away-notice":
        return c.dim(`${s(event.name)} is away: ${s(event.reason)}`);
      case "help":
        return helpBlock(typeof event.command === "string" ? event.command : undefined).join("\n");
      case "notice":
        return `${stamp(event.ts)}${c.cyan(`-- ${s(event.text)}`)}`;
      case "pong":
        return `pong ${s(event.token)}`;
      case "error":
        return c.red(`! ${s(event.message)}`);
      case "bye":
        return c.dim(event.name ? `Goodbye, ${s(event.name)}!` : "Goodbye!");
      case "shutdown":
        return c.red(c.bold("!! The server is shutting down."));
      default:
        return unreachable(event);
    }
  };
}
