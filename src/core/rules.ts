// Who may do what in the chat: the server bans (read at most once a second), who runs a room (its
// owner, its operators, a server admin, or whoever made a room nobody owns), who is muted in it, and
// changes to a room's roles, made here at once, kept, and told to the other nodes.

import type { Clock } from "../net/clock.ts";
import { type Maybe, settled, then } from "../store/history.ts";
import type { Ban, BanStore } from "../store/bans.ts";
import { changed, type RolesChange, type RoomRoles, type RoomStore } from "../store/rooms.ts";
import { foldName } from "../protocol/names.ts";
import type { Bus } from "./bus.ts";
import type { Member, MemberNote, Room } from "./room.ts";

/** How long a node trusts the server bans it read. */
const BANS_FRESH_MS = 1000;

/** What the rules need of the hub. */
export interface RulesHost {
  readonly clock: Clock;
  readonly bus: Bus | undefined;
  readonly bans: BanStore | undefined;
  readonly roomStore: RoomStore | undefined;
  isAdmin(member: Member): boolean;
  room(name: string): Room | undefined;
  /** A notice from the server to everyone here in `room`. */
  noticeIn(room: Room, text: string): void;
}

export class Rules {
  /** The server bans as last read (or being read), and when. */
  private bansRead: { at: number; list: Maybe<Ban[]> } | undefined;

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
   * Whether `member` runs `room`: its owner, one of its operators, a server admin, or (a room no
   * registered user owns) whoever made it, while in it.
   */
  isOp(member: Member, room: Room): boolean {
    if (this.host.isAdmin(member)) return true;
    if (room.maker === member && room.roles.owner === undefined) return true;
    const key = member.node === undefined ? member.account : foldName(member.name);
    return key !== undefined && (room.roles.owner === key || room.roles.ops.includes(key));
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
   * A change to a room's roles, made here: kept, sent to the other nodes, and (`text`) told to
   * everyone in the room; `afterwards` once every node has been sent it (what follows from it, such as
   * a ban's kick, reaches them after it). `change` may be made again on top of another node's (so it is made from
   * the roles it is given, and gives them back if it has nothing to change).
   */
  setRoles(room: Room, change: RolesChange, text?: string, afterwards?: () => void): void {
    // Made here at once (the room sees it now); then kept, and the roles kept told to every node:
    // if another node changed the room meanwhile, the store made this change again on top of that.
    const mine = changed(room.roles, change);
    if (mine === room.roles) return afterwards?.();
    this.applyRoles(room, mine);
    if (text) this.host.noticeIn(room, text);
    then(settled(this.host.roomStore ? this.host.roomStore.update(room.name, change) : mine), (kept) => {
      const roles = kept ?? mine; // not kept (Redis gone): this node's, until the next change
      if (roles.v >= room.roles.v) this.applyRoles(room, roles);
      this.host.bus?.relayRoles(room.name, roles, text);
      afterwards?.();
    });
  }

  /** Roles changed on another node (newer than ours wins), told here if it says something. */
  learnRoles(name: string, roles: RoomRoles, text: string | undefined): void {
    const room = this.host.room(name);
    if (!room) return;
    if (roles.v > room.roles.v) this.applyRoles(room, roles);
    if (text) this.host.noticeIn(room, text);
  }

  /** A room's roles become `roles`; members here that follow them (IRC's MODE) are told what changed. */
  private applyRoles(room: Room, roles: RoomRoles): void {
    const before = room.roles;
    if (before === roles) return;
    room.roles = roles;
    const note: MemberNote = { type: "roles", room, before, after: roles };
    for (const m of room.localMembers()) m.note?.(note);
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
function inForce(until: number | undefined, now: number): boolean {
  return until !== undefined && (until === 0 || until > now);
}
