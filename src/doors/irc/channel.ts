// How an IRC command finds the channel it names (a secret one is, to a non-member, a channel that
// does not exist: 403) and runs one of bunchat's commands in it.

import { runCommand } from "../../core/commands/chat.ts";
import type { Room } from "../../core/room.ts";
import { NUMERIC as N } from "../../protocol/irc-numerics.ts";
import type { IrcCommandHost } from "./commands.ts";

/**
 * The channel `name` as this client may know of it: undefined for one that does not exist, and
 * for a secret one it is not in, which is answered about in the same words (403).
 */
export function channel(c: IrcCommandHost, name: string): Room | undefined {
  const room = c.hub.room(name);
  return room && c.hub.visibleTo(room, c.session.me) ? room : undefined;
}

/** 403 for a channel that does not exist (or is secret, to a non-member). */
export function noSuchChannel(c: IrcCommandHost, name: string): void {
  c.send(c.out.numeric(N.ERR_NOSUCHCHANNEL, [name, "No such channel"]));
}

/**
 * A bunchat command about `room` (they act on the current room): run with `room` current, then
 * the current room as it was (IRC has none, but the bunchat commands a client sends raw do).
 */
export function runIn(c: IrcCommandHost, room: Room, command: string, args: string): void {
  const session = c.session;
  const current = session.room;
  session.room = room;
  runCommand(session, command, args);
  if (current && session.me.rooms.includes(current)) session.room = current;
}

/** 442: a channel c client is not on. */
export function notOn(c: IrcCommandHost, channel: string): string {
  return c.out.numeric(N.ERR_NOTONCHANNEL, [channel, "You're not on that channel"]);
}
