// A room's settings (IRC's channel modes): who may come in (invite-only, secret, a key, a limit)
// and who may speak (moderated, with voice). One table says each setting's word for /room, its IRC
// letter, what value it takes and how it reads; /room, IRC's MODE and the page all go through it.
// They are part of the room's roles (store/rooms.ts): kept, and sent to every node, like them.

import type { RoomSettings } from "../protocol/events.ts";
import { type Invite, isGuestKey, type RoomRoles } from "../store/rooms.ts";

/** Invitations kept per room at most; past it, the oldest lapse first. */
export const MAX_INVITES = 100;
/** How long an invitation holds when unused. */
export const INVITE_LASTS_MS = 24 * 3600_000;
/** Longest room key (IRC's RFC says 23; InspIRCd takes 32). */
export const KEY_MAX = 32;
/** Highest member limit. */
export const LIMIT_MAX = 100_000;

/** One setting: its /room word, its IRC mode letter, and how it is read from and made in roles. */
export interface Setting {
  readonly word: string;
  readonly letter: string;
  /** The IRC mode is on when the setting is off (+n: no lines from outside, the default). */
  readonly inverted?: boolean;
  /** What it takes when set ("on" for a switch). */
  readonly takes: "switch" | "key" | "number";
  /** For /help and /room: what it does. */
  readonly about: string;
  /** Its value in `roles`: `true` for a switch that is on; undefined: off. */
  get(roles: RoomRoles): true | string | number | undefined;
  /** `roles` with it set to `value` (undefined: off); the same roles if nothing changes. */
  put(roles: RoomRoles, value: true | string | number | undefined): RoomRoles;
}

/** A setting kept as an optional field of the roles: `true` for a switch, else its value. */
function setting(
  word: string,
  letter: string,
  field: "inviteOnly" | "secret" | "moderated" | "locked" | "key" | "limit" | "external",
  takes: Setting["takes"],
  about: string,
  inverted = false,
): Setting {
  const valueOf = (v: unknown) =>
    takes === "switch" ? (v === true ? true : undefined) : typeof v === (takes === "key" ? "string" : "number") ? (v as string | number) : undefined;
  return {
    word,
    letter,
    ...(inverted ? { inverted } : {}),
    takes,
    about,
    get: (r) => valueOf(r[field]),
    put: (r, value) => {
      const v = valueOf(value);
      if (valueOf(r[field]) === v) return r;
      const next: RoomRoles = { ...r };
      if (v === undefined) delete next[field];
      else Object.assign(next, { [field]: v });
      return next;
    },
  };
}

export const SETTINGS: readonly Setting[] = [
  setting("invite-only", "i", "inviteOnly", "switch", "only those invited (/invite) and its operators may join"),
  setting("secret", "s", "secret", "switch", "not listed, and answered about as if it did not exist, to anyone not in it (/room secret on makes it invite-only too)"),
  setting("key", "k", "key", "key", "a password /join must give: /join #room <key>"),
  setting("limit", "l", "limit", "number", "at most this many members (those in already stay)"),
  setting("moderated", "m", "moderated", "switch", "only operators and members with voice (/voice) may speak"),
  setting("topic-lock", "t", "locked", "switch", "only operators may set the topic"),
  setting("external", "n", "external", "switch", "anyone online may send it lines without joining it (IRC's -n)", true),
];

export const SETTING_BY_WORD = new Map(SETTINGS.map((s) => [s.word, s]));
export const SETTING_BY_LETTER = new Map(SETTINGS.map((s) => [s.letter, s]));

/** A value for `setting` as typed ("on", "off", a key, a number): the value, or why it can't be. */
export function parseValue(setting: Setting, typed: string): { value: true | string | number | undefined } | { problem: string } {
  if (typed === "off" || typed === "-") return { value: undefined };
  switch (setting.takes) {
    case "switch":
      return typed === "on" || typed === "" ? { value: true } : { problem: `${setting.word} is on or off.` };
    case "key":
      return validKey(typed) ? { value: typed } : { problem: `A key is 1 to ${KEY_MAX} printable ASCII characters without spaces or commas.` };
    case "number": {
      const n = /^\d{1,6}$/.test(typed) ? Number(typed) : Number.NaN;
      return n >= 1 && n <= LIMIT_MAX ? { value: n } : { problem: `A limit is a whole number from 1 to ${LIMIT_MAX}.` };
    }
  }
}

/** Whether `key` can be a room key: what an IRC JOIN can carry (no space, no comma). */
export function validKey(key: string): boolean {
  return key.length >= 1 && key.length <= KEY_MAX && /^[\x21-\x2b\x2d-\x7e]+$/.test(key);
}

/** A room's settings as a member sees them (`member`: with the key itself), or as others do. */
export function settingsOf(roles: RoomRoles, member: boolean): RoomSettings | undefined {
  const s: RoomSettings = {
    ...(roles.inviteOnly ? { inviteOnly: true as const } : {}),
    ...(roles.secret ? { secret: true as const } : {}),
    ...(roles.key !== undefined ? { keyed: true as const, ...(member ? { key: roles.key } : {}) } : {}),
    ...(roles.limit !== undefined ? { limit: roles.limit } : {}),
    ...(roles.moderated ? { moderated: true as const } : {}),
    ...(roles.locked ? { topicLocked: true as const } : {}),
    ...(roles.external ? { external: true as const } : {}),
  };
  return Object.keys(s).length > 0 ? s : undefined;
}

/** Whether two rooms' roles differ in a setting. */
export function settingsChanged(a: RoomRoles, b: RoomRoles): boolean {
  return SETTINGS.some((s) => s.get(a) !== s.get(b));
}

/** Whether a setting's IRC mode letter is on in `roles` (+n is on when lines from outside are not let in). */
export function modeOn(s: Setting, roles: RoomRoles): boolean {
  return (s.get(roles) !== undefined) !== (s.inverted === true);
}

/** IRC's view: "+nt", "+iklnt key 20" (the key to members only, as IRC shows it). */
export function modeString(roles: RoomRoles, member: boolean): string {
  let letters = "";
  const args: string[] = [];
  for (const s of SETTINGS) {
    if (!modeOn(s, roles)) continue;
    const v = s.get(roles);
    letters += s.letter;
    if (s.takes === "key") args.push(member ? String(v) : "*");
    else if (s.takes === "number") args.push(String(v));
  }
  return [`+${letters}`, ...args].join(" ");
}

/** Whether someone must be invited to come in. */
export function needsInvite(roles: RoomRoles): boolean {
  return roles.inviteOnly === true;
}

/**
 * The invitation `key` holds in `roles` at `now`, if it may still be used: unlapsed, and a guest's
 * only in the stay it was made for (`visit`: Member.visit).
 */
export function inviteFor(roles: RoomRoles, key: string, now: number, visit: string | undefined): Invite | undefined {
  const invite = roles.invites?.[key];
  if (!invite || invite.until <= now) return undefined;
  if (isGuestKey(key) && invite.visit !== visit) return undefined;
  return invite;
}

/** `roles` with an invitation for `key` (the oldest going past MAX_INVITES, lapsed ones dropped). */
export function withInvite(roles: RoomRoles, key: string, invite: Invite, now: number): RoomRoles {
  const live = Object.entries(roles.invites ?? {}).filter(([k, i]) => k !== key && i.until > now);
  live.sort((a, b) => a[1].at - b[1].at);
  const kept = live.slice(Math.max(0, live.length - (MAX_INVITES - 1)));
  return { ...roles, invites: Object.fromEntries([...kept, [key, invite]]) };
}

/** `roles` without the invitation for `key` (the same roles if there is none). */
export function withoutInvite(roles: RoomRoles, key: string): RoomRoles {
  if (roles.invites?.[key] === undefined) return roles;
  const { [key]: _, ...rest } = roles.invites;
  const { invites: __, ...others } = roles;
  return Object.keys(rest).length > 0 ? { ...others, invites: rest } : others;
}

/**
 * A room no registered user owns, starting again (its first member since it was empty): what its
 * last members set (settings, operators, voice, invitations) goes with them, as on IRC.
 */
export function freshStart(roles: RoomRoles): RoomRoles {
  if (roles.owner !== undefined) return roles;
  const { inviteOnly, secret, key, limit, moderated, external, voiced, invites, ...rest } = roles;
  const had = inviteOnly || secret || key !== undefined || limit !== undefined || moderated || external || voiced || invites || roles.ops.length > 0;
  return had ? { ...rest, ops: [] } : roles;
}
