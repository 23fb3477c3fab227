// The IRC door's commands once a client is registered, ergo's way: a table of records, each with
// the parameters it can't do without (when fewer come, ERR_NEEDMOREPARAMS, or the numeric IRC has
// for it) and what it does, mostly by running bunchat's own command (src/core/commands/). Anything
// else is one of bunchat's commands sent raw (REGISTER, HISTORY, MUTE…), or unknown.

import { runCommand, say } from "../../core/commands/chat.ts";
import type { Hub } from "../../core/hub.ts";
import type { Member, Room } from "../../core/room.ts";
import { lookupCommand } from "../../protocol/commands.ts";
import type { Only } from "../../protocol/events.ts";
import { NUMERIC as N } from "../../protocol/irc-numerics.ts";
import { IRC_HOST, IRC_LINE_BYTES, ircLine, type IrcMessage, mask } from "../../protocol/irc.ts";
import { foldName } from "../../protocol/names.ts";
import { LIMITS } from "../../protocol/limits.ts";
import { sanitizeText } from "../../protocol/sanitize.ts";
import { oneIrcLine, privmsgLines } from "../../render/irc.ts";
import type { PeerUser } from "../../session/adapter.ts";
import { Session } from "../../session/session.ts";
import { monitorsOf } from "./monitor.ts";
import { verifyLogin } from "../../session/registration.ts";
import { bannedName, roleKey } from "../../store/rooms.ts";
import { inviteFor, KEY_MAX, LIMIT_MAX, modeString, parseValue, SETTING_BY_LETTER, SETTINGS, validKey } from "../../core/settings.ts";
import { type Changes, changeSettings } from "../../core/commands/rooms.ts";
import { VERSION } from "../../version.ts";
import { type IrcReplies, isInvisible, isupport, type ModeChange, parseWhox, userOf, type Whox } from "./replies.ts";

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
  now(): number;
  send(text: string): void;
  /** CAP, in either phase (the door's). */
  cap(m: IrcMessage): void;
}

/** An IRC command once registered. */
interface IrcCommand {
  /** Parameters it can't do without. */
  min: number;
  /** What IRC answers when they are missing, if not ERR_NEEDMOREPARAMS. */
  missing?(c: IrcCommandHost, command: string): string;
  run(c: IrcCommandHost, params: readonly string[], message: IrcMessage): void;
}

export function command(c: IrcCommandHost, m: IrcMessage): void {
  c.answering = m.command;
  c.target = "*";
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
      for (const room of s.session.rooms) room.flushPresence(); // what happened before the PING comes before its PONG
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
  PRIVMSG: { min: 0, run: (s, p) => sendMessage(s, "PRIVMSG", p[0], p[1]) },
  NOTICE: { min: 0, run: (s, p) => sendMessage(s, "NOTICE", p[0], p[1]) },
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
    for (const room of [...c.session.rooms]) runCommand(c.session, "part", room.name);
    return;
  }
  const keys = keyList?.split(",") ?? [];
  list.split(",").slice(0, 10).forEach((name, i) => {
    if (name === "") return;
    c.target = name;
    if (!name.startsWith("#")) return c.send(c.out.numeric(N.ERR_NOSUCHCHANNEL, [name, "No such channel: room names start with #"]));
    const room = c.hub.room(name);
    if (room?.has(c.session)) return; // IRC: joining a channel one is in says nothing
    const key = keys[i];
    runCommand(c.session, "join", key && !/\s/.test(key) ? `${name} ${key}` : name);
  });
}

/**
 * The channel `name` as this client may know of it: undefined for one that does not exist, and
 * for a secret one it is not in, which is answered about in the same words (403).
 */
function channel(c: IrcCommandHost, name: string): Room | undefined {
  const room = c.hub.room(name);
  return room && c.hub.visibleTo(room, c.session) ? room : undefined;
}

/** 403 for a channel that does not exist (or is secret, to a non-member). */
function noSuchChannel(c: IrcCommandHost, name: string): void {
  c.send(c.out.numeric(N.ERR_NOSUCHCHANNEL, [name, "No such channel"]));
}

function partChannels(c: IrcCommandHost, list: string, message: string | undefined): void {
  for (const name of list.split(",").filter((n) => n !== "")) {
    c.target = name;
    const room = channel(c, name);
    if (!room) {
      noSuchChannel(c, name);
      continue;
    }
    if (!room.has(c.session)) {
      c.send(notOn(c, name));
      continue;
    }
    c.partMessage = message ? sanitizeText(message).slice(0, LIMITS.reasonMaxLength) : undefined;
    runCommand(c.session, "part", `${room.name}${message ? ` ${message}` : ""}`);
    c.partMessage = undefined;
  }
}

function sendMessage(c: IrcCommandHost, command: "PRIVMSG" | "NOTICE", to: string | undefined, raw: string | undefined): void {
  const quiet = command === "NOTICE"; // IRC: no automatic reply to a NOTICE, errors included
  c.session.lastActive = c.now(); // for WHOIS's idle time
  if (!to) return quiet ? undefined : c.send(c.out.numeric(N.ERR_NORECIPIENT, [`No recipient given (${command})`]));
  if (raw === undefined || raw === "") return quiet ? undefined : c.send(c.out.numeric(N.ERR_NOTEXTTOSEND, ["No text to send"]));
  const action = /^\u0001ACTION (.*?)\u0001?$/s.exec(raw);
  if (raw.startsWith("\u0001") && !action) return; // other CTCP (VERSION, PING…): not answered
  const said = sanitizeText(action ? action[1]! : raw).trim();
  if (said === "") return;
  for (const target of to.split(",").slice(0, 4)) {
    c.target = target;
    // A line within IRC's 512 bytes is relayed in one line, as IRC daemons do: what its source
    // adds past 512 is cut, for everyone alike. A longer one (bunchat takes 4096) arrives whole,
    // split over several lines for IRC readers.
    const text = c.lineBytes <= IRC_LINE_BYTES ? oneIrcLine(c.name, c.hub.find(target)?.name ?? target, said, action !== null) : said;
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
      if (!room.has(c.session) && !room.roles.external) {
        if (!quiet) c.send(c.out.numeric(N.ERR_CANNOTSENDTOCHAN, [room.name, "Cannot send to channel (+n): join it first"]));
        continue;
      }
      const ts = c.now();
      const event = action && !only
        ? ({ type: "action", room: room.name, from: c.name, text, ts } as const)
        : ({ type: "public" as const, room: room.name, from: c.name, text, ts, ...(quiet ? { notice: true as const } : {}), ...(only ? { only } : {}) });
      const refused = say(c.session, room, event);
      if (refused) {
        if (!quiet) c.send(c.out.numeric(N.ERR_CANNOTSENDTOCHAN, [room.name, `Cannot send to channel: ${refused.message}`]));
        continue;
      }
      if (c.caps.has("echo-message")) c.send(privmsgLines(c.name, `${only ? target[0] : ""}${room.name}`, text, action !== null, c.out.tag(ts), quiet && !action));
      continue;
    }
    const user = c.hub.find(target);
    if (!user) {
      if (!quiet) c.send(c.out.numeric(N.ERR_NOSUCHNICK, [target, "No such nick"]));
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
  if (!room.has(c.session)) return c.send(notOn(c, room.name));
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
      const room = member.rooms.find((r) => c.session.rooms.includes(r));
      if (isInvisible(member) && member !== c.session && !room) continue;
      out += c.out.whoLine(room?.name ?? "*", member, room, whox);
      shown++;
    }
  } else {
    const member = c.hub.find(target);
    const room = member?.rooms.find((r) => c.session.rooms.includes(r)) ?? member?.rooms.find((r) => c.hub.visibleTo(r, c.session));
    if (member) out += c.out.whoLine(room?.name ?? "*", member, room, whox);
  }
  c.send(out + c.out.numeric(N.RPL_ENDOFWHO, [target, "End of WHO list"]));
}

/** WHOWAS nick [count]: its last stays, most recent first (314, 312), then 369; none: 406. */
function whowasCommand(c: IrcCommandHost, nick: string, count: string | undefined): void {
  const stays = c.hub.whowas.of(foldName(nick), Number.parseInt(count ?? "0", 10) || 0);
  let out = stays.length === 0 ? c.out.numeric(N.ERR_WASNOSUCHNICK, [nick, "There was no such nickname"]) : "";
  for (const gone of stays) {
    out += c.out.numeric(N.RPL_WHOWASUSER, [gone.name, gone.user, IRC_HOST, "*", gone.realname]);
    out += c.out.numeric(N.RPL_WHOISSERVER, [gone.name, c.server, new Date(gone.at).toUTCString()]);
  }
  c.send(out + c.out.numeric(N.RPL_ENDOFWHOWAS, [nick, "End of WHOWAS"]));
}

function whoisCommand(c: IrcCommandHost, nick: string | undefined): void {
  if (!nick) return c.send(c.out.numeric(N.ERR_NONICKNAMEGIVEN, ["No nickname given"]));
  c.target = nick;
  runCommand(c.session, "whois", nick);
}

function listCommand(c: IrcCommandHost): void {
  runCommand(c.session, "rooms", "");
}

function modeCommand(c: IrcCommandHost, p: readonly string[]): void {
  const [target = "", change, ...args] = p;
  c.target = target;
  if (!target.startsWith("#")) {
    if (foldName(target) !== foldName(c.name)) return c.send(c.out.numeric(N.ERR_USERSDONTMATCH, ["Can't change mode for other users"]));
    if (change === undefined) return c.send(c.out.numeric(N.RPL_UMODEIS, [userModes(c)], false));
    return userModeChange(c, change);
  }
  const room = channel(c, target);
  if (!room) return noSuchChannel(c, target);
  if (change === undefined) {
    const mode = modeString(room.roles, room.has(c.session)).split(" ");
    return c.send(c.out.numeric(N.RPL_CHANNELMODEIS, [room.name, ...mode], false) + c.out.numeric(N.RPL_CREATIONTIME, [room.name, String(Math.floor(room.created / 1000))], false));
  }
  channelModes(c, room, change, args);
}

/**
 * MODE #channel changes…: each letter on its own (one unknown letter is 472 for it alone, as
 * InspIRCd answers), with its parameter where it takes one; the room's settings in one change (so
 * one MODE line tells it), +o/+v/+b as bunchat's /op, /voice and /ban.
 */
function channelModes(c: IrcCommandHost, room: Room, change: string, args: readonly string[]): void {
  const settings: Changes = [];
  const others: ModeChange[] = [];
  let plus = true;
  let next = 0;
  let listBans = false;
  let out = "";
  for (const letter of change) {
    if (letter === "+" || letter === "-") {
      plus = letter === "+";
      continue;
    }
    const setting = SETTING_BY_LETTER.get(letter);
    if (letter === "o" || letter === "v" || letter === "b") {
      const arg = args[next++];
      if (arg === undefined || arg === "") {
        if (letter === "b") listBans = true;
        continue;
      }
      others.push({ plus, letter, arg });
    } else if (setting?.takes === "key") {
      const arg = args[next++]; // -k takes one too, whatever it is
      if (!plus) settings.push({ setting, value: undefined });
      else if (arg === undefined) out += c.out.needMoreParams("MODE");
      else if (!validKey(arg)) out += c.out.numeric(N.ERR_INVALIDMODEPARAM, [room.name, "k", "*", `Invalid key: 1 to ${KEY_MAX} printable ASCII characters without spaces or commas`]);
      else settings.push({ setting, value: arg });
    } else if (setting?.takes === "number") {
      if (!plus) {
        settings.push({ setting, value: undefined });
        continue;
      }
      const arg = args[next++];
      const parsed = arg === undefined ? undefined : parseValue(setting, arg);
      if (parsed === undefined) out += c.out.needMoreParams("MODE");
      else if ("problem" in parsed || parsed.value === undefined) out += c.out.numeric(N.ERR_INVALIDMODEPARAM, [room.name, "l", arg || "*", `Invalid limit: a whole number from 1 to ${LIMIT_MAX}`]);
      else settings.push({ setting, value: parsed.value });
    } else if (setting) {
      // A switch; n is the other way round: +n is the default, -n lets lines in from outside.
      settings.push({ setting, value: plus !== (setting.inverted === true) ? true : undefined });
    } else {
      out += c.out.numeric(N.ERR_UNKNOWNMODE, [letter, `is not a mode bunchat rooms have (${CHANNEL_MODE_LETTERS})`]);
    }
  }
  if (listBans) out += banList(c, room);
  if (settings.length > 0 || others.length > 0) {
    if (!room.has(c.session)) return c.send(out + notOn(c, room.name));
    if (!c.hub.rules.isOp(c.session, room)) return c.send(out + c.out.numeric(N.ERR_CHANOPRIVSNEEDED, [room.name, "You're not a channel operator"]));
  }
  if (out) c.send(out);
  if (settings.length > 0) changeSettings(c.session, room, settings);
  for (const m of others) {
    if (m.letter === "b") {
      runIn(c, room, m.plus ? "ban" : "unban", m.arg!.replace(/!.*$/, ""));
      continue;
    }
    const target = c.hub.find(m.arg!);
    if (!target) {
      c.send(c.out.numeric(N.ERR_NOSUCHNICK, [m.arg!, "No such nick"]));
      continue;
    }
    if (!room.has(target)) {
      c.send(c.out.numeric(N.ERR_USERNOTINCHANNEL, [target.name, room.name, "They aren't on that channel"]));
      continue;
    }
    // A change to what is so already says nothing, as on IRC.
    const has = m.letter === "o" ? c.hub.rules.isOp(target, room) : c.hub.rules.isVoiced(target, room);
    if (has === m.plus) continue;
    const command = m.letter === "o" ? (m.plus ? "op" : "deop") : m.plus ? "voice" : "devoice";
    runIn(c, room, command, target.name);
  }
}

/** 367s and 368: the bans in force. */
function banList(c: IrcCommandHost, room: Room): string {
  const now = c.now();
  let out = "";
  for (const [key, until] of Object.entries(room.roles.banned ?? {})) {
    const [by, at] = room.roles.banners?.[key] ?? [c.server, 0];
    if (until === 0 || until > now) out += c.out.numeric(N.RPL_BANLIST, [room.name, `${bannedName(room.roles, key)}!*@*`, by, String(Math.floor(at / 1000))], false);
  }
  return out + c.out.numeric(N.RPL_ENDOFBANLIST, [room.name, "End of channel ban list"]);
}

/** The mode letters bunchat rooms have, for 472's text. */
const CHANNEL_MODE_LETTERS = `+${["b", "o", "v", ...SETTINGS.map((s) => s.letter)].join("")}`;

/** Longest real name (USER's, SETNAME's). */
const REALNAME_MAX = 100;

/**
 * SETNAME :real name (IRCv3 setname): the client's real name changes; it and every IRC client
 * sharing a room with it that asked for setname are told.
 */
function setnameCommand(c: IrcCommandHost, raw: string): void {
  const realname = sanitizeText(raw).trim();
  if (realname === "" || realname.length > REALNAME_MAX) {
    return c.send(ircLine(c.server, "FAIL", ["SETNAME", "INVALID_REALNAME", `A real name is 1 to ${REALNAME_MAX} characters`], true));
  }
  c.user.realname = realname;
  const line = utf8.encode(ircLine(mask(c.name), "SETNAME", [realname], true));
  const told = new Set<Member>([c.session]);
  for (const room of c.session.rooms) for (const m of room.localMembers()) told.add(m);
  for (const m of told) if (m instanceof Session && hasCap(m, "setname")) m.deliver(line);
}

/** Whether an IRC client asked for a capability (false for any other member). */
function hasCap(member: Session, cap: string): boolean {
  const caps = (member.adapter as { caps?: ReadonlySet<string> }).caps;
  return caps?.has(cap) === true;
}

/** MONITOR +|- nicks, C, L, S (IRCv3). */
function monitorCommand(c: IrcCommandHost, sub: string, list: string | undefined): void {
  const monitors = monitorsOf(c.hub);
  const client = { member: c.session, out: c.out, send: (text: string) => c.send(text) };
  const targets = (list ?? "").split(",").map((n) => n.trim()).filter((n) => n !== "");
  switch (sub.toUpperCase()) {
    case "+":
      if (targets.length === 0) return c.send(c.out.needMoreParams("MONITOR"));
      return monitors.add(client, targets);
    case "-":
      if (targets.length === 0) return c.send(c.out.needMoreParams("MONITOR"));
      return monitors.remove(client, targets);
    case "C":
      return monitors.clear(client);
    case "L":
      return monitors.list(client);
    case "S":
      return monitors.status(client);
    default:
      return c.send(c.out.numeric(N.ERR_UNKNOWNCOMMAND, ["MONITOR", "MONITOR takes +, -, C, L or S"]));
  }
}

/** User modes: +i (invisible to WHO masks), +w (takes WALLOPS), +B (a bot), +o (an admin who used OPER). */
function userModes(c: IrcCommandHost): string {
  return `+${c.user.invisible ? "i" : ""}${c.user.wallops ? "w" : ""}${c.user.bot ? "B" : ""}${c.session.oper !== undefined ? "o" : ""}`;
}

/** MODE nick +iw-o: each letter on its own; +o comes from OPER alone, -o gives it up. */
function userModeChange(c: IrcCommandHost, change: string): void {
  let plus = true;
  let made = "";
  let sign = "";
  let out = "";
  for (const letter of change) {
    if (letter === "+" || letter === "-") {
      plus = letter === "+";
      continue;
    }
    let changed = false;
    if (letter === "i" && c.user.invisible !== plus) [c.user.invisible, changed] = [plus, true];
    else if (letter === "w" && (c.user.wallops === true) !== plus) [c.user.wallops, changed] = [plus, true];
    else if (letter === "B" && (c.user.bot === true) !== plus) [c.user.bot, changed] = [plus, true];
    else if (letter === "o" && !plus && c.session.oper !== undefined) [c.session.oper, changed] = [undefined, true];
    else if (!"iwBo".includes(letter)) out += c.out.numeric(N.ERR_UMODEUNKNOWNFLAG, [`Unknown MODE flag ${letter}: user modes here are +i (invisible to WHO masks), +w (WALLOPS), +B (a bot) and +o (from OPER)`]);
    if (!changed) continue;
    const s = plus ? "+" : "-";
    made += (s === sign ? "" : s) + letter;
    sign = s;
  }
  c.send(out + (made ? ircLine(mask(c.name), "MODE", [c.name, made], true) : ""));
}

/**
 * OPER name password: a server admin (--admin, a registered name) proves it with that name's
 * password, and this connection has an admin's rights until it leaves (or MODE -o). A name that
 * is not an admin's is answered as a wrong password, after as long, so admins' names don't show.
 */
function operCommand(c: IrcCommandHost, name: string, password: string): void {
  const key = foldName(name);
  const wrong = () => c.send(c.out.numeric(N.ERR_PASSWDMISMATCH, ["Password incorrect"]));
  const accounts = c.hub.accounts;
  if (!accounts) return wrong();
  c.session.after(accounts.get(key), (account) => {
    if (!c.hub.admins.has(key) || !account) {
      const spent = c.hub.passwords.decoy(password);
      return c.session.after(spent === "busy" ? false : spent, wrong);
    }
    verifyLogin(c.session, { key, account }, password, (outcome) => {
      if (outcome !== "ok") return wrong();
      c.session.oper = key;
      c.session.log(`! ${c.name} is an IRC operator, as the admin ${account.name}`);
      c.send(c.out.numeric(N.RPL_YOUREOPER, [`You are now an IRC operator (${account.name}'s admin rights)`]) + ircLine(mask(c.name), "MODE", [c.name, "+o"], true));
    });
  });
}

/** KILL nick [reason]: an admin puts someone out of the chat (bunchat's /kick as an admin). */
function killCommand(c: IrcCommandHost, nick: string, why: string | undefined): void {
  if (!c.hub.isAdmin(c.session)) return c.send(c.out.numeric(N.ERR_NOPRIVILEGES, ["Permission Denied- You're not an IRC operator"]));
  c.target = nick;
  const target = c.hub.find(nick);
  if (!target) return c.send(c.out.numeric(N.ERR_NOSUCHNICK, [nick, "No such nick"]));
  runCommand(c.session, "kick", `${target.name}${why ? ` ${why}` : ""}`);
}

/** WALLOPS text: from an admin to every IRC client here with user mode +w. */
function wallopsCommand(c: IrcCommandHost, text: string): void {
  if (!c.hub.isAdmin(c.session)) return c.send(c.out.numeric(N.ERR_NOPRIVILEGES, ["Permission Denied- You're not an IRC operator"]));
  const line = utf8.encode(ircLine(mask(c.name), "WALLOPS", [sanitizeText(text).slice(0, LIMITS.maxLineBytes)], true));
  for (const member of c.hub.locals()) {
    if (member instanceof Session && member.adapter.user?.wallops) member.deliver(line);
  }
}

const utf8 = new TextEncoder();

/** INVITE nick #channel: IRC's numerics for what is wrong (in its order), else bunchat's /invite. */
function inviteCommand(c: IrcCommandHost, nick: string, name: string): void {
  c.target = nick;
  const to = c.hub.find(nick);
  if (!to) return c.send(c.out.numeric(N.ERR_NOSUCHNICK, [nick, "No such nick"]));
  const room = channel(c, name);
  if (!room) return noSuchChannel(c, name);
  if (!room.has(c.session)) return c.send(notOn(c, room.name));
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
    if (inviteFor(room.roles, key, now, c.session.visit)) out += c.out.numeric(N.RPL_INVITELIST, [room.name], false);
  }
  c.send(out + c.out.numeric(N.RPL_ENDOFINVITELIST, ["End of /INVITE list"]));
}

function kickCommand(c: IrcCommandHost, name: string, nick: string, why: string | undefined): void {
  c.target = name;
  const room = channel(c, name);
  if (!room) return noSuchChannel(c, name);
  if (!room.has(c.session)) return c.send(notOn(c, room.name));
  if (!c.hub.rules.isOp(c.session, room)) return c.send(c.out.numeric(N.ERR_CHANOPRIVSNEEDED, [room.name, "You're not a channel operator"]));
  const target = c.hub.find(nick);
  if (!target) return c.send(c.out.numeric(N.ERR_NOSUCHNICK, [nick, "No such nick"]));
  if (!room.has(target)) return c.send(c.out.numeric(N.ERR_USERNOTINCHANNEL, [target.name, room.name, "They aren't on that channel"]));
  runIn(c, room, "kick", `${target.name}${why ? ` ${why}` : ""}`);
}

/**
 * A bunchat command about `room` (they act on the current room): run with `room` current, then
 * the current room as it was (IRC has none, but the bunchat commands a client sends raw do).
 */
function runIn(c: IrcCommandHost, room: Room, command: string, args: string): void {
  const session = c.session;
  const current = session.room;
  session.room = room;
  runCommand(session, command, args);
  if (current && session.rooms.includes(current)) session.room = current;
}

/** 442: a channel c client is not on. */
function notOn(c: IrcCommandHost, channel: string): string {
  return c.out.numeric(N.ERR_NOTONCHANNEL, [channel, "You're not on that channel"]);
}

function helpCommand(c: IrcCommandHost, topic: string | undefined): void {
  const subject = topic ?? "*";
  let out = c.out.numeric(N.RPL_HELPSTART, [subject, "bunchat's IRC door: JOIN #room, PRIVMSG, PART, TOPIC, NAMES, WHO, WHOIS, AWAY, LIST, NICK, KICK, MODE +o/+b, QUIT"]);
  out += c.out.numeric(N.RPL_HELPTXT, [subject, "Every #channel is a bunchat room, shared with nc, the bunchat client and the browser."]);
  out += c.out.numeric(N.RPL_ENDOFHELP, [subject, "End of /HELP"]);
  c.send(out);
}
