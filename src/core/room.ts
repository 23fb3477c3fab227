// One room: who is in it, its topic, and delivery of its lines and its joins and leaves.
// Knows nothing of sockets or doors: a member (below) is anything that can take encoded bytes and
// be told an event; sessions of every door are members, and so are users of other nodes.
//
// A room's lines are the hot path (one line in, N-1 out), so they are not handed to N members as
// they happen. The room keeps the turn's broadcasts, and when the turn ends it joins them into one
// buffer per view (plain text, plain text tagged with the room for members whose current room is
// another, JSON) and gives each member that one buffer: per line, the cost no longer grows with
// the number of members. Members that must see a different sequence (a sender, who does not get
// its own lines; one that joined or left during the turn; one holding replies or another room's
// lines that must stay in order) get their share merged in order instead.
//
// Joins and leaves are batched over a window when they come thick and fast (presence.ts): told
// one by one, 10,000 users reconnecting at once were 50 million lines.
//
// In a cluster, users on other nodes are members too (listed, counted), but their `node` is set
// and they are never delivered to.

import type { Turns } from "./turns.ts";
import { Encoded } from "../render/codec.ts";
import { USERS_SHOWN } from "../protocol/limits.ts";
import { type Door, type ErrorEvent, type LeaveReason, leftRoomOnly, type Mode, type RoomInfo, type ServerEvent, type Topic, type View } from "../protocol/events.ts";
import type { Clock } from "../net/clock.ts";
import { type Change, MAX_PRESENCE_BATCH, PresenceBatch, presenceWindowMs } from "./presence.ts";
import { SortedNames } from "./sorted-names.ts";
import { foldName } from "../protocol/names.ts";
import { NO_ROLES, type RoomRoles } from "../store/rooms.ts";
import { settingsOf } from "./settings.ts";

/**
 * One connection of a member here, of any door: what the core writes to. A member has one for each
 * connection it has (a registered user on several devices has several), none on another node.
 */
export interface Device {
  readonly mode: Mode;
  /** Where its plain lines go: one of its member's rooms, or none (kept by the hub). */
  room: Room | undefined;
  /** Sent its own lines back, as others get them, with their ids (the page: /ws?echo=1). */
  readonly echo?: boolean;
  /**
   * A connection that keeps state from what it is sent (a door whose client tracks who runs a room
   * or who is away) is told each change the lines themselves do not say; one without it costs
   * nothing.
   */
  note?(note: MemberNote): void;
  /** Sequence number of the newest bytes it holds for this turn (replies, earlier broadcasts); 0 if none. */
  readonly lastHeldSeq: number;
  /**
   * Sequence number when it became one of its member's connections: what its rooms said before
   * (earlier in the same turn) is not its own, and would come before its welcome.
   */
  readonly attachedSeq: number;
  /** Bytes to write in the order given (`seq`: where they belong in the order of everything sent). */
  deliver(bytes: Uint8Array, seq?: number): void;
  /** Several parts sent earlier in this turn, each with its place in the order. */
  deliverTurn(parts: Uint8Array[], seqs: number[]): void;
  /** An event for this connection alone, written in its own words by its door (IRC's lines name their recipient). */
  tell(event: ServerEvent): void;
  /** Puts it out of the chat, telling it why. */
  drop?(why: ErrorEvent, reason: LeaveReason, message: string): void;
  /** The network it connects from (for a guest's ban). */
  readonly network?: string;
  /** Which door it came in by (/whois lists them). */
  readonly door?: Door;
  /** What its client said of itself (IRC's USER: user name and real name), if anything. */
  ident?(): { user: string; realname: string } | undefined;
}

/** A member with no connection here: one on another node (or, later, one who stays while away from every device). */
export const NO_DEVICES: readonly Device[] = Object.freeze([]);

export interface Member {
  /** Changed by the hub only (rename). */
  name: string;
  /** The cluster node a remote member is on; undefined for members of this server. */
  readonly node?: string;
  /** Its connections here, in the order they came (none: a member of another node). */
  readonly devices: readonly Device[];
  /** The rooms it is in, in the order it joined them (kept by the hub). */
  readonly rooms: Room[];
  /** Who last sent it a private message, for /reply. */
  lastPmFrom?: Member;
  /**
   * The registered name it logged in to (its key; none: a guest): set by the session for a member
   * here (setAccount), by its node's word for a member of another node.
   */
  account?: string;
  /** A member here: the network it connects from (for a guest's ban). */
  readonly network?: string;
  /** A member here: name keys of users whose lines and private messages it does not want (/ignore). */
  ignoring?: Map<string, string>;
  /**
   * One stay in the chat (a connection, from its name to its leaving), unique: a guest's
   * invitations hold for it alone, not for whoever takes the name later. A member of another node:
   * as its node says.
   */
  visit?: string;
  /** A member here that proved itself a server admin with IRC's OPER: that admin's name key. */
  oper?: string;
  /** What its client said of itself (IRC's USER: user name and real name), if anything. */
  ident?(): { user: string; realname: string } | undefined;
  /** A member here: when it joined and when it last sent a line (for /whois). */
  readonly since?: number;
  readonly lastActive?: number;
  /** A member here: puts it out of the chat (a server admin's /kick), telling it why. */
  drop?(why: ErrorEvent, reason: LeaveReason, message: string): void;
  /** A member here: its read markers, target -> time (markers.ts), as far as they are known here. */
  readonly markers?: Map<string, number>;
  /** When its last connection went, as kept (a registered user's): what came in its conversations after it is what it missed. */
  seen?: number;
}

/** What a connection that follows a room's state is told besides the lines (Device.note). */
export type MemberNote =
  /** A room's roles (owner, operators, settings, bans) changed from `before` to `after` (`by`: who changed them). */
  | { readonly type: "roles"; readonly room: Room; readonly before: RoomRoles; readonly after: RoomRoles; readonly by?: string }
  /** Someone sharing a room went away (`reason`) or came back (undefined). */
  | { readonly type: "away"; readonly name: string; readonly reason: string | undefined }
  /** `name` has just joined `room` (its join already sent) away (`away`), running the room (`op`) or with voice. */
  | { readonly type: "joined"; readonly room: Room; readonly name: string; readonly away: string | undefined; readonly op: boolean; readonly voiced: boolean };

export type UsersEvent = Extract<ServerEvent, { type: "users" }>;

/** What a room needs from the hub that holds it. */
export interface RoomHost {
  readonly turns: Turns;
  readonly clock: Clock;
  /** The away reason of whoever is online with this name, if they are away. */
  awayOf(name: string): string | undefined;
  /** Members away (for the count in /users): usually few, so counting them in a room is cheap. */
  awayMembers(): Iterable<Member>;
  /**
   * Rooms with lines waiting for the end of this turn (kept by the rooms): when there are several,
   * a member of more than one gets each line as a part of its own, so the rooms' lines interleave
   * in the order they were said.
   */
  busyRooms: number;
  /** Lines handed to members here, counted per recipient (for /metrics). */
  delivered: number;
}

/** One broadcast of this turn. */
interface Broadcast {
  seq: number;
  encoded: Encoded;
  /** Who said it (whose ignorers are not sent it), and the connection it came from (not sent it either). */
  from: Member | undefined;
  except: Device | undefined;
}

/** A turn with this many broadcasts is handed out at once, without waiting for its end. */
const MAX_TURN_BROADCASTS = 1024;

/** How `member` sees what is said in `room`. */
export function viewOf(device: Device, room: Room): View {
  if (device.mode !== "text") return device.mode; // JSON and IRC name the room in every line
  return device.room === room ? "text" : "tagged";
}

export class Room {
  topic: Topic | undefined;
  /** Who runs it (owner, operators, mutes, topic lock) and its settings: kept by the hub. */
  roles: RoomRoles = NO_ROLES;
  /** Everyone in it (here and on other nodes), and the sequence number each joined at. */
  private readonly members = new Map<Member, number>();
  private localCount = 0;
  readonly names = new SortedNames();
  private turn: Broadcast[] = [];
  private readonly handOut = () => this.flushTurn();
  /** Counts changes to who is in or away: the /users reply is encoded again only after one. */
  private version = 0;
  private usersReply: { version: number; event: UsersEvent; encoded: Encoded } | undefined;
  /** Joins and leaves not announced yet (see presence.ts), and when they will be. */
  private presence: PresenceBatch;
  private presenceDue = false;
  private presenceTimer: { cancel(): void } | undefined;
  private lastPresence = Number.NEGATIVE_INFINITY;
  /** Members here whose join waits to be announced. */
  private readonly joining = new Set<Member>();

  constructor(
    /** As typed by whoever made it, in lower case ("#dev"). */
    readonly name: string,
    private readonly host: RoomHost,
  ) {
    this.presence = new PresenceBatch(name);
    this.created = host.clock.now();
  }

  /** When this server made it (ms): IRC's channel creation time. */
  readonly created: number;

  /** Everyone in it, here and on other nodes. */
  get size(): number {
    return this.members.size;
  }

  /** Members on this server. */
  get locals(): number {
    return this.localCount;
  }

  has(member: Member): boolean {
    return this.members.has(member);
  }

  /** Its members on this server. */
  *localMembers(): Iterable<Member> {
    for (const member of this.members.keys()) if (member.node === undefined) yield member;
  }

  /** The connections of its members on this server. */
  *localDevices(): Iterable<Device> {
    for (const member of this.members.keys()) yield* member.devices;
  }

  /** A topic set elsewhere before this node knew the room (cluster): taken unless it has a newer one. */
  learnTopic(topic: Topic): void {
    if (!this.topic || this.topic.ts < topic.ts) this.topic = topic;
  }

  /** How /rooms lists it (`member`: to one of its members, who sees its key). */
  info(member = false): RoomInfo {
    const settings = settingsOf(this.roles, member);
    return { name: this.name, count: this.members.size, ...(this.topic ? { topic: this.topic.text } : {}), ...(settings ? { settings } : {}) };
  }

  /** Something about who is in it changed (someone's name or away reason): /users is made again. */
  touch(): void {
    this.version++;
  }

  /**
   * Adds a member. `announce`: its join is told to the others (the joiner is not told of it);
   * false for members already there whom this node learns of (a cluster snapshot).
   */
  enter(member: Member, announce: boolean, ts: number, arrived = false): void {
    const seq = this.host.turns.nextSeq();
    this.members.set(member, seq);
    if (member.node === undefined) this.localCount++;
    this.names.add(member.name);
    this.version++;
    if (!announce) return;
    if (member.node === undefined) this.joining.add(member);
    this.presenceChange({ seq, kind: "join", name: member.name, reason: "quit", ts, ...(arrived ? { arrived } : {}) });
  }

  /**
   * Removes a member and tells the others why; false if it was not in. `alsoIn`: it is leaving the
   * chat, and was told leaving these rooms first (whoever is in one of them heard it there).
   */
  leave(member: Member, reason: LeaveReason, message: string | undefined, ts: number, alsoIn?: readonly Room[]): boolean {
    if (!this.members.has(member)) return false;
    // What it was sent before it left: the joins and leaves waiting for their window (a kick of
    // someone else a moment before its own; only for one that stays online: a crowd leaving the
    // chat at once would each be handed the others' leaves), and this turn's lines.
    if (member.node === undefined && this.presence.size > 0 && leftRoomOnly(reason)) this.handOutPresenceTo(member);
    if (this.turn.length > 0) for (const device of member.devices) this.handOutTo(member, device, this.turn);
    this.members.delete(member);
    if (member.node === undefined) this.localCount--;
    this.names.remove(member.name);
    this.joining.delete(member);
    this.version++;
    const seq = this.host.turns.nextSeq();
    this.presenceChange({ seq, kind: "leave", name: member.name, reason, ...(message ? { message } : {}), ts, ...(alsoIn ? { alsoIn } : {}) });
    return true;
  }

  /** A member here changed its name (the hub checked it is free). */
  renamed(from: string, to: string): void {
    this.names.remove(from);
    this.names.add(to);
    this.version++;
  }

  /**
   * An event said in the room by `from`, for every connection here but the one it came from
   * (`except`; the speaker's other devices get it as everyone does), at the end of the turn; each
   * view's bytes are encoded once.
   */
  say(event: ServerEvent, from?: Member, except?: Device): void {
    // Someone is heard from before their join was announced: announce it first (with the rest of
    // the window). A storm's newcomers who speak at once make the batches smaller, not wrong.
    if (from && this.joining.has(from)) this.presenceNow();
    if (this.turn.length === 0) {
      this.host.turns.beforeWrite(this.handOut);
      this.host.busyRooms++;
    }
    this.turn.push({ seq: this.host.turns.nextSeq(), encoded: new Encoded(event), from, except });
    if (this.turn.length >= MAX_TURN_BROADCASTS) this.flushTurn();
  }

  /** The room as a joiner sees it (the answer to /join): `joined`, or switched to; `elsewhere`: joined from another connection. */
  event(joined: boolean, elsewhere = false): Extract<ServerEvent, { type: "room" }> {
    const settings = settingsOf(this.roles, true);
    return { type: "room", room: this.name, joined, ...this.summary(), ...(settings ? { settings } : {}), ...(elsewhere ? { elsewhere } : {}) };
  }

  /** `member` is about to be heard from outside the room (a /pm): its join here is told first. */
  announceJoinOf(member: Member): void {
    if (this.joining.has(member)) this.presenceNow();
  }

  /**
   * The room as a joiner sees it (in a welcome, or the answer to /join): who is in it as /users
   * lists it, and its topic.
   */
  summary(): { users: readonly string[]; away?: Readonly<Record<string, string>>; count: number; awayCount?: number; topic?: Topic } {
    const { users, away, count, awayCount } = this.users().event;
    return {
      users,
      ...(away ? { away } : {}),
      count,
      ...(awayCount !== undefined ? { awayCount } : {}),
      ...(this.topic ? { topic: this.topic } : {}),
    };
  }

  /** The /users reply for this room: everyone, or the first USERS_SHOWN with counts; with a prefix, those it starts. */
  users(prefix = ""): { event: UsersEvent; encoded: Encoded } {
    if (prefix === "" && this.usersReply?.version === this.version) return this.usersReply;
    const { names, count } = this.names.range(prefix, USERS_SHOWN);
    const event: UsersEvent = {
      type: "users",
      room: this.name,
      ...usersFields(names, count, prefix, (name) => this.host.awayOf(name), () => this.awayCount()),
    };
    const reply = { event, encoded: new Encoded(event) };
    if (prefix === "") this.usersReply = { version: this.version, ...reply };
    return reply;
  }

  private awayCount(): number {
    let count = 0;
    for (const member of this.host.awayMembers()) if (this.members.has(member)) count++;
    return count;
  }

  /**
   * A join or leave: at the end of this turn if none went out within the window, else when the
   * window ends, with every other change of the window.
   */
  private presenceChange(change: Change): void {
    this.presence.add(change);
    if (this.presence.size >= MAX_PRESENCE_BATCH) return this.presenceNow();
    if (this.presenceDue || this.presenceTimer) return;
    const wait = this.lastPresence + presenceWindowMs(this.members.size) - this.host.clock.now();
    if (wait <= 0) return this.presenceNow();
    this.presenceTimer = this.host.clock.later(wait, () => {
      this.presenceTimer = undefined;
      this.presenceNow();
    });
  }

  private presenceNow(): void {
    this.presenceTimer?.cancel();
    this.presenceTimer = undefined;
    if (this.presenceDue) return;
    this.presenceDue = true;
    this.host.turns.beforeWrite(this.handOut);
  }

  /** Gives each member here the changes since it joined, as one line per run of joins or leaves. */
  private handOutPresence(): void {
    const batch = this.presence;
    this.presence = new PresenceBatch(this.name);
    this.joining.clear();
    this.presenceDue = false;
    this.lastPresence = this.host.clock.now();
    for (const [member, joinedSeq] of this.members) {
      if (member.node === undefined) this.handOutPresenceTo(member, batch, joinedSeq);
    }
  }

  /** One member's share of a batch of joins and leaves: those since it joined, to each of its connections. */
  private handOutPresenceTo(member: Member, batch = this.presence, joinedSeq = this.members.get(member) ?? 0): void {
    const from = batch.after(joinedSeq);
    if (from === batch.size) return;
    for (const device of member.devices) {
      const view = viewOf(device, this);
      // A device attached since the batch began: those after it only.
      const since = device.attachedSeq > joinedSeq ? batch.after(device.attachedSeq) : from;
      if (since === batch.size) continue;
      // In another room too: a leave of the chat it heard there is not told again here.
      const own = member.rooms.length > 1 ? batch.partsWithout(since, view, member.rooms) : undefined;
      const { parts, seqs } = own ?? batch.partsFrom(since, view);
      if (parts.length > 0) device.deliverTurn(parts, seqs);
    }
  }

  /**
   * The joins and leaves waiting for their window, handed out now: an IRC client's PING is answered
   * after everything that happened before it (clients and irctest use it to synchronise). Bounded
   * by the pinger's flood budget.
   */
  flushPresence(): void {
    if (this.presence.size === 0) return;
    this.presenceTimer?.cancel();
    this.presenceTimer = undefined;
    this.handOutPresence();
  }

  /** Stops the presence timer of a room that is gone. */
  close(): void {
    this.presenceTimer?.cancel();
    this.presenceTimer = undefined;
  }

  /** Hands this turn's broadcasts out: one shared buffer per view for nearly everyone. */
  flushTurn(): void {
    // Joins and leaves first: their places in the order are earlier than what the turn holds, or
    // merged into it by sequence number.
    if (this.presenceDue) this.handOutPresence();
    const turn = this.turn;
    if (turn.length === 0) return;
    this.turn = [];
    // Another room's lines of this turn may have to go between these, for members of both.
    const interleaved = this.host.busyRooms-- > 1;
    const first = turn[0]!.seq;
    const last = turn[turn.length - 1]!.seq;
    let senders: Set<Device> | undefined;
    let delivered = turn.length * this.localCount;
    for (const b of turn) {
      if (!b.except) continue;
      (senders ??= new Set()).add(b.except);
      delivered--;
    }
    this.host.delivered += delivered;
    // Joined once per view, when the first member in it is met.
    const joined: Partial<Record<View, Joined>> = {};
    // forEach: no [member, seq] pair made per member per turn.
    this.members.forEach((joinedSeq, member) => {
      const devices = member.devices; // none for a member of another node
      for (let i = 0; i < devices.length; i++) {
        const device = devices[i]!;
        const view = viewOf(device, this);
        const j = (joined[view] ??= joinTurn(turn, view));
        if (interleaved && member.rooms.length > 1) this.handOutTo(member, device, turn);
        // What a connection already holds from before this turn's first broadcast can simply come first.
        else if (joinedSeq > first || device.attachedSeq > first || device.lastHeldSeq > first || senders?.has(device) || ignoresAny(member, turn)) {
          this.handOutTo(member, device, turn, j);
        }
        else device.deliver(j.bytes, last);
      }
    });
  }

  /**
   * One member's share of the turn, merged with what it holds. With the turn's joined bytes, a run
   * of broadcasts that are all for it is one slice of them (a sender's share is usually everything
   * before and after its own lines: two slices).
   */
  private handOutTo(member: Member, device: Device, turn: Broadcast[], joined?: Joined): void {
    const joinedSeq = Math.max(this.members.get(member) ?? 0, device.attachedSeq);
    const view = viewOf(device, this);
    const parts: Uint8Array[] = [];
    const seqs: number[] = [];
    // Runs only when nothing it holds could belong in the middle of one.
    const runs = joined !== undefined && device.lastHeldSeq < turn[0]!.seq;
    let from = -1;
    for (let i = 0; i <= turn.length; i++) {
      const b = turn[i];
      const mine = b !== undefined && b.except !== device && b.seq > joinedSeq && !ignores(member, b);
      if (mine && !runs) {
        parts.push(b.encoded.bytes(view));
        seqs.push(b.seq);
      } else if (mine && from < 0) {
        from = i;
      } else if (!mine && from >= 0) {
        parts.push(joined!.bytes.subarray(joined!.offsets[from], joined!.offsets[i]));
        seqs.push(turn[i - 1]!.seq);
        from = -1;
      }
    }
    if (parts.length > 0) device.deliverTurn(parts, seqs);
  }
}

/** Whether `member` ignores (/ignore) whoever said `b`. */
function ignores(member: Member, b: Broadcast): boolean {
  return member.ignoring !== undefined && b.from !== undefined && member.ignoring.has(foldName(b.from.name));
}

/** Whether `member` ignores someone who said something this turn (then it gets its own share). */
function ignoresAny(member: Member, turn: Broadcast[]): boolean {
  if (member.ignoring === undefined || member.ignoring.size === 0) return false;
  for (const b of turn) if (ignores(member, b)) return true;
  return false;
}

/**
 * The fields of a /users reply from the names shown and the count: who of them is away (and why),
 * and, without a prefix, how many are away in all. Shared by a room's list and everyone's.
 */
export function usersFields(
  names: string[],
  count: number,
  prefix: string,
  awayOf: (name: string) => string | undefined,
  awayCount: () => number,
): Omit<UsersEvent, "type" | "room"> {
  let away: Record<string, string> | undefined;
  for (const name of names) {
    const reason = awayOf(name);
    if (reason !== undefined) (away ??= {})[name] = reason;
  }
  return {
    users: names,
    ...(away ? { away } : {}),
    count,
    ...(prefix === "" ? { awayCount: awayCount() } : { prefix }),
  };
}

/** A turn's broadcasts in one view, one after the other, and where each starts (plus the end). */
interface Joined {
  bytes: Uint8Array;
  offsets: number[];
}

/**
 * A turn's lines joined as text and encoded once: an encoding and a copy per event were a tenth of
 * a small room's time. Offsets are byte offsets (the same as text lengths when it is all ASCII).
 */
function joinTurn(turn: Broadcast[], view: View): Joined {
  if (turn.length === 1) {
    const bytes = turn[0]!.encoded.bytes(view);
    return { bytes, offsets: [0, bytes.length] };
  }
  const lines = turn.map((b) => b.encoded.line(view));
  const text = lines.join("");
  const bytes = utf8.encode(text);
  const ascii = bytes.length === text.length;
  const offsets = [0];
  for (const line of lines) offsets.push(offsets[offsets.length - 1]! + (ascii ? line.length : Buffer.byteLength(line)));
  return { bytes, offsets };
}

const utf8 = new TextEncoder();
