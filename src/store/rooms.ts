// Who runs a room: its owner (the registered user who made it), its operators, who is muted in it,
// whether its topic is locked, and who may come in and speak (its settings: core/settings.ts). Kept with the accounts (the history file, or Redis in a
// cluster), so that a room keeps its owner while it is empty and across restarts; every change
// goes to the other nodes at once (a "roles" event), since lines are checked against it as they
// are said.

import type { Maybe } from "./history.ts";
import { isObject, parseJson } from "../protocol/decode.ts";
import { foldName } from "../protocol/names.ts";

export interface RoomRoles {
  /** Counts changes: a node keeps the newest it has heard of. */
  v: number;
  /** The owner's name key: a registered name. */
  owner?: string;
  /** Operators' name keys (registered names). */
  ops: string[];
  /** Muted name keys, and until when (ms; 0: until /unmute). */
  muted: Record<string, number>;
  /** Only operators may set the topic. */
  locked?: boolean;
  /** Name keys banned from the room by its operators, and until when (ms; 0: until /unban). */
  banned?: Record<string, number>;
  /** For a banned guest: the network its ban covers too (name key → network), lifted with it. */
  networks?: Record<string, string>;
  /** How each banned name was written (name key → name), for /bans and IRC's ban list. */
  names?: Record<string, string>;
  /** Who banned each name, and when (name key → [name, ms]), for IRC's ban list. */
  banners?: Record<string, [string, number]>;
  /** Only the invited (and its operators) may join (+i). */
  inviteOnly?: boolean;
  /** Listed, and answered about, only to its members; joined only by invitation (+s). */
  secret?: boolean;
  /** The password a /join must give (+k). */
  key?: string;
  /** At most this many members (+l). */
  limit?: number;
  /** Anyone online may send it lines without joining it (IRC's -n). */
  external?: boolean;
  /** Only operators and voiced members speak (+m). */
  moderated?: boolean;
  /** Name keys with voice (+v). */
  voiced?: string[];
  /** Invitations waiting to be used: name key → who invited, when, and until when. */
  invites?: Record<string, Invite>;
}

/**
 * An invitation, kept under the invited one's role key, until it lapses. A guest's holds only for
 * the stay of the guest who was online when it was made (`visit`: Member.visit), not for whoever
 * takes the name later.
 */
export interface Invite {
  /** Who invited, and whom (the name as written). */
  by: string;
  name: string;
  at: number;
  until: number;
  visit?: string;
}

/**
 * The key a member's operator status, voice and invitations are kept under: its account, or a
 * guest's "~name" (a guest's last while it stays: they are taken away when it leaves).
 */
export function roleKey(member: { account?: string; name: string }): string {
  return member.account ?? `~${foldName(member.name)}`;
}

/** Whether a role key is a guest's. */
export function isGuestKey(key: string): boolean {
  return key.startsWith("~");
}

/** A banned name as its ban wrote it (its key for a ban kept before names were). */
export function bannedName(roles: RoomRoles, key: string): string {
  return roles.names?.[key] ?? key;
}

/**
 * What a change to a room's roles tells: `text`, to its members; `by`, who made it; `mode`: IRC
 * clients see it as a MODE line (from `by`), so they are not told the text as well.
 */
export interface RolesNews {
  text?: string;
  by?: string;
  mode?: boolean;
  /** Nobody here is told (a room made this moment: its maker runs it, as its JOIN reply shows). */
  quiet?: boolean;
}

/** A change to a room's roles, made from the roles it applies to; `roles` itself back: no change. */
export type RolesChange = (roles: RoomRoles) => RoomRoles;

export interface RoomStore {
  get(room: string): Maybe<RoomRoles | undefined>;
  /**
   * Applies `change` to the roles kept for `room` as one step against every other writer (another
   * node changing the room at the same time is not overwritten: the change is made again on top
   * of it), counting it in `v`: the roles kept afterwards.
   */
  update(room: string, change: RolesChange): Maybe<RoomRoles>;
}

/** `change` made to `roles` (undefined: none yet), counted; the same roles if it changes nothing. */
export function changed(roles: RoomRoles | undefined, change: RolesChange): RoomRoles {
  const base = roles ?? NO_ROLES;
  const next = change(base);
  return next === base ? base : { ...next, v: base.v + 1 };
}

export const NO_ROLES: RoomRoles = { v: 0, ops: [], muted: {} };

/** Roles as kept or carried (JSON, or an object from an envelope), checked field by field. */
export function parseRoles(value: unknown): RoomRoles | undefined {
  const f = typeof value === "string" ? parseJson(value) : value;
  if (!isObject(f)) return undefined;
  if (typeof f.v !== "number" || !Array.isArray(f.ops) || typeof f.muted !== "object" || f.muted === null) return undefined;
  if (f.owner !== undefined && typeof f.owner !== "string") return undefined;
  const ops = f.ops.filter((o): o is string => typeof o === "string").slice(0, 1000);
  const muted: Record<string, number> = {};
  for (const [k, until] of Object.entries(f.muted)) if (typeof until === "number") muted[k] = until;
  const banned: Record<string, number> = {};
  if (isObject(f.banned)) for (const [k, until] of Object.entries(f.banned)) if (typeof until === "number") banned[k] = until;
  const networks: Record<string, string> = {};
  if (isObject(f.networks)) for (const [k, net] of Object.entries(f.networks)) if (typeof net === "string" && k in banned) networks[k] = net;
  const names: Record<string, string> = {};
  if (isObject(f.names)) for (const [k, name] of Object.entries(f.names)) if (typeof name === "string" && k in banned) names[k] = name;
  const banners: Record<string, [string, number]> = {};
  if (isObject(f.banners)) {
    for (const [k, b] of Object.entries(f.banners)) if (k in banned && Array.isArray(b) && typeof b[0] === "string" && typeof b[1] === "number") banners[k] = [b[0], b[1]];
  }
  const voiced = Array.isArray(f.voiced) ? f.voiced.filter((o): o is string => typeof o === "string").slice(0, 1000) : [];
  const invites: Record<string, Invite> = {};
  if (isObject(f.invites)) {
    for (const [k, i] of Object.entries(f.invites)) {
      if (!isObject(i) || typeof i.by !== "string" || typeof i.name !== "string" || typeof i.at !== "number" || typeof i.until !== "number") continue;
      invites[k] = { by: i.by, name: i.name, at: i.at, until: i.until, ...(typeof i.visit === "string" ? { visit: i.visit } : {}) };
    }
  }
  const limit = typeof f.limit === "number" && Number.isSafeInteger(f.limit) && f.limit > 0 ? f.limit : undefined;
  return {
    v: f.v,
    ...(typeof f.owner === "string" ? { owner: f.owner } : {}),
    ops,
    muted,
    ...(f.locked === true ? { locked: true } : {}),
    ...(Object.keys(banned).length > 0 ? { banned } : {}),
    ...(Object.keys(networks).length > 0 ? { networks } : {}),
    ...(Object.keys(names).length > 0 ? { names } : {}),
    ...(Object.keys(banners).length > 0 ? { banners } : {}),
    ...(f.inviteOnly === true ? { inviteOnly: true } : {}),
    ...(f.secret === true ? { secret: true } : {}),
    ...(typeof f.key === "string" && f.key !== "" ? { key: f.key } : {}),
    ...(limit !== undefined ? { limit } : {}),
    ...(f.moderated === true ? { moderated: true } : {}),
    ...(f.external === true ? { external: true } : {}),
    ...(voiced.length > 0 ? { voiced } : {}),
    ...(Object.keys(invites).length > 0 ? { invites } : {}),
  };
}
