// Private rooms: a room's settings (/room: invite-only, secret, a key, a limit, moderated, the topic
// lock), voice in a moderated room, and invitations. Who may run each is the command table's
// "who" (kit.ts, mayRun); what each setting means is core/settings.ts.

import { splitFirst } from "../../protocol/commands.ts";
import type { ErrorEvent } from "../../protocol/events.ts";
import { foldName, hasNameShape } from "../../protocol/names.ts";
import { sanitizeText } from "../../protocol/sanitize.ts";
import { settingsWords } from "../../render/text.ts";
import { isGuestKey, roleKey, type RoomRoles } from "../../store/rooms.ts";
import type { Member, Room } from "../room.ts";
import { INVITE_LASTS_MS, inviteFor, needsInvite, parseValue, type Setting, SETTING_BY_WORD, SETTINGS, settingsOf, withInvite } from "../settings.ts";
import { badUsage, type CommandContext, error, type Handler, notInRoom, outcome, unknownUser } from "./kit.ts";

/** The same inviter inviting the same name to the same room again within this is refused (an invite storm at someone). */
export const INVITE_AGAIN_MS = 60_000;

export const roomCommands = {
  room(ctx, args) {
    const room = ctx.device.room;
    if (!room) return ctx.reply(notInRoom());
    if (args.trim() === "") return ctx.reply({ type: "notice", text: describe(room), ts: ctx.now() });
    const changes = parseChanges(args);
    if ("problem" in changes) return badUsage(ctx, "room", changes.problem);
    if (!changeSettings(ctx, room, changes)) ctx.reply({ type: "notice", text: `${room.name} is like that already.`, ts: ctx.now() });
  },
  voice(ctx, args) {
    changeVoice(ctx, args, true);
  },
  devoice(ctx, args) {
    changeVoice(ctx, args, false);
  },
  invite(ctx, args) {
    const [target, rest] = splitFirst(args);
    if (target === "") return badUsage(ctx, "invite", "Say whom to invite.");
    const named = rest.trim();
    const room = named === "" ? ctx.device.room : ctx.hub.room(named);
    // A room one is not in reads the same whether it exists or not (a secret one must not show).
    if (!room || !room.has(ctx.me)) {
      return ctx.reply(named === "" ? notInRoom() : error("not-in-room", `You are not in ${sanitizeText(named).slice(0, 40)}: invite people to a room you are in.`));
    }
    if (needsInvite(room.roles) && !ctx.hub.rules.isOp(ctx.me, room)) {
      return ctx.reply(error("not-allowed", `${room.name} is invite-only: only its operators (and server admins) can invite to it.`));
    }
    const to = ctx.hub.find(target);
    if (to) return inviteOnline(ctx, room, to);
    // Offline: a registered name may be invited, to come in later.
    if (!hasNameShape(target)) return ctx.reply(unknownUser(target));
    const accounts = ctx.hub.accounts;
    ctx.after(outcome(async () => (accounts ? await accounts.get(foldName(target)) : undefined) ?? null), (account) => {
      if (account !== null && "type" in account) return ctx.reply(account);
      if (account === null || !room.has(ctx.me)) return ctx.reply(unknownUser(target));
      const refused = invited(ctx, room, foldName(target), account.name, undefined);
      if (refused) return ctx.reply(refused);
      ctx.reply({ type: "notice", text: `${account.name} is not online: your invite to ${room.name} holds for 24 hours, for their next /join of it.`, ts: ctx.now() });
    });
  },
} satisfies Record<string, Handler>;

function inviteOnline(ctx: CommandContext, room: Room, to: Member): void {
  if (room.has(to)) return ctx.reply(error("already-in-room", `${to === ctx.me ? "You are" : `${to.name} is`} in ${room.name} already.`));
  const refused = invited(ctx, room, roleKey(to), to.name, to.account === undefined ? to.visit : undefined);
  if (refused) return ctx.reply(refused);
  if (!ctx.hub.send(to, { type: "invite", from: ctx.me.name, room: room.name, ts: ctx.now() }, ctx.me)) {
    return ctx.reply(error("unreachable", `${to.name} is on another server, which can't be reached right now; not sent.`));
  }
  ctx.reply({ type: "invite-sent", to: to.name, room: room.name });
  const away = ctx.hub.awayReason(to);
  if (away !== undefined) ctx.reply({ type: "away-notice", name: to.name, reason: away });
}

/**
 * Keeps an invitation of `key` (shown as `name`; `visit`: a guest's stay) to `room` from `ctx.me`;
 * the refusal if the same was made a moment ago.
 */
function invited(ctx: CommandContext, room: Room, key: string, name: string, visit: string | undefined): ErrorEvent | undefined {
  const now = ctx.now();
  const earlier = inviteFor(room.roles, key, now, visit);
  if (earlier && earlier.by === ctx.me.name && now - earlier.at < INVITE_AGAIN_MS) {
    return error("bad-usage", `You invited ${name} to ${room.name} less than a minute ago; the invite holds.`);
  }
  const invite = { by: ctx.me.name, name, at: now, until: now + INVITE_LASTS_MS, ...(visit !== undefined ? { visit } : {}) };
  ctx.hub.rules.setRoles(room, (r) => withInvite(r, key, invite, now)); // not logged: who invites whom is nobody else's business
  return undefined;
}

/** What /room shows: the settings, in words, and what they mean. */
function describe(room: Room): string {
  const words = settingsWords(settingsOf(room.roles, true) ?? {});
  if (words === "") return `${room.name} is a public room: anyone may join it and speak. Its operators change that with /room (/help room).`;
  const on = SETTINGS.filter((s) => s.get(room.roles) !== undefined);
  return `${room.name} is ${words}:\n${on.map((s) => `  ${s.word}: ${s.about}`).join("\n")}`;
}

export type Changes = { setting: Setting; value: true | string | number | undefined }[];

/** "invite-only on limit 20 key off": each setting's word and its value. */
function parseChanges(args: string): Changes | { problem: string } {
  const words = args.trim().split(/\s+/);
  const changes: Changes = [];
  for (let i = 0; i < words.length; i += 2) {
    const word = words[i]!.toLowerCase();
    const setting = SETTING_BY_WORD.get(word);
    if (!setting) return { problem: `"${sanitizeText(word).slice(0, 32)}" is not a setting (${SETTINGS.map((s) => s.word).join(", ")}).` };
    const typed = words[i + 1];
    if (typed === undefined) return { problem: `Say ${setting.takes === "switch" ? "on or off" : "a value or off"} after ${setting.word}.` };
    const parsed = parseValue(setting, setting.takes === "key" ? typed : typed.toLowerCase());
    if ("problem" in parsed) return parsed;
    changes.push({ setting, value: parsed.value });
    // A secret room is joined by invitation (IRC's +s alone hides a room and no more: MODE +s).
    if (setting.word === "secret" && parsed.value !== undefined) changes.push({ setting: SETTING_BY_WORD.get("invite-only")!, value: true });
  }
  return changes;
}

/** Settings changed by an operator: kept, sent to every node, and told to everyone in the room; false if they were so already. */
export function changeSettings(ctx: CommandContext, room: Room, changes: Changes): boolean {
  const apply = (r: RoomRoles) => changes.reduce((roles, c) => c.setting.put(roles, c.value), r);
  const after = apply(room.roles);
  if (after === room.roles) return false;
  const words = settingsWords(settingsOf(after, false) ?? {});
  const text = `${ctx.me.name} changed the settings of ${room.name}: ${words === "" ? "it is a public room now" : `it is ${words}`}.`;
  ctx.hub.rules.setRoles(room, apply, { text, by: ctx.me.name, mode: true });
  ctx.log(`! ${text}`);
  return true;
}

/** /voice and /devoice: on someone in the operator's current room. */
function changeVoice(ctx: CommandContext, args: string, give: boolean): void {
  const command = give ? "voice" : "devoice";
  const [name] = splitFirst(args);
  if (name === "") return badUsage(ctx, command, "Say whom.");
  const room = ctx.device.room; // mayRun: an operator of it, or an admin
  if (!room) return ctx.reply(notInRoom());
  const target = ctx.hub.find(name);
  if (!target || !room.has(target)) return ctx.reply(error("not-in-room", `${sanitizeText(name).slice(0, 32)} is not in ${room.name}.`));
  const key = roleKey(target);
  if (ctx.hub.rules.isVoiced(target, room) === give) {
    return ctx.reply(error("bad-usage", `${target.name} ${give ? "has voice already" : "has no voice"} in ${room.name}.`));
  }
  const text = give
    ? `${ctx.me.name} gave ${target.name} voice in ${room.name}${isGuestKey(key) ? " (while they stay)" : ""}.`
    : `${ctx.me.name} took ${target.name}'s voice in ${room.name}.`;
  ctx.hub.rules.setRoles(
    room,
    (r) => {
      const voiced = (r.voiced ?? []).filter((k) => k !== key);
      if (give) voiced.push(key);
      const { voiced: _, ...rest } = r;
      return voiced.length > 0 ? { ...rest, voiced } : rest;
    },
    { text, by: ctx.me.name, mode: true },
  );
  ctx.log(`! ${text}`);
}
