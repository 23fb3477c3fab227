// Moderation: server admins (--admin) kick and ban from the server; a room's owner makes
// operators, who kick and ban from the room, mute in it and lock its topic. Nobody acts on an
// admin; every action is told and logged with who did it.

import { type CommandName, splitFirst } from "../../protocol/commands.ts";
import type { ErrorEvent } from "../../protocol/events.ts";
import { foldName, hasNameShape } from "../../protocol/names.ts";
import { sanitizeText } from "../../protocol/sanitize.ts";
import { utcMinute } from "../../render/text.ts";
import { type Ban, MAX_BANS, parseDuration } from "../../store/bans.ts";
import { bannedName, isGuestKey, roleKey } from "../../store/rooms.ts";
import { inForce, runs } from "../rules.ts";
import { badUsage, type CommandContext, error, type Handler, outcome, reason, unknownUser, usage } from "./kit.ts";
import type { Member, Room } from "../room.ts";

export const moderationCommands = {
  kick(ctx, args) {
    const [name, rest] = splitFirst(args);
    if (name === "") return badUsage(ctx, "kick", "Say whom.");
    const me = ctx.me;
    const room = ctx.device.room;
    if (!ctx.hub.isAdmin(me)) {
      // An operator: out of the current room.
      if (!room || !ctx.hub.rules.isOp(me, room)) {
        return ctx.reply(error("not-allowed", "Only a room's operators (and server admins) can kick."));
      }
      const target = ctx.hub.find(name);
      if (!target || !room.has(target)) return ctx.reply(error("not-in-room", `${sanitizeText(name).slice(0, 32)} is not in ${room.name}.`));
      return kickFromRoom(ctx, room, target, rest);
    }
    const target = ctx.hub.find(name);
    if (!target) return ctx.reply(unknownUser(name));
    if (target === me) return badUsage(ctx, "kick", "You can't kick yourself; quit leaves.");
    if (ctx.hub.isAdmin(target)) return ctx.reply(error("not-allowed", `${target.name} is a server admin: admins can't kick each other.`));
    const why = reason(rest);
    const message = `by ${me.name}${why ? `: ${why}` : ""}`;
    const who = target.name;
    ctx.hub.kick(target, message);
    ctx.reply({ type: "notice", text: `${who} was kicked from the server.`, ts: ctx.now() });
    ctx.log(`! ${me.name} kicked ${who} from the server${why ? `: ${why}` : ""}`);
  },
  op(ctx, args) {
    changeOp(ctx, args, "op");
  },
  deop(ctx, args) {
    changeOp(ctx, args, "deop");
  },
  mute(ctx, args) {
    const [name, rest] = splitFirst(args);
    const checked = moderated(ctx, name, "mute");
    if ("type" in checked) return ctx.reply(checked);
    const { room, target } = checked;
    const [first] = splitFirst(rest);
    const lasts = first === "" ? undefined : parseDuration(first);
    if (first !== "" && lasts === undefined) return badUsage(ctx, "mute", "A duration is a number and s, m, h or d: 10m, 2h, 7d.");
    const key = foldName(target.name);
    const until = lasts === undefined ? 0 : ctx.now() + lasts;
    const span = lasts === undefined ? "until /unmute" : `for ${first}`;
    ctx.hub.rules.setRoles(room, (r) => ({ ...r, muted: { ...r.muted, [key]: until } }), `${ctx.me.name} muted ${target.name} in ${room.name} ${span}.`);
    ctx.log(`! ${ctx.me.name} muted ${target.name} in ${room.name} ${span}`);
  },
  unmute(ctx, args) {
    const [name] = splitFirst(args);
    const room = ctx.device.room;
    if (name === "") return badUsage(ctx, "unmute", "Say whom.");
    if (!room || !ctx.hub.rules.isOp(ctx.me, room)) return ctx.reply(error("not-allowed", "Only a room's operators (and server admins) can unmute."));
    const key = foldName(name);
    if (room.roles.muted[key] === undefined) return ctx.reply(error("bad-usage", `${sanitizeText(name).slice(0, 32)} is not muted in ${room.name}.`));
    ctx.hub.rules.setRoles(
      room,
      (r) => ({ ...r, muted: without(r.muted, key) ?? {} }),
      `${ctx.me.name} unmuted ${name} in ${room.name}.`,
    );
    ctx.log(`! ${ctx.me.name} unmuted ${name} in ${room.name}`);
  },
  ban(ctx, args) {
    if (!ctx.hub.isAdmin(ctx.me) && ctx.device.room && ctx.hub.rules.isOp(ctx.me, ctx.device.room)) return roomBan(ctx, args, ctx.device.room);
    const refused = adminOnly(ctx, "ban");
    if (refused) return ctx.reply(refused);
    const store = ctx.hub.bans;
    if (!store) return ctx.reply(error("no-accounts", "This server keeps no bans."));
    const [name, rest] = splitFirst(args);
    if (name === "") return badUsage(ctx, "ban", "Say whom.");
    if (!hasNameShape(name)) return badUsage(ctx, "ban", "Names hold only A-Z, a-z, 0-9, _ and -.");
    const [first, afterFirst] = splitFirst(rest);
    const lasts = parseDuration(first);
    const why = reason(lasts === undefined ? rest : afterFirst);
    const me = ctx.me;
    const target = ctx.hub.find(name);
    const key = foldName(name);
    if (key === foldName(me.name)) return badUsage(ctx, "ban", "You can't ban yourself.");
    if (target && ctx.hub.isAdmin(target)) {
      return ctx.reply(error("not-allowed", `${target.name} is a server admin: admins can't ban each other.`));
    }
    const now = ctx.now();
    ctx.after(
      outcome(async () => {
        const all = await store.list();
        if (all.length >= MAX_BANS && !all.some((b) => b.key === key)) {
          return error("bad-usage", `The server keeps at most ${MAX_BANS} bans; /unban some first.`);
        }
        const registered = target?.account !== undefined || (ctx.hub.accounts ? (await ctx.hub.accounts.get(key)) !== undefined : false);
        // A guest here is banned with its network too; a registered name by its account alone.
        const network = !registered && target?.node === undefined ? target?.network : undefined;
        const ban: Ban = {
          key,
          name: target?.name ?? name,
          by: me.name,
          at: now,
          ...(network ? { network } : {}),
          ...(lasts !== undefined ? { until: now + lasts } : {}),
          ...(why ? { reason: why } : {}),
        };
        await store.put(ban);
        ctx.hub.rules.bansChanged();
        return ban;
      }),
      (ban) => {
        if ("type" in ban) return ctx.reply(ban);
        const until = ban.until === undefined ? "until /unban" : `for ${first}`;
        const scope = ban.network ? ` and network ${ban.network}` : "";
        // Someone online goes now: told why, like a kick.
        const online = ctx.hub.find(ban.name);
        if (online) ctx.hub.kick(online, `by ${me.name} (banned ${until})${why ? `: ${why}` : ""}`, true);
        ctx.reply({ type: "notice", text: `${ban.name}${scope} banned from the server ${until}.`, ts: ctx.now() });
        ctx.log(`! ${me.name} banned ${ban.name}${scope} ${until}${why ? `: ${why}` : ""}`);
      },
    );
  },
  unban(ctx, args) {
    const room = ctx.device.room;
    if (!ctx.hub.isAdmin(ctx.me) && room && ctx.hub.rules.isOp(ctx.me, room)) return roomUnban(ctx, room, args);
    const refused = adminOnly(ctx, "unban");
    if (refused) return ctx.reply(refused);
    const store = ctx.hub.bans;
    if (!store) return ctx.reply(error("no-accounts", "This server keeps no bans."));
    const [name] = splitFirst(args);
    if (name === "" || !hasNameShape(name)) return badUsage(ctx, "unban", "Say whom.");
    ctx.after(outcome(async () => await store.remove(foldName(name))), (removed) => {
      ctx.hub.rules.bansChanged();
      if (typeof removed !== "boolean") return ctx.reply(removed);
      if (!removed) return ctx.reply(error("bad-usage", `${name} is not banned.`));
      ctx.reply({ type: "notice", text: `${name} is no longer banned.`, ts: ctx.now() });
      ctx.log(`! ${ctx.me.name} lifted the ban on ${name}`);
    });
  },
  bans(ctx) {
    const room = ctx.device.room;
    if (!ctx.hub.isAdmin(ctx.me) && room && ctx.hub.rules.isOp(ctx.me, room)) {
      const now = ctx.now();
      const live = Object.entries(room.roles.banned ?? {}).filter(([, until]) => inForce(until, now));
      ctx.reply({ type: "notice", text: live.length === 0 ? `Nobody is banned from ${room.name}.` : `Banned from ${room.name} (${live.length}):`, ts: now });
      for (const [key, until] of live) {
        const when = until === 0 ? "until /unban" : `until ${utcMinute(until)} UTC`;
        const network = room.roles.networks?.[key];
        ctx.reply({ type: "notice", text: `  ${bannedName(room.roles, key)}${network ? ` (and ${network})` : ""} ${when}`, ts: now });
      }
      return;
    }
    const refused = adminOnly(ctx, "bans");
    if (refused) return ctx.reply(refused);
    const store = ctx.hub.bans;
    if (!store) return ctx.reply(error("no-accounts", "This server keeps no bans."));
    ctx.after(outcome(async () => await store.list()), (all) => {
      if (!Array.isArray(all)) return ctx.reply(all);
      const now = ctx.now();
      const live = all.filter((b) => b.until === undefined || b.until > now).sort((a, b) => a.at - b.at);
      const line = (b: Ban) =>
        `${b.name}${b.network ? ` (and ${b.network})` : ""} ${b.until === undefined ? "until /unban" : `until ${utcMinute(b.until)} UTC`}, by ${b.by}${b.reason ? `: ${b.reason}` : ""}`;
      // A notice a ban: every line of them reads whole in every client.
      ctx.reply({ type: "notice", text: live.length === 0 ? "Nobody is banned." : `Bans (${live.length}):`, ts: now });
      for (const b of live) ctx.reply({ type: "notice", text: `  ${line(b)}`, ts: now });
    });
  },
} satisfies Record<string, Handler>;

/**
 * An operator's kick of `target` out of `room` (IRC's KICK always: even an admin's is of the
 * channel alone): never oneself, never a server admin; told to everyone concerned, and logged.
 */
export function kickFromRoom(ctx: CommandContext, room: Room, target: Member, rest: string): void {
  const me = ctx.me;
  if (target === me) return badUsage(ctx, "kick", "You can't kick yourself; /part leaves.");
  if (ctx.hub.isAdmin(target)) return ctx.reply(error("not-allowed", `${target.name} is a server admin: operators can't kick admins.`));
  const why = reason(rest);
  const who = target.name;
  ctx.hub.kickFromRoom(target, room, `by ${me.name}${why ? `: ${why}` : ""}`);
  ctx.log(`! ${me.name} kicked ${who} from ${room.name}${why ? `: ${why}` : ""}`);
}

/**
 * The room and the member a moderation command acts on: the actor must run its current room, the
 * target be in it, not be the actor, and not be a server admin.
 */
function moderated(ctx: CommandContext, name: string, command: CommandName): { room: Room; target: Member } | ErrorEvent {
  const room = ctx.device.room;
  if (name === "") return error("bad-usage", `Say whom. Usage: ${usage(command)}`);
  if (!room || !ctx.hub.rules.isOp(ctx.me, room)) return error("not-allowed", `Only a room's operators (and server admins) can use /${command}.`);
  const target = ctx.hub.find(name);
  if (!target || !room.has(target)) return error("not-in-room", `${sanitizeText(name).slice(0, 32)} is not in ${room.name}.`);
  if (target === ctx.me) return error("bad-usage", `Not on yourself. Usage: ${usage(command)}`);
  if (ctx.hub.isAdmin(target)) return error("not-allowed", `${target.name} is a server admin: operators can't act on admins.`);
  return { room, target };
}

/** An operator's /unban (IRC's MODE -b, an admin's too): the ban on that name in `room` is lifted. */
export function roomUnban(ctx: CommandContext, room: Room, args: string): void {
  const [name] = splitFirst(args);
  const key = foldName(name);
  if (name === "" || room.roles.banned?.[key] === undefined) {
    return ctx.reply(error("bad-usage", `${sanitizeText(name).slice(0, 32) || "Nobody"} is not banned from ${room.name}.`));
  }
  const text = `${ctx.me.name} lifted the ban on ${name} in ${room.name}.`;
  ctx.hub.rules.setRoles(room, (r) => ({ ...r, banned: without(r.banned, key), networks: without(r.networks, key), names: without(r.names, key), banners: without(r.banners, key) }), { text, by: ctx.me.name, mode: true });
  ctx.log(`! ${text}`);
}

/**
 * An operator's /ban (IRC's MODE +b, an admin's too: of the channel, not the server): out of
 * `room` (if in it), and kept out, for a while or until /unban.
 */
export function roomBan(ctx: CommandContext, args: string, room = ctx.device.room!): void {
  const [name, rest] = splitFirst(args);
  if (name === "" || !hasNameShape(name)) return badUsage(ctx, "ban", "Say whom.");
  const key = foldName(name);
  if (key === foldName(ctx.me.name)) return badUsage(ctx, "ban", "You can't ban yourself.");
  const target = ctx.hub.find(name);
  if (target && ctx.hub.isAdmin(target)) return ctx.reply(error("not-allowed", `${target.name} is a server admin: operators can't act on admins.`));
  const [first, afterFirst] = splitFirst(rest);
  const lasts = parseDuration(first);
  const why = reason(lasts === undefined ? rest : afterFirst);
  const span = lasts === undefined ? "until /unban" : `for ${first}`;
  const shown = target?.name ?? name;
  const until = lasts === undefined ? 0 : ctx.now() + lasts;
  // A guest here is kept out with its network too (a new name would do otherwise); a registered
  // name by its account alone.
  const network = target && target.account === undefined && target.node === undefined ? target.network : undefined;
  const scope = network ? ` (and network ${network})` : "";
  const text = `${ctx.me.name} banned ${shown}${scope} from ${room.name} ${span}${why ? `: ${why}` : ""}.`;
  ctx.hub.rules.setRoles(
    room,
    (r) => ({
      ...r,
      banned: { ...r.banned, [key]: until },
      networks: network ? { ...r.networks, [key]: network } : without(r.networks, key),
      names: { ...r.names, [key]: shown },
      banners: { ...r.banners, [key]: [ctx.me.name, ctx.now()] },
    }),
    { text, by: ctx.me.name, mode: true },
    () => {
      if (target && room.has(target)) ctx.hub.kickFromRoom(target, room, `by ${ctx.me.name} (banned ${span})${why ? `: ${why}` : ""}`, true);
    },
  );
  ctx.log(`! ${text}`);
}

/**
 * /op and /deop, by the room's owner or a server admin (mayRun; in a room no registered user owns,
 * by its operators), on a member of the room: a registered one in an owned room (its status is
 * kept with its account), anyone in a room a guest made (a guest's lasts while it stays).
 */
function changeOp(ctx: CommandContext, args: string, command: "op" | "deop"): void {
  const [name] = splitFirst(args);
  const room = ctx.device.room;
  const me = ctx.me;
  if (name === "") return badUsage(ctx, command, "Say whom.");
  if (!room) return ctx.reply(error("not-in-room", "You are in no room: /op and /deop act on your current room."));
  const target = ctx.hub.find(name);
  if (!target || !room.has(target)) return ctx.reply(error("not-in-room", `${sanitizeText(name).slice(0, 32)} is not in ${room.name}.`));
  const accounts = ctx.hub.accounts;
  ctx.after(
    outcome(async () => target.account !== undefined || (accounts ? (await accounts.get(foldName(target.name))) !== undefined : false)),
    (registered) => {
      if (typeof registered !== "boolean") return ctx.reply(registered);
      const owned = room.roles.owner !== undefined;
      if (command === "op" && owned && !registered) {
        return ctx.reply(error("not-allowed", `${target.name} is a guest: only registered names can be operators of a room a registered user owns.`));
      }
      // A registered name not logged in (a guest of another node can't be told apart): by its name.
      const key = target.account ?? (registered ? foldName(target.name) : roleKey(target));
      const has = runs(room.roles, key);
      if (command === "op" ? has : !has) {
        return ctx.reply(error("bad-usage", `${target.name} ${command === "op" ? "is an operator already" : "is not an operator"} of ${room.name}.`));
      }
      if (command === "deop" && room.roles.owner === key) return ctx.reply(error("not-allowed", `${target.name} owns ${room.name}: an owner stays its operator.`));
      const text =
        command === "op"
          ? `${me.name} made ${target.name} an operator of ${room.name}${isGuestKey(key) ? " (while they stay)" : ""}.`
          : `${me.name} took ${target.name}'s operator status in ${room.name}.`;
      ctx.hub.rules.setRoles(room, (r) => ({ ...r, ops: command === "op" ? [...r.ops.filter((o) => o !== key), key] : r.ops.filter((o) => o !== key) }), { text, by: me.name, mode: true });
      ctx.log(`! ${text}`);
    },
  );
}

/** The refusal for someone who is not a logged-in server admin; undefined for an admin. */
export function adminOnly(ctx: CommandContext, command: string): ErrorEvent | undefined {
  if (ctx.hub.isAdmin(ctx.me)) return undefined;
  return error("not-allowed", `Only server admins can use /${command} (--admin, logged in to their registered name).`);
}

/** `map` without `key` (undefined when nothing is left, so that stored roles stay small). */
function without<T>(map: Record<string, T> | undefined, key: string): Record<string, T> | undefined {
  if (!map) return undefined;
  const rest = Object.fromEntries(Object.entries(map).filter(([k]) => k !== key));
  return Object.keys(rest).length > 0 ? rest : undefined;
}
