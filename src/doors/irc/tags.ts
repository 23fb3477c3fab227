// What IRCv3's tags bring to the IRC door: TAGMSG (a reaction with +draft/react and +draft/reply,
// or any client's own tags, relayed to the clients that take tags), a PRIVMSG answering a line
// (+draft/reply), and REDACT (draft/message-redaction): each of them bunchat's own answer, react
// and delete, so that every door sees them.

import type { Room } from "../../core/room.ts";
import type { LineRef } from "../../protocol/messages.ts";
import { reactionOf } from "../../protocol/messages.ts";
import { type ErrorEvent, messageIdOf } from "../../protocol/events.ts";
import { NUMERIC as N } from "../../protocol/irc-numerics.ts";
import { ircLine, type IrcMessage, mask } from "../../protocol/irc.ts";
import { runCommand } from "../../core/commands/chat.ts";
import { reason } from "../../core/commands/kit.ts";
import { chain } from "../../store/history.ts";
import { channel, noSuchChannel } from "./channel.ts";
import type { IrcCommandHost } from "./commands.ts";

/** The line a tag names (+draft/reply's value) in `room`, as `find` reads it; undefined if it names none. */
export function taggedLine(m: IrcMessage): LineRef | undefined {
  const id = messageIdOf(m.tags?.get("+draft/reply"));
  return id === undefined ? undefined : { kind: "id", id };
}

/** TAGMSG <target>: a reaction when it says one (+draft/react or +draft/unreact, and +draft/reply), else relayed as it is. */
export function tagmsgCommand(c: IrcCommandHost, target: string, m: IrcMessage): void {
  const tags = c.clientTags;
  if (!tags) return; // nothing to carry
  c.target = target;
  // A typing notice alone: bunchat's own, so that the page and the client show it too (and at most one every 3 s is passed on).
  const typing = /^\+typing=(active|paused|done)$/.exec(tags);
  if (typing) {
    if (c.caps.has("echo-message")) {
      const time = c.out.tag(c.now()); // "@time=… " for a client with server-time, else ""
      c.send(`${time ? `${time.slice(0, -1)};` : "@"}+typing=${typing[1]} ${ircLine(mask(c.name), "TAGMSG", [target])}`);
    }
    return runCommand(c.session, "typing", `${typing[1]} ${target}`);
  }
  const emoji = m.tags?.get("+draft/react") ?? m.tags?.get("+draft/unreact");
  const line = taggedLine(m);
  if (target.startsWith("#")) {
    const room = channel(c, target);
    if (!room) return noSuchChannel(c, target);
    if (!room.has(c.session.me)) return c.send(c.out.numeric(N.ERR_CANNOTSENDTOCHAN, [room.name, "Cannot send to channel: join it first"]));
    const reaction = emoji === undefined ? undefined : reactionOf(emoji);
    if (line && reaction && "emoji" in reaction && c.hub.history) return react(c, room, line, reaction.emoji, m.tags?.has("+draft/react") ?? false);
    return relay(c, room, tags);
  }
  const user = c.hub.find(target);
  if (!user) return c.send(c.out.numeric(N.ERR_NOSUCHNICK, [target, "No such nick"]));
  const event = { type: "tagmsg", id: c.hub.nextId(), to: user.name, from: c.name, tags, ts: c.now() } as const;
  if (user === c.session.me) c.tellDirect(event); // to oneself: delivered as to anyone (the echo answers the label)
  else for (const d of user.devices) d.tell(event); // one of another node's users has none here: a TAGMSG is not carried between nodes
  if (c.caps.has("echo-message")) c.session.tell(event);
}

/** A reaction to a line of `room` (put on, or taken back), as /react makes it. */
function react(c: IrcCommandHost, room: Room, ref: LineRef, emoji: string, on: boolean): void {
  const ts = c.now();
  c.session.after(c.hub.messages.find(c.session.me, room, ref), (found) => {
    if ("type" in found || !found.room) return c.send(ircLine(c.server, "FAIL", ["TAGMSG", "UNKNOWN_MSGID", room.name, "There is no such message in this channel (or it is no longer kept)"], true));
    c.session.after(c.hub.messages.react(c.session.me, room, found.line, emoji, ts, on), (refused) => {
      if (refused) c.send(fail(c, "TAGMSG", "REACT_REFUSED", room.name, refused));
    });
  });
}

/** A TAGMSG bunchat has no meaning for: to the room's IRC clients that take tags (and back, with echo-message). */
function relay(c: IrcCommandHost, room: Room, tags: string): void {
  const event = { type: "tagmsg", id: c.hub.nextId(), room: room.name, from: c.name, tags, ts: c.now() } as const;
  c.hub.tellRoom(room, event, { ircOnly: true, except: c.caps.has("echo-message") ? undefined : c.session });
}

/** REDACT <target> <msgid> [reason]: bunchat's /delete of a line of a channel. */
export function redactCommand(c: IrcCommandHost, target: string, msgid: string, why: string | undefined): void {
  c.target = target;
  const me = c.session.me;
  const room = target.startsWith("#") ? channel(c, target) : undefined;
  if (target.startsWith("#") && (!room || !room.has(me))) return c.send(ircLine(c.server, "FAIL", ["REDACT", "INVALID_TARGET", target, "You are not in that channel"], true));
  const where = room ? room.name : target;
  const id = messageIdOf(msgid);
  const unknown = (words = room ? "There is no such message in this channel (or it is no longer kept)" : "There is no such message between you (or it is no longer kept)") =>
    c.send(ircLine(c.server, "FAIL", ["REDACT", "UNKNOWN_MSGID", where, msgid, words], true));
  if (id === undefined || !c.hub.history) return unknown();
  const ts = c.now();
  // A nick: a line of the private conversation with them (kept between registered users).
  const found = room
    ? c.hub.messages.find(me, room, { kind: "id", id })
    : chain(c.hub.conversations.find(me, target), (talk) => ("type" in talk ? talk : c.hub.messages.findPrivate(me, talk, id)));
  c.session.after(found, (line) => {
    if ("type" in line) return unknown(room || line.code === "unknown-line" ? undefined : line.message);
    if (room && !line.room) return unknown(); // another conversation's, named by this channel
    c.session.after(c.hub.messages.remove(me, line, reason(why ?? ""), ts), (refused) => {
      if (!refused) return;
      const code = refused.code === "not-allowed" ? "REDACT_FORBIDDEN" : refused.code === "unknown-line" ? "UNKNOWN_MSGID" : "TEMPORARILY_UNAVAILABLE";
      c.send(ircLine(c.server, "FAIL", ["REDACT", code, where, msgid, refused.message], true));
    });
  });
}

/** A FAIL for a refused TAGMSG reaction, with bunchat's reason. */
function fail(c: IrcCommandHost, command: string, code: string, target: string, refused: ErrorEvent): string {
  return ircLine(c.server, "FAIL", [command, code, target, refused.message], true);
}
