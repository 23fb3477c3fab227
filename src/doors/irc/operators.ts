// What an IRC client does beyond channels: WHOWAS, SETNAME, MONITOR, and a server admin's OPER,
// KILL and WALLOPS.

import { runCommand } from "../../core/commands/chat.ts";
import { NUMERIC as N } from "../../protocol/irc-numerics.ts";
import { IRC_HOST, ircLine, mask } from "../../protocol/irc.ts";
import { LIMITS } from "../../protocol/limits.ts";
import { foldName } from "../../protocol/names.ts";
import { sanitizeText } from "../../protocol/sanitize.ts";
import type { Device } from "../../core/room.ts";
import { verifyLogin } from "../../session/registration.ts";
import { Session } from "../../session/session.ts";
import type { IrcCommandHost } from "./commands.ts";
import { monitorsOf } from "./monitor.ts";

/** WHOWAS nick [count]: its last stays, most recent first (314, 312), then 369; none: 406. */
export function whowasCommand(c: IrcCommandHost, nick: string, count: string | undefined): void {
  const stays = c.hub.whowas.of(foldName(nick), Number.parseInt(count ?? "0", 10) || 0);
  let out = stays.length === 0 ? c.out.numeric(N.ERR_WASNOSUCHNICK, [nick, "There was no such nickname"]) : "";
  for (const gone of stays) {
    out += c.out.numeric(N.RPL_WHOWASUSER, [gone.name, gone.user, IRC_HOST, "*", gone.realname]);
    out += c.out.numeric(N.RPL_WHOISSERVER, [gone.name, c.server, new Date(gone.at).toUTCString()]);
  }
  c.send(out + c.out.numeric(N.RPL_ENDOFWHOWAS, [nick, "End of WHOWAS"]));
}

/** Longest real name (USER's, SETNAME's). */
const REALNAME_MAX = 100;

/**
 * SETNAME :real name (IRCv3 setname): the client's real name changes; it and every IRC client
 * sharing a room with it that asked for setname are told.
 */
export function setnameCommand(c: IrcCommandHost, raw: string): void {
  const realname = sanitizeText(raw).trim();
  if (realname === "" || realname.length > REALNAME_MAX) {
    return c.send(ircLine(c.server, "FAIL", ["SETNAME", "INVALID_REALNAME", `A real name is 1 to ${REALNAME_MAX} characters`], true));
  }
  c.user.realname = realname;
  const line = utf8.encode(ircLine(mask(c.name), "SETNAME", [realname], true));
  const told = new Set<Device>(c.session.me.devices);
  for (const room of c.session.me.rooms) for (const d of room.localDevices()) told.add(d);
  for (const d of told) if (d instanceof Session && hasCap(d, "setname")) d.deliver(line);
}

/** Whether an IRC client asked for a capability (false for any other member). */
function hasCap(member: Session, cap: string): boolean {
  const caps = (member.adapter as { caps?: ReadonlySet<string> }).caps;
  return caps?.has(cap) === true;
}

/** MONITOR +|- nicks, C, L, S (IRCv3). */
export function monitorCommand(c: IrcCommandHost, sub: string, list: string | undefined): void {
  const monitors = monitorsOf(c.hub);
  const client = { device: c.session, member: c.session.me, out: c.out, send: (text: string) => c.send(text) };
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

/**
 * OPER name password: a server admin (--admin, a registered name) proves it with that name's
 * password, and this connection has an admin's rights until it leaves (or MODE -o). A name that
 * is not an admin's is answered as a wrong password, after as long, so admins' names don't show.
 */
export function operCommand(c: IrcCommandHost, name: string, password: string): void {
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
      c.session.me.oper = key;
      c.session.log(`! ${c.name} is an IRC operator, as the admin ${account.name}`);
      c.send(c.out.numeric(N.RPL_YOUREOPER, [`You are now an IRC operator (${account.name}'s admin rights)`]) + ircLine(mask(c.name), "MODE", [c.name, "+o"], true));
    });
  });
}

/** KILL nick [reason]: an admin puts someone out of the chat (bunchat's /kick as an admin). */
export function killCommand(c: IrcCommandHost, nick: string, why: string | undefined): void {
  if (!c.hub.isAdmin(c.session.me)) return c.send(c.out.numeric(N.ERR_NOPRIVILEGES, ["Permission Denied- You're not an IRC operator"]));
  c.target = nick;
  const target = c.hub.find(nick);
  if (!target) return c.send(c.out.numeric(N.ERR_NOSUCHNICK, [nick, "No such nick"]));
  runCommand(c.session, "kick", `${target.name}${why ? ` ${why}` : ""}`);
}

/** WALLOPS text: from an admin to every IRC client here with user mode +w. */
export function wallopsCommand(c: IrcCommandHost, text: string): void {
  if (!c.hub.isAdmin(c.session.me)) return c.send(c.out.numeric(N.ERR_NOPRIVILEGES, ["Permission Denied- You're not an IRC operator"]));
  const line = utf8.encode(ircLine(mask(c.name), "WALLOPS", [sanitizeText(text).slice(0, LIMITS.maxLineBytes)], true));
  for (const device of c.hub.localDevices()) {
    if (device instanceof Session && device.adapter.user?.wallops) device.deliver(line);
  }
}

const utf8 = new TextEncoder();
