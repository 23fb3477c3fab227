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
  const list = (users: unknown, limit?: number) => usersLine(Array.isArray(users) ? users.map(s) : [], limit);

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
          list(event.users, WELCOME_NAMES),
        ].join("\n");
      case "public":
        return `${stamp(event.ts)}${c.bold(s(event.from))}: ${s(event.text)}`;
      case "private":
        return `${stamp(event.ts)}${c.magenta(`${c.bold(`[pm from ${s(event.from)}]`)} ${s(event.text)}`)}`;
      case "private-sent":
        return `${stamp(event.ts)}${c.magenta(`[pm to ${s(event.to)}] ${s(event.text)}`)}`;
      case "join":
        return `${stamp(event.ts)}${c.green(`--> ${s(event.name)} joined the chat`)}`;
      case "leave":
        return `${stamp(event.ts)}${c.yellow(`<-- ${s(event.name)} left the chat (${s(LEAVE_WORDS[event.reason] ?? event.reason)})`)}`;
      case "users":
        return c.cyan(list(event.users));
      case "help":
        return helpBlock().join("\n");
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
