// What every command handler shares: the context it acts in, and the ways it answers (errors, a
// usage hint). The handlers themselves are in commands.ts (chat, rooms, history),
// account-commands.ts (registered names, /ignore, /whois) and moderation.ts (admins, operators).

import { type CommandName, COMMANDS, commandSpec } from "../../protocol/commands.ts";
import type { Encoded } from "../../render/codec.ts";
import type { ErrorEvent, ServerEvent } from "../../protocol/events.ts";
import { LIMITS } from "../../protocol/limits.ts";
import { sanitizeText } from "../../protocol/sanitize.ts";
import type { Cursor, Maybe } from "../../store/history.ts";
import type { Hub } from "../hub.ts";
import type { Device, Member, Room } from "../room.ts";
import { utcMinute } from "../../render/text.ts";

/** What a command may touch: the hub, its own session, the clock and the log. */
export interface CommandContext {
  /** Who runs the command: the member, whichever of its connections it came from. */
  readonly me: Member;
  /** The connection it came from: its current room, and where its answers go. */
  readonly device: Device;
  readonly hub: Hub;
  /** An event for this user only; an Encoded one is shared (the /users reply, encoded once per change). */
  reply(event: ServerEvent | Encoded): void;
  quit(): void;
  /** /nick: checks the name like a first one, renames, tells everyone. */
  rename(to: string): void;
  now(): number;
  /** The address of ours the connection reached (for links a text client is given); undefined for a page's. */
  readonly localAddress?: string | undefined;
  log(line: string): void;
  /** An IRC client's own tags on the line being run ("+…", escaped), carried with what it says. */
  readonly tags?: string;
  /** The line being run was an IRC NOTICE: what it says is a notice (not to be answered automatically). */
  readonly notice?: boolean;
  /** Whether a line said in a room now goes in the log (the first CHAT_LOG_PER_SECOND a second do). */
  logsChatLine(): boolean;
  /** The page's session this connection signed in with, or was given (what /logout alone signs out). */
  readonly signedInWith?: string;
  /** Per room this user is in: where its /history goes on from (the earliest line it has been shown). */
  readonly historyFrom: Map<string, Cursor>;
  /**
   * Goes on with `value` at once, or once it comes (a store in Redis): this user's next lines wait
   * meanwhile, so that answers come in the order asked.
   */
  after<T>(value: Maybe<T>, then: (value: T) => void): void;
}

export type Handler = (ctx: CommandContext, args: string) => void;

export const usage = (name: CommandName) => COMMANDS.find((c) => c.name === name)!.usage;

export function badUsage(ctx: CommandContext, name: CommandName, problem: string): void {
  ctx.reply(error("bad-usage", `${problem} Usage: ${usage(name)}`));
}

export function error(code: ErrorEvent["code"], message: string): ErrorEvent {
  return { type: "error", code, message };
}

/** A reason given with /away or /part, cleaned and cut to size; undefined if none. */
export function reason(text: string): string | undefined {
  return sanitizeText(text).trim().slice(0, LIMITS.reasonMaxLength) || undefined;
}

/** A /pm to someone not online. */
export function unknownUser(target: string): ErrorEvent {
  return error("unknown-user", `No user named "${sanitizeText(target)}" is online. /users shows who is.`);
}

/**
 * Whether `ctx.me` may run `name` with `args`, by the command table's "who": the refusal if not.
 * Operators and owners are of one's current room; server admins may run everything.
 */
export function mayRun(ctx: CommandContext, name: CommandName, args: string): ErrorEvent | undefined {
  const spec = commandSpec(name);
  if (spec.who === "anyone" || (spec.showsToAnyone && args.trim() === "") || ctx.hub.isAdmin(ctx.me)) return undefined;
  if (spec.who === "admins") return error("not-allowed", `Only server admins can use /${name} (--admin, logged in to their registered name).`);
  const room = ctx.device.room;
  // A room no registered user owns is run by its operators, owners' commands included.
  if (room && (spec.who === "operators" || room.roles.owner === undefined ? ctx.hub.rules.isOp(ctx.me, room) : room.roles.owner === ctx.me.account)) return undefined;
  const whose = spec.who === "owners" ? "owner" : "operators";
  return error("not-allowed", `Only a room's ${whose} (and server admins) can use /${name}.`);
}

/**
 * A line or /me from `ctx.me` to `room`: said, counted, kept and logged; or, for someone muted
 * there (or without voice in a moderated room), not sent and they are told so (each line, as IRC's
 * 404 does; flood control paces them). Undefined when said, else the refusal (the IRC door words
 * its own).
 */
export function say(ctx: CommandContext, room: Room, event: Extract<ServerEvent, { type: "public" | "action" }>): ErrorEvent | undefined {
  const until = ctx.hub.rules.mutedUntil(ctx.me, room);
  if (until !== undefined) {
    const span = until === 0 ? "until an operator lifts it" : `until ${utcMinute(until)} UTC`;
    return error("not-allowed", `You are muted in ${room.name} (${span}): that was not sent.`);
  }
  if (room.roles.moderated && !ctx.hub.rules.isOp(ctx.me, room) && !ctx.hub.rules.isVoiced(ctx.me, room)) {
    return error("not-allowed", `${room.name} is moderated: only its operators and those with voice speak (ask one of its operators for /voice). That was not sent.`);
  }
  ctx.hub.say(room, event, ctx.me, ctx.device);
  ctx.hub.typing.said(ctx.me, room.name); // its typing there is over: the others see the line
  if (ctx.device.echo) ctx.reply(event); // its own line back, with its id (the page shows it from this)
  if (ctx.logsChatLine()) ctx.log(saidLogLine(ctx.hub, event)); // in a flood, counted rather than worded
  return undefined;
}

/** How the log words a line said in a room: a bot's marked, the room named unless it is the default one. */
export function saidLogLine(hub: Hub, event: Extract<ServerEvent, { type: "public" | "action" }>): string {
  const where = hub.inRoom(event.room);
  const text = logged(event.text);
  if (event.type === "action") return `* ${event.from} ${text}${where}`;
  return `[Broadcast message from ${event.from}${event.bot ? " (bot)" : ""}${where}] ${text}`;
}

/** Characters of a line the log keeps: a room flooded with 4000-byte lines must not write gigabytes of log. */
export const LOG_TEXT_MAX = 300;

/** A line's text as the log keeps it: whole, or its start and how much more there was. */
export function logged(text: string): string {
  // A message of several lines is one line of the log: each line after the first as " ⏎ ".
  if (text.includes("\n")) text = text.replaceAll("\n", " ⏎ ");
  return text.length <= LOG_TEXT_MAX ? text : `${text.slice(0, LOG_TEXT_MAX)}… (${text.length - LOG_TEXT_MAX} more characters)`;
}

/** A plain line, /me or /topic from someone in no room. */
export function notInRoom(): ErrorEvent {
  return error("not-in-room", "You are in no room, so that went nowhere: /join a room (/rooms lists them).");
}

/**
 * Runs the steps of an account command; its result, or the error for whoever asked when a store
 * could not answer (never a rejection for the session).
 */
export function outcome<T>(steps: () => Promise<T>): Promise<T | ErrorEvent> {
  return steps().catch(() => error("no-accounts", "Registered names can't be reached right now; try again in a moment."));
}
