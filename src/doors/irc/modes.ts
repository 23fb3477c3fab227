// MODE: a channel's modes, which are its room's settings (core/settings.ts), operators, voice and
// bans, each letter taken on its own; and a client's own user modes (+i, +w, +B, +o).

import { type Changes, changeSettings } from "../../core/commands/rooms.ts";
import { roomBan, roomUnban } from "../../core/commands/moderation.ts";
import type { Room } from "../../core/room.ts";
import { KEY_MAX, LIMIT_MAX, modeString, parseValue, SETTING_BY_LETTER, SETTINGS, validKey } from "../../core/settings.ts";
import { NUMERIC as N } from "../../protocol/irc-numerics.ts";
import { ircLine, mask } from "../../protocol/irc.ts";
import { foldName } from "../../protocol/names.ts";
import { bannedName } from "../../store/rooms.ts";
import { inForce } from "../../core/rules.ts";
import { channel, noSuchChannel, notOn, runIn } from "./channel.ts";
import type { IrcCommandHost } from "./commands.ts";
import type { ModeChange } from "./replies.ts";

export function modeCommand(c: IrcCommandHost, p: readonly string[]): void {
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
    const mode = modeString(room.roles, room.has(c.session.me)).split(" ");
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
    if (!room.has(c.session.me)) return c.send(out + notOn(c, room.name));
    if (!c.hub.rules.isOp(c.session.me, room)) return c.send(out + c.out.numeric(N.ERR_CHANOPRIVSNEEDED, [room.name, "You're not a channel operator"]));
  }
  if (out) c.send(out);
  if (settings.length > 0) changeSettings(c.session, room, settings);
  for (const m of others) {
    if (m.letter === "b") {
      // Of the channel alone, an admin's too (bunchat's /ban by an admin is of the server).
      const name = m.arg!.replace(/!.*$/, "");
      if (m.plus) roomBan(c.session, name, room);
      else roomUnban(c.session, room, name);
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
    if (inForce(until, now)) out += c.out.numeric(N.RPL_BANLIST, [room.name, `${bannedName(room.roles, key)}!*@*`, by, String(Math.floor(at / 1000))], false);
  }
  return out + c.out.numeric(N.RPL_ENDOFBANLIST, [room.name, "End of channel ban list"]);
}

/** The mode letters bunchat rooms have, for 472's text. */
const CHANNEL_MODE_LETTERS = `+${["b", "o", "v", ...SETTINGS.map((s) => s.letter)].join("")}`;

/** User modes: +i (invisible to WHO masks), +w (takes WALLOPS), +B (a bot), +o (an admin who used OPER). */
function userModes(c: IrcCommandHost): string {
  return `+${c.user.invisible ? "i" : ""}${c.user.wallops ? "w" : ""}${c.user.bot ? "B" : ""}${c.session.me.oper !== undefined ? "o" : ""}`;
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
    else if (letter === "o" && !plus && c.session.me.oper !== undefined) [c.session.me.oper, changed] = [undefined, true];
    else if (!"iwBo".includes(letter)) out += c.out.numeric(N.ERR_UMODEUNKNOWNFLAG, [`Unknown MODE flag ${letter}: user modes here are +i (invisible to WHO masks), +w (WALLOPS), +B (a bot) and +o (from OPER)`]);
    if (!changed) continue;
    const s = plus ? "+" : "-";
    made += (s === sign ? "" : s) + letter;
    sign = s;
  }
  c.send(out + (made ? ircLine(mask(c.name), "MODE", [c.name, made], true) : ""));
}
