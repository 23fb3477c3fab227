// The IRC door's commands once a client is registered, ergo's way: a table of records, each with
// the parameters it can't do without (when fewer come, ERR_NEEDMOREPARAMS, or the numeric IRC has
// for it) and what it does, mostly by running bunchat's own command (src/core/commands/). Anything
// else is one of bunchat's commands sent raw (REGISTER, HISTORY, MUTE…), or unknown.

import { runCommand, say } from "../../core/commands/chat.ts";
import { kickFromRoom } from "../../core/commands/moderation.ts";
import type { Hub } from "../../core/hub.ts";
import type { Member } from "../../core/room.ts";
import { inviteFor } from "../../core/settings.ts";
import { lookupCommand } from "../../protocol/commands.ts";
import type { Only, Quote, ServerEvent } from "../../protocol/events.ts";
import { NUMERIC as N } from "../../protocol/irc-numerics.ts";
import { IRC_HOST, IRC_LINE_BYTES, ircLine, type IrcMessage } from "../../protocol/irc.ts";
import { LIMITS } from "../../protocol/limits.ts";
import { sanitizeText } from "../../protocol/sanitize.ts";
import { clientTags, fromIrcFormatting, messageLines, oneIrcLine } from "../../render/irc.ts";
import { quoteOf } from "../../core/messages.ts";
import { redactCommand, taggedLine, tagmsgCommand } from "./tags.ts";
import { markreadCommand } from "./markread.ts";
import { chathistoryCommand } from "./chathistory.ts";
import { conversationKey } from "../../store/history.ts";
import type { PeerUser } from "../../session/adapter.ts";
import type { Session } from "../../session/session.ts";
import { roleKey } from "../../store/rooms.ts";
import { VERSION } from "../../version.ts";
import { channel, noSuchChannel, notOn, runIn } from "./channel.ts";
import { modeCommand } from "./modes.ts";
import { killCommand, monitorCommand, operCommand, setnameCommand, wallopsCommand, whowasCommand } from "./operators.ts";
import { ircView, type IrcReplies, isInvisible, isupport, parseWhox, userOf, type Whox } from "./replies.ts";

/** What the commands act on: the IRC client's session, its replies, and what an answer is about. */
export interface IrcCommandHost {
  readonly session: Session;
  readonly hub: Hub;
  readonly out: IrcReplies;
  /** The server's name (--irc-name), and the client's nick. */
  readonly server: string;
  readonly name: string;
  readonly caps: ReadonlySet<string>;
  readonly user: PeerUser;
  /** What the command being answered is about (a nick, a channel), the command, a PART's message. */
  target: string;
  answering: string;
  partMessage: string | undefined;
  /** Bytes of the line being answered, its tags aside, with its CRLF (IRC's 512 counts them so). */
  readonly lineBytes: number;
  /** The client's own tags ("+…") on the line being answered, escaped as they are relayed. */
  readonly clientTags: string | undefined;
  /** An event for this client now, outside any labeled answer (a message to oneself, as delivered). */
  tellDirect(event: ServerEvent): void;
  now(): number;
  send(text: string): void;
  /** CAP, in either phase (the door's). */
  cap(m: IrcMessage): void;
  /** A reference for a batch this client is sent, its own. */
  nextBatch(): string;
}

/** An IRC command once registered. */
interface IrcCommand {
  /** Parameters it can't do without. */
  min: number;
  /** What IRC answers when they are missing, if not ERR_NEEDMOREPARAMS. */
  missing?(c: IrcCommandHost, command: string): string;
  run(c: IrcCommandHost, params: readonly string[], message: IrcMessage): void;
}

/** `concat`: m is a message of several lines a draft/multiline batch made (its text sanitised; multiline.ts). */
export function command(c: IrcCommandHost, m: IrcMessage, concat?: number[]): void {
  c.answering = m.command;
  c.target = "*";
  if (concat !== undefined && (m.command === "PRIVMSG" || m.command === "NOTICE")) return sendMessage(c, m.command, m.params[0], m.params[1], m, concat);
  const spec = COMMANDS[m.command];
  if (!spec) return bunchatCommand(c, m);
  // One place for what a command lacks: ERR_NEEDMOREPARAMS, or the numeric IRC has for it.
  if (m.params.length < spec.min || m.params.slice(0, spec.min).some((p) => p === "")) {
    return c.send(spec.missing ? spec.missing(c, m.command) : c.out.needMoreParams(m.command));
  }
  spec.run(c, m.params, m);
}

/** bunchat's own commands (REGISTER, HISTORY, SEARCH, MUTE…) as raw IRC commands; else ERR_UNKNOWNCOMMAND. */
function bunchatCommand(c: IrcCommandHost, m: IrcMessage): void {
  const name = lookupCommand(m.command.toLowerCase());
  if (!name) return c.send(c.out.numeric(N.ERR_UNKNOWNCOMMAND, [m.command, "Unknown command"]));
  // IRCv3's REGISTER <account> <email|*> <password>: the password is the last.
  const p = m.params;
  const args = name === "register" && p.length >= 3 ? p[2]! : p.join(" ");
  return runCommand(c.session, name, args);
}

/**
 * The IRC commands once registered, ergo's way: each with the parameters it can't do without
 * (`min`; when fewer come, ERR_NEEDMOREPARAMS unless `missing` says what IRC answers instead)
 * and what it does. Anything else is one of bunchat's own commands, or unknown.
 */
const COMMANDS: Record<string, IrcCommand> = {
  PING: {
    min: 0, // "PING :" (an empty token) is answered; only none at all is ERR_NOORIGIN
    run(s, p) {
      if (p[0] === undefined) return s.send(s.out.numeric(N.ERR_NOORIGIN, ["No origin specified"]));
      for (const room of s.session.me.rooms) room.flushPresence(); // what happened before the PING comes before its PONG
      s.send(ircLine(s.server, "PONG", [s.server, p[0]], true));
    },
  },
  PONG: { min: 0, run() {} },
  CAP: { min: 0, run: (s, _p, m) => s.cap(m) },
  PASS: { min: 0, run: (s) => s.send(s.out.numeric(N.ERR_ALREADYREGISTERED, ["You may not reregister"])) },
  USER: { min: 0, run: (s) => s.send(s.out.numeric(N.ERR_ALREADYREGISTERED, ["You may not reregister"])) },
  // SASL after registration is not offered (IRCv3 allows 462 for it): one logs in while connecting.
  AUTHENTICATE: { min: 0, run: (s) => s.send(s.out.numeric(N.ERR_ALREADYREGISTERED, ["You may not reregister: SASL is for while connecting"])) },
  QUIT: { min: 0, run: (s, p) => s.session.quit(p[0] ? sanitizeText(p[0]).slice(0, LIMITS.reasonMaxLength) : undefined) },
  NICK: {
    min: 1,
    missing: (s) => s.out.numeric(N.ERR_NONICKNAMEGIVEN, ["No nickname given"]),
    run(s, p) {
      if (p[0] === s.name) return; // IRC: a change to the same nick says nothing
      s.target = p[0]!;
      s.session.rename(p[0]!);
    },
  },
  JOIN: { min: 1, run: (s, p) => joinChannels(s, p[0]!, p[1]) },
  PART: { min: 1, run: (s, p) => partChannels(s, p[0]!, p[1]) },
  // Their own numerics for what is missing, and none at all for a NOTICE: in message().
  PRIVMSG: { min: 0, run: (s, p, m) => sendMessage(s, "PRIVMSG", p[0], p[1], m) },
  NOTICE: { min: 0, run: (s, p, m) => sendMessage(s, "NOTICE", p[0], p[1], m) },
  TAGMSG: { min: 1, run: (s, p, m) => tagmsgCommand(s, p[0]!, m) },
  REDACT: { min: 2, run: (s, p) => redactCommand(s, p[0]!, p[1]!, p[2]) },
  MARKREAD: { min: 0, run: (s, p) => markreadCommand(s, p[0], p[1]) },
  CHATHISTORY: { min: 0, run: (s, p) => chathistoryCommand(s, p) },
  TOPIC: { min: 1, run: (s, p) => topicCommand(s, p[0]!, p[1]) },
  NAMES: { min: 0, run: (s, p) => namesCommand(s, p[0]) },
  WHO: { min: 0, run: (s, p) => whoCommand(s, p[0], parseWhox(p[1])) },
  WHOIS: { min: 0, run: (s, p) => whoisCommand(s, p.length > 1 ? p[1] : p[0]) },
  WHOWAS: {
    min: 1,
    missing: (s) => s.out.numeric(N.ERR_NONICKNAMEGIVEN, ["No nickname given"]),
    run: (s, p) => whowasCommand(s, p[0]!, p[1]),
  },
  AWAY: { min: 0, run: (s, p) => (p[0] ? runCommand(s.session, "away", p[0]) : runCommand(s.session, "back", "")) },
  LIST: { min: 0, run: (s) => listCommand(s, ) },
  LUSERS: { min: 0, run: (s) => s.send(s.out.lusers()) },
  MOTD: { min: 0, run: (s) => s.send(s.out.motd()) },
  MODE: { min: 1, run: (s, p) => modeCommand(s, p) },
  INVITE: { min: 0, run: (s, p) => (p.length === 0 ? inviteList(s) : p.length < 2 ? s.send(s.out.needMoreParams("INVITE")) : inviteCommand(s, p[0]!, p[1]!)) },
  KICK: { min: 2, run: (s, p) => kickCommand(s, p[0]!, p[1]!, p[2]) },
  OPER: { min: 2, run: (s, p) => operCommand(s, p[0]!, p[1]!) },
  MONITOR: { min: 1, run: (s, p) => monitorCommand(s, p[0]!, p[1]) },
  SETNAME: { min: 1, run: (s, p) => setnameCommand(s, p[0]!) },
  KILL: { min: 1, run: (s, p) => killCommand(s, p[0]!, p[1]) },
  WALLOPS: { min: 1, run: (s, p) => wallopsCommand(s, p[0]!) },
  VERSION: {
    min: 0,
    run: (s) => s.send(s.out.numeric(N.RPL_VERSION, [`bunchat-${VERSION}`, s.server, "IRC door"]) + isupport().map((l) => s.out.numeric(N.RPL_ISUPPORT, [...l, "are supported by c server"])).join("")),
  },
  TIME: { min: 0, run: (s) => s.send(s.out.numeric(N.RPL_TIME, [s.server, new Date(s.now()).toUTCString()])) },
  INFO: {
    min: 0,
    run: (s) => s.send(s.out.numeric(N.RPL_INFO, [`bunchat ${VERSION}: one chat for IRC, nc, its own client and the browser`]) + s.out.numeric(N.RPL_ENDOFINFO, ["End of INFO list"])),
  },
  HELP: { min: 0, run: (s, p) => helpCommand(s, p[0]) },
  HELPOP: { min: 0, run: (s, p) => helpCommand(s, p[0]) },
  USERHOST: {
    min: 0,
    run: (s, p) =>
      s.send(s.out.numeric(N.RPL_USERHOST, [p.slice(0, 5).map((n) => s.hub.find(n)).filter((u): u is Member => u !== undefined).map((u) => `${u.name}=${s.hub.awayReason(u) === undefined ? "+" : "-"}${userOf(u)}@${IRC_HOST}`).join(" ")])),
  },
  ISON: {
    min: 0,
    run: (s, p) => s.send(s.out.numeric(N.RPL_ISON, [p.join(" ").split(/\s+/).filter((n) => n && s.hub.find(n)).map((n) => s.hub.find(n)!.name).join(" ")])),
  },
};

/** JOIN #a,#b key-a,key-b: each with its key (a key is never part of a room name: no space, no comma). */
function joinChannels(c: IrcCommandHost, list: string, keyList: string | undefined): void {
  if (list === "0") {
    for (const room of [...c.session.me.rooms]) runCommand(c.session, "part", room.name);
    return;
  }
  const keys = keyList?.split(",") ?? [];
  list.split(",").slice(0, 10).forEach((name, i) => {
    if (name === "") return;
    c.target = name;
    if (!name.startsWith("#")) return c.send(c.out.numeric(N.ERR_NOSUCHCHANNEL, [name, "No such channel: room names start with #"]));
    const room = c.hub.room(name);
    if (room?.has(c.session.me)) return; // IRC: joining a channel one is in says nothing
    const key = keys[i];
    runCommand(c.session, "join", key && !/\s/.test(key) ? `${name} ${key}` : name);
  });
}

function partChannels(c: IrcCommandHost, list: string, message: string | undefined): void {
  for (const name of list.split(",").filter((n) => n !== "")) {
    c.target = name;
    const room = channel(c, name);
    if (!room) {
      noSuchChannel(c, name);
      continue;
    }
    if (!room.has(c.session.me)) {
      c.send(notOn(c, name));
      continue;
    }
    c.partMessage = message ? sanitizeText(message).slice(0, LIMITS.reasonMaxLength) : undefined;
    runCommand(c.session, "part", `${room.name}${message ? ` ${message}` : ""}`);
    c.partMessage = undefined;
  }
}

/**
 * PRIVMSG and NOTICE, to channels and nicks. `concat` (a draft/multiline batch's message): `raw` is
 * its lines, sanitised, said as they are; where its pieces continued a line, for IRC readers.
 */
function sendMessage(c: IrcCommandHost, command: "PRIVMSG" | "NOTICE", to: string | undefined, raw: string | undefined, m: IrcMessage, concat?: number[]): void {
  const quiet = command === "NOTICE"; // IRC: no automatic reply to a NOTICE, errors included
  c.session.member!.lastActive = c.now(); // for WHOIS's idle time
  if (!to) return quiet ? undefined : c.send(c.out.numeric(N.ERR_NORECIPIENT, [`No recipient given (${command})`]));
  if (raw === undefined || raw.trim() === "") return quiet ? undefined : c.send(c.out.numeric(N.ERR_NOTEXTTOSEND, ["No text to send"]));
  const action = concat ? null : /^\u0001ACTION (.*?)\u0001?$/s.exec(raw);
  if (!concat && raw.startsWith("\u0001") && !action) return; // other CTCP (VERSION, PING…): not answered
  // Its IRC formatting (^B bold…) as the Markdown the other clients show, then cleaned as any line.
  const said = concat ? raw : sanitizeText(fromIrcFormatting(action ? action[1]! : raw)).trim();
  if (said === "") return;
  // A line within IRC's 512 bytes is relayed in one line, as IRC daemons do: what its source adds
  // past 512 is cut, for everyone alike. A longer one (bunchat takes 4096) arrives whole, split over
  // several lines for IRC readers.
  const fit = (relayedTo: string) => (!concat && c.lineBytes <= IRC_LINE_BYTES ? oneIrcLine(c.name, relayedTo, said, action !== null) : said);
  for (const target of to.split(",").slice(0, 4)) {
    c.target = target;
    // STATUSMSG: "@#room" for its operators, "+#room" for its voiced members and operators.
    const only: Only | undefined = target.startsWith("@#") ? "operators" : target.startsWith("+#") ? "voiced" : undefined;
    if (target.startsWith("#") || only) {
      const name = only ? target.slice(1) : target;
      const room = channel(c, name);
      if (!room) {
        if (!quiet) noSuchChannel(c, name);
        continue;
      }
      // +n (every room but those set "external"): only members send lines to it.
      if (!room.has(c.session.me) && !room.roles.external) {
        if (!quiet) c.send(c.out.numeric(N.ERR_CANNOTSENDTOCHAN, [room.name, "Cannot send to channel (+n): join it first"]));
        continue;
      }
      const ts = c.now();
      const text = fit(`${only ? target[0] : ""}${room.name}`);
      const tags = c.clientTags;
      const say1 = (reply: Quote | undefined) => {
        // Built plain, its rarer fields added when there: a line is said thousands of times a second.
        const event: Extract<ServerEvent, { type: "public" | "action" }> =
          action && !only ? { type: "action", id: c.hub.nextId(), room: room.name, from: c.name, text, ts } : { type: "public", id: c.hub.nextId(), room: room.name, from: c.name, text, ts };
        if (event.type === "public" && quiet) event.notice = true;
        if (event.type === "public" && only) event.only = only;
        if (tags) event.tags = tags;
        if (reply) event.reply = reply;
        if (concat && concat.length > 0) event.concat = concat;
        const refused = say(c.session, room, event);
        if (refused) {
          if (!quiet) c.send(c.out.numeric(N.ERR_CANNOTSENDTOCHAN, [room.name, `Cannot send to channel: ${refused.message}`]));
          return;
        }
        if (c.caps.has("echo-message")) c.send(messageLines(ircView(c.caps), c.name, `${only ? target[0] : ""}${room.name}`, text, event, action !== null, clientTags(event), quiet && !action));
      };
      // A line that answers another (+draft/reply) carries its quote when the line is found here.
      const ref = taggedLine(m);
      if (!ref || !c.hub.history || only) say1(undefined);
      else c.session.after(c.hub.messages.find(c.session.me, room, ref), (line) => say1("type" in line ? undefined : quoteOf(line.line.event)));
      continue;
    }
    const user = c.hub.find(target);
    if (!user) {
      if (!quiet) c.send(c.out.numeric(N.ERR_NOSUCHNICK, [target, "No such nick"]));
      continue;
    }
    const text = fit(user.name);
    if (user === c.session.me) {
      // To oneself, as IRC allows: delivered, and echoed (the echo answers a labeled command).
      const said = { id: c.hub.nextId(), text: action ? `* ${c.name} ${text}` : text, ts: c.now(), ...(quiet ? { notice: true as const } : {}), ...(c.clientTags ? { tags: c.clientTags } : {}) };
      // A registered user's notes to itself are kept as its conversation with itself (CHATHISTORY reads them).
      const account = c.session.me.account;
      if (!quiet && account !== undefined && c.hub.conversations.keeping) c.hub.conversations.keepIn(conversationKey(account, account), c.name, said);
      c.tellDirect({ type: "private", from: c.name, ...said });
      c.session.tell({ type: "private-sent", to: c.name, ...said });
      continue;
    }
    runCommand(c.session, "pm", `${user.name} ${action ? `* ${c.name} ${text}` : text}`);
  }
}

function topicCommand(c: IrcCommandHost, name: string, text: string | undefined): void {
  c.target = name;
  const room = channel(c, name);
  if (!room) return noSuchChannel(c, name);
  if (text === undefined) return c.send(c.out.topicLines(room));
  if (!room.has(c.session.me)) return c.send(notOn(c, room.name));
  runIn(c, room, "topic", text === "" ? "-" : text);
}



/** NAMES #a: its names and 366; NAMES #a,#b: each one's names, then one 366 for the list. */
function namesCommand(c: IrcCommandHost, list: string | undefined): void {
  if (!list) return c.send(c.out.numeric(N.RPL_ENDOFNAMES, ["*", "End of /NAMES list"]));
  const names = list.split(",").filter((n) => n !== "").slice(0, 10);
  let out = "";
  for (const name of names) {
    const room = channel(c, name);
    if (room) out += c.out.namesLines(room, false);
  }
  c.send(out + c.out.numeric(N.RPL_ENDOFNAMES, [list, "End of /NAMES list"]));
}


/** WHO #channel, WHO nick, or WHO mask (* and ? over nicks): at most 200 lines. */
function whoCommand(c: IrcCommandHost, query: string | undefined, whox: Whox | undefined): void {
  const target = query ?? "*";
  let out = "";
  if (target.startsWith("#")) {
    const room = channel(c, target);
    if (room) for (const n of room.names.all()) {
      const member = c.hub.find(n);
      if (member) out += c.out.whoLine(room.name, member, room, whox);
    }
  } else if (/[*?]/.test(target)) {
    const pattern = new RegExp(`^${target.replace(/!.*$/, "").replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
    let shown = 0;
    for (const n of c.hub.names()) {
      if (shown >= 200) break;
      const member = c.hub.find(n);
      if (!member || !pattern.test(n)) continue;
      const room = member.rooms.find((r) => c.session.me.rooms.includes(r));
      if (isInvisible(member) && member !== c.session.me && !room) continue;
      out += c.out.whoLine(room?.name ?? "*", member, room, whox);
      shown++;
    }
  } else {
    const member = c.hub.find(target);
    const room = member?.rooms.find((r) => c.session.me.rooms.includes(r)) ?? member?.rooms.find((r) => c.hub.visibleTo(r, c.session.me));
    if (member) out += c.out.whoLine(room?.name ?? "*", member, room, whox);
  }
  c.send(out + c.out.numeric(N.RPL_ENDOFWHO, [target, "End of WHO list"]));
}

function whoisCommand(c: IrcCommandHost, nick: string | undefined): void {
  if (!nick) return c.send(c.out.numeric(N.ERR_NONICKNAMEGIVEN, ["No nickname given"]));
  c.target = nick;
  runCommand(c.session, "whois", nick);
}

function listCommand(c: IrcCommandHost): void {
  runCommand(c.session, "rooms", "");
}

/** INVITE nick #channel: IRC's numerics for what is wrong (in its order), else bunchat's /invite. */
function inviteCommand(c: IrcCommandHost, nick: string, name: string): void {
  c.target = nick;
  const to = c.hub.find(nick);
  if (!to) return c.send(c.out.numeric(N.ERR_NOSUCHNICK, [nick, "No such nick"]));
  const room = channel(c, name);
  if (!room) return noSuchChannel(c, name);
  if (!room.has(c.session.me)) return c.send(notOn(c, room.name));
  if (room.has(to)) return c.send(c.out.numeric(N.ERR_USERONCHANNEL, [to.name, room.name, "is already on channel"]));
  c.target = room.name;
  runCommand(c.session, "invite", `${to.name} ${room.name}`);
}

/** INVITE alone: the invitations this client holds (336), then 337. */
function inviteList(c: IrcCommandHost): void {
  const key = roleKey(c.session);
  const now = c.now();
  let out = "";
  for (const room of c.hub.roomsWithInvites()) {
    if (inviteFor(room.roles, key, now, c.session.me.visit)) out += c.out.numeric(N.RPL_INVITELIST, [room.name], false);
  }
  c.send(out + c.out.numeric(N.RPL_ENDOFINVITELIST, ["End of /INVITE list"]));
}

function kickCommand(c: IrcCommandHost, name: string, nick: string, why: string | undefined): void {
  c.target = name;
  const room = channel(c, name);
  if (!room) return noSuchChannel(c, name);
  if (!room.has(c.session.me)) return c.send(notOn(c, room.name));
  if (!c.hub.rules.isOp(c.session.me, room)) return c.send(c.out.numeric(N.ERR_CHANOPRIVSNEEDED, [room.name, "You're not a channel operator"]));
  const target = c.hub.find(nick);
  if (!target) return c.send(c.out.numeric(N.ERR_NOSUCHNICK, [nick, "No such nick"]));
  if (!room.has(target)) return c.send(c.out.numeric(N.ERR_USERNOTINCHANNEL, [target.name, room.name, "They aren't on that channel"]));
  c.target = room.name;
  kickFromRoom(c.session, room, target, why ?? ""); // of the channel alone, an admin's too (bunchat's /kick by an admin is of the server)
}

function helpCommand(c: IrcCommandHost, topic: string | undefined): void {
  const subject = topic ?? "*";
  let out = c.out.numeric(N.RPL_HELPSTART, [subject, "bunchat's IRC door: JOIN #room, PRIVMSG, PART, TOPIC, NAMES, WHO, WHOIS, AWAY, LIST, NICK, KICK, MODE +o/+b, QUIT"]);
  out += c.out.numeric(N.RPL_HELPTXT, [subject, "Every #channel is a bunchat room, shared with nc, the bunchat client and the browser."]);
  out += c.out.numeric(N.RPL_ENDOFHELP, [subject, "End of /HELP"]);
  c.send(out);
}
