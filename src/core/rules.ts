// Who may do what in the chat: the server bans (read at most once a second), who runs a room (its
// owner, its operators, a server admin, or whoever made a room nobody owns), who is muted in it, and
// changes to a room's roles, made here at once, kept, and told to the other nodes.

import type { Clock } from "../net/clock.ts";
import { TokenBucket } from "../net/bucket.ts";
import { error } from "./commands/kit.ts";
import type { ErrorEvent, LeaveReason } from "../protocol/events.ts";
import { freshStart, inviteFor, needsInvite, settingsChanged, withoutInvite } from "./settings.ts";
import { type Maybe, settled, then } from "../store/history.ts";
import type { Ban, BanStore } from "../store/bans.ts";
import { changed, type RolesChange, type RolesNews, roleKey, type RoomRoles, type RoomStore } from "../store/rooms.ts";
import { foldName } from "../protocol/names.ts";
import type { Bus } from "./bus.ts";
import type { Member, MemberNote, Room } from "./room.ts";

/** How long a node trusts the server bans it read. */
const BANS_FRESH_MS = 1000;
/** Wrong keys a room takes at once, then one every KEY_REFILL_S (from everyone: many addresses guess as slowly as one). */
export const KEY_GUESSES = 10;
const KEY_REFILL_S = 6;
/** Rooms whose wrong keys are counted at most; past it, those that have forgotten theirs are dropped. */
const KEY_BUCKETS_MAX = 10_000;


/** What the rules need of the hub. */
export interface RulesHost {
  readonly clock: Clock;
  readonly bus: Bus | undefined;
  readonly bans: BanStore | undefined;
  readonly roomStore: RoomStore | undefined;
  isAdmin(member: Member): boolean;
  room(name: string): Room | undefined;
  /** A notice from the server to everyone here in `room` (`notFollowers`: but those who keep its state from MODE lines). */
  noticeIn(room: Room, text: string, notFollowers?: boolean): void;
  /** The settings of `room` changed: its structured members here are sent them. */
  settingsChanged(room: Room): void;
}

export class Rules {
  /** The server bans as last read (or being read), and when. */
  private bansRead: { at: number; list: Maybe<Ban[]> } | undefined;
  /** Per room with a key: how many more wrong keys it takes now. */
  private readonly keyGuesses = new Map<string, TokenBucket>();

  constructor(private readonly host: RulesHost) {}

  /**
   * The server bans, read at most once a second (a join storm would otherwise read them from Redis
   * once per connection), and again as soon as a ban or unban is made here or on another node.
   */
  banList(): Maybe<Ban[]> {
    if (!this.host.bans) return [];
    const now = this.host.clock.now();
    if (this.bansRead && now - this.bansRead.at < BANS_FRESH_MS) return this.bansRead.list;
    // One read at a time: 10,000 joins arriving before Redis answers share it.
    const list = this.host.bans.list();
    if (!(list instanceof Promise)) return (this.bansRead = { at: now, list }).list;
    const reading = list.then(
      (l) => l,
      (err) => {
        if (this.bansRead?.list === reading) this.bansRead = undefined; // a failed read is not kept
        throw err;
      },
    );
    this.bansRead = { at: now, list: reading };
    return reading;
  }

  /** A ban was added or lifted (`here`: on this node, and the others are told): the next look reads them again. */
  bansChanged(here = true): void {
    this.bansRead = undefined;
    if (here) this.host.bus?.relayBans();
  }

  /**
   * Whether `member` runs `room`: its owner, one of its operators (in a room no registered user
   * owns, whoever made it and whom they made operators, while they stay), or a server admin.
   */
  isOp(member: Member, room: Room): boolean {
    return this.host.isAdmin(member) || runs(room.roles, roleKey(member));
  }

  /** Whether `member` has voice in `room` (+v): it may speak when the room is moderated. */
  isVoiced(member: Member, room: Room): boolean {
    return room.roles.voiced?.includes(roleKey(member)) === true;
  }

  /**
   * Whether `member` here may come into the room `name` (`roles`: its roles as this node knows them;
   * `size`: who is in it now) giving `key`: the refusal if not.
   * A room no registered user owns and nobody is in starts afresh (settings.ts, freshStart).
   */
  entry(member: Member, name: string, roles: RoomRoles | undefined, size: number, key: string | undefined): ErrorEvent | undefined {
    const now = this.host.clock.now();
    if (this.host.isAdmin(member)) return undefined;
    if (isBannedFrom(roles, foldName(member.name), now, member.account ? undefined : member.network)) {
      return error("banned-from-room", `You are banned from ${name} by its operators.`);
    }
    if (!roles || (size === 0 && roles.owner === undefined)) return undefined;
    const rk = roleKey(member);
    if (runs(roles, rk)) return undefined;
    // An invitation lets in past an invite-only room, its key and its limit (as on IRC).
    if (inviteFor(roles, rk, now, member.visit)) return undefined;
    if (needsInvite(roles)) {
      return error("invite-only", `${name} is invite-only: one of its members can let you in with /invite ${member.name} ${name}.`);
    }
    if (roles.key !== undefined) {
      // Past its budget of wrong keys a room takes no key at all for a while: guessing from many
      // addresses is as slow as from one.
      const guesses = this.keyBucket(name, now);
      if (key !== undefined && guesses.wait(1, now) > 0) {
        return error("bad-key", `Too many wrong keys were tried for ${name} lately: try again in a minute, or ask one of its members for an invite.`);
      }
      if (!sameKey(key, roles.key)) {
        if (key !== undefined) guesses.take(1, now);
        return error("bad-key", key === undefined ? `${name} needs a key: /join ${name} <key>.` : `That is not the key of ${name}.`);
      }
    }
    if (roles.limit !== undefined && size >= roles.limit) {
      return error("room-full", `${name} is full (its limit is ${roles.limit}): ask one of its members for an invite, or try later.`);
    }
    return undefined;
  }

  /**
   * A member here has just come into `room`. Made here (the first in it anywhere): what its last
   * members set goes (a room nobody owns starts afresh, as on IRC), and its maker runs it: a guest
   * while it stays, a registered maker for good, as its owner (the default room, `lobby`, is the
   * admins'). Holding an invitation: it is used up (or, lapsed, let go).
   */
  entered(member: Member, room: Room, lobby: string): void {
    const rk = roleKey(member);
    if (room.size === 1 && room.name !== lobby && room.roles.owner === undefined) {
      const owner = member.account;
      this.setRoles(
        room,
        (r) => {
          if (r.owner !== undefined) return r;
          const fresh = freshStart(r);
          return owner !== undefined ? { ...fresh, owner } : runs(fresh, rk) ? fresh : { ...fresh, ops: [...fresh.ops, rk] };
        },
        { quiet: true },
      );
    } else if (room.roles.invites?.[rk] !== undefined) {
      this.setRoles(room, (r) => withoutInvite(r, rk));
    }
  }

  /**
   * `member` left `room` (`reason`): a guest's operator status and voice last while it stays (its
   * node takes them away; any node does for the guests of a node that is gone).
   */
  left(member: Member, room: Room, reason: LeaveReason): void {
    if (member.account !== undefined || !(member.node === undefined || GONE_WITH_NODE.has(reason))) return;
    const rk = roleKey(member);
    if (room.roles.ops.includes(rk) || room.roles.voiced?.includes(rk)) this.setRoles(room, (r) => withoutRoleKey(r, rk));
  }

  /** A member here was renamed from a name whose role key was `before`: a guest's operator status and voice follow it. */
  renamed(member: Member, before: string): void {
    const after = roleKey(member);
    if (member.node !== undefined || before === after) return;
    for (const room of member.rooms) {
      if (room.roles.ops.includes(before) || room.roles.voiced?.includes(before)) this.setRoles(room, (r) => renameRoleKey(r, before, after));
    }
  }

  /** The wrong-key budget of a room (made full when first asked for; bounded in rooms). */
  private keyBucket(name: string, now: number): TokenBucket {
    let bucket = this.keyGuesses.get(name);
    if (bucket) return bucket;
    if (this.keyGuesses.size >= KEY_BUCKETS_MAX) {
      for (const [room, b] of this.keyGuesses) if (b.full(now)) this.keyGuesses.delete(room);
      if (this.keyGuesses.size >= KEY_BUCKETS_MAX) this.keyGuesses.delete(this.keyGuesses.keys().next().value!);
    }
    bucket = new TokenBucket(KEY_GUESSES, 1 / KEY_REFILL_S, now);
    this.keyGuesses.set(name, bucket);
    return bucket;
  }

  /**
   * Whether `member` may speak in `room`: not muted, and in a moderated room one of its operators
   * or voiced. (say() in commands/kit.ts asks each part itself, to say which stopped a line.)
   */
  maySpeak(member: Member, room: Room): boolean {
    return this.mutedUntil(member, room) === undefined && (!room.roles.moderated || this.isOp(member, room) || this.isVoiced(member, room));
  }

  /** Whether `member`'s lines in `room` go nowhere (/mute). */
  isMutedIn(member: Member, room: Room): boolean {
    return this.mutedUntil(member, room) !== undefined;
  }

  /** Until when `member` is muted in `room` (0: until /unmute); undefined if it is not. */
  mutedUntil(member: Member, room: Room): number | undefined {
    // Every line asks: a room with nobody muted (nearly all of them) answers without folding a name.
    for (const _ in room.roles.muted) {
      const key = foldName(member.name);
      return isMuted(room.roles, key, this.host.clock.now()) ? room.roles.muted[key] : undefined;
    }
    return undefined;
  }

  /**
   * A change to a room's roles, made here: kept, sent to the other nodes, and told to everyone in
   * the room (`news`: its text, by whom, whether IRC clients see it as a MODE line); `afterwards`
   * once every node has been sent it (what follows from it, such as a ban's kick, reaches them after
   * it). `change` may be made again on top of another node's (so it is made from the roles it is
   * given, and gives them back if it has nothing to change).
   */
  setRoles(room: Room, change: RolesChange, news: string | RolesNews = {}, afterwards?: () => void): void {
    const told = typeof news === "string" ? { text: news } : news;
    // Made here at once (the room sees it now); then kept, and the roles kept told to every node:
    // if another node changed the room meanwhile, the store made this change again on top of that.
    const mine = changed(room.roles, change);
    if (mine === room.roles) return afterwards?.();
    this.applyRoles(room, mine, told.by, told.quiet);
    if (told.text) this.host.noticeIn(room, told.text, told.mode);
    then(settled(this.host.roomStore ? this.host.roomStore.update(room.name, change) : mine), (kept) => {
      const roles = kept ?? mine; // not kept (Redis gone): this node's, until the next change
      if (roles.v >= room.roles.v) this.applyRoles(room, roles, told.by, told.quiet);
      const { quiet: _, ...news } = told; // the other nodes' members are told
      this.host.bus?.relayRoles(room.name, roles, news);
      afterwards?.();
    });
  }

  /** Roles changed on another node (newer than ours wins), told here if it says something. */
  learnRoles(name: string, roles: RoomRoles, news: RolesNews): void {
    const room = this.host.room(name);
    if (!room) return;
    if (roles.v > room.roles.v) this.applyRoles(room, roles, news.by);
    if (news.text) this.host.noticeIn(room, news.text, news.mode);
  }

  /** A room's roles become `roles`; members here that follow them (IRC's MODE) are told what changed. */
  private applyRoles(room: Room, roles: RoomRoles, by?: string, quiet = false): void {
    const before = room.roles;
    if (before === roles) return;
    room.roles = roles;
    if (quiet) return;
    const note: MemberNote = { type: "roles", room, before, after: roles, ...(by !== undefined ? { by } : {}) };
    for (const d of room.localDevices()) d.note?.(note);
    if (settingsChanged(before, roles)) this.host.settingsChanged(room);
  }

  /**
   * A guest of this node was banned from another (`room`: from that room; else from the server),
   * which could not see where it connects from: its ban is made to cover its network too, as it
   * would have been here. A registered member's ban stays on its name.
   */
  banNetwork(member: Member, room: Room | undefined, log: (line: string) => void): void {
    const network = member.network;
    if (member.node !== undefined || member.account !== undefined || network === undefined) return;
    const key = foldName(member.name);
    if (room) {
      const covers = (r: RoomRoles) => r.banned?.[key] !== undefined && r.networks?.[key] === undefined;
      if (!covers(room.roles)) return;
      this.setRoles(room, (r) => (covers(r) ? { ...r, networks: { ...r.networks, [key]: network } } : r));
      return log(`! the ban on ${member.name} from ${room.name} covers its network ${network} too (it was online here)`);
    }
    const store = this.host.bans;
    if (!store) return;
    void (async () => {
      const ban = (await store.list()).find((b) => b.key === key && b.network === undefined);
      if (!ban) return;
      await store.put({ ...ban, network });
      this.bansChanged();
      log(`! the ban on ${ban.name} covers its network ${network} too (it was online here)`);
    })().catch(() => {}); // Redis gone: the ban holds on the name, as it was made
  }
}

/** Whether the role key `key` runs a room with these roles: its owner or one of its operators. */
export function runs(roles: RoomRoles, key: string): boolean {
  return roles.owner === key || roles.ops.includes(key);
}

/** Whether the key given is the room's, compared in time that does not depend on where they differ. */
function sameKey(given: string | undefined, key: string): boolean {
  if (given === undefined || given.length !== key.length) return false;
  let diff = 0;
  for (let i = 0; i < key.length; i++) diff |= given.charCodeAt(i) ^ key.charCodeAt(i);
  return diff === 0;
}

/** Whether `key` is muted by `roles` at `now`. */
export function isMuted(roles: RoomRoles | undefined, key: string, now: number): boolean {
  return inForce(roles?.muted[key], now);
}

/**
 * Whether `key` is banned from the room by `roles` at `now`; `network`: a guest's, which a ban on
 * another guest of that network covers (a registered member is judged by its name alone).
 */
export function isBannedFrom(roles: RoomRoles | undefined, key: string, now: number, network?: string): boolean {
  if (inForce(roles?.banned?.[key], now)) return true;
  if (network === undefined || !roles?.networks) return false;
  for (const [banned, net] of Object.entries(roles.networks)) {
    if (net === network && inForce(roles.banned?.[banned], now)) return true;
  }
  return false;
}

/** Whether a mute or ban lasting until `until` (0: until lifted) holds at `now`. */
export function inForce(until: number | undefined, now: number): boolean {
  return until !== undefined && (until === 0 || until > now);
}

/** Leaves of users whose node is gone: the other nodes take away what a guest of theirs held. */
const GONE_WITH_NODE = new Set<LeaveReason>(["server-stopped", "server-lost", "server-restarted"]);

/** `roles` without `key` among the operators and the voiced (the same roles if it is in neither). */
function withoutRoleKey(roles: RoomRoles, key: string): RoomRoles {
  if (!roles.ops.includes(key) && !roles.voiced?.includes(key)) return roles;
  const voiced = roles.voiced?.filter((k) => k !== key);
  const { voiced: _, ...rest } = roles;
  return { ...rest, ops: roles.ops.filter((k) => k !== key), ...(voiced && voiced.length > 0 ? { voiced } : {}) };
}

/** `roles` with `from`'s operator status and voice under `to`. */
function renameRoleKey(roles: RoomRoles, from: string, to: string): RoomRoles {
  const swap = (keys: string[]) => keys.map((k) => (k === from ? to : k));
  return { ...roles, ops: swap(roles.ops), ...(roles.voiced ? { voiced: swap(roles.voiced) } : {}) };
}
