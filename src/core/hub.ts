// Who is online, the rooms they are in, and delivery to them. The only state sessions share.
// Knows nothing of sockets: a member is anything that can take encoded bytes. Each room batches
// its own lines and its joins and leaves (room.ts); the hub keeps names unique, rooms bounded, and
// everything that is not said in one room (renames, private messages, notices).
//
// In a cluster, users on other nodes are members too (found by name, listed, in rooms), but their
// `node` is set and they are never delivered to: the hub's bus carries what concerns them, and
// what they do arrives through the same operations (join, part, say, rename, remove) as what users
// here do, which relay only what was done here.

import { type Clock, SYSTEM_CLOCK } from "../net/clock.ts";
import { Turns } from "./turns.ts";
import { Encoded, isIrc } from "../render/codec.ts";
import { DEFAULT_ROOM, SERVER_LIMITS, USERS_SHOWN } from "../protocol/limits.ts";
import type { ErrorEvent, LeaveReason, MessageId, ServerEvent } from "../protocol/events.ts";
import { checkRoom, foldName } from "../protocol/names.ts";
import { DEFAULT_REPLAY, type HistoryStore } from "../store/history.ts";
import { type Device, type Member, type MemberNote, Room, type RoomHost, type UsersEvent, usersFields, viewOf } from "./room.ts";
import { Rules, type RulesHost } from "./rules.ts";
import { settingsOf } from "./settings.ts";
import { Rooms } from "./rooms.ts";
import { Whowas } from "./whowas.ts";
import { Keeping, type KeepingHost, type Replay } from "./keeping.ts";
import { Messages } from "./messages.ts";
import { Conversations } from "./conversations.ts";
import { Typing } from "./typing.ts";
import type { Bus } from "./bus.ts";
import type { AccountStore } from "../store/accounts.ts";
import type { TokenStore } from "../store/tokens.ts";
import type { Files } from "./files.ts";
import type { MarkerStore } from "../store/markers.ts";
import type { SessionStore } from "../store/sessions.ts";
import { Markers } from "./markers.ts";
import type { BanStore } from "../store/bans.ts";
import { roleKey, type RoomStore } from "../store/rooms.ts";
import { Passwords } from "./passwords.ts";
import { SortedNames } from "./sorted-names.ts";
import { Admins } from "./admins.ts";

export interface HubOptions {
  /** The server's turns: what the hub hands out goes in the same order as every outbox's replies. */
  turns?: Turns;
  /** Some members are on other nodes. */
  clustered?: boolean;
  /** What reaches them (Redis, or memory between servers of one process): made first, joined once the hub is made on it. */
  bus?: Bus;
  /** What presence batching runs on (tests pass their own). */
  clock?: Clock;
  /** Where everyone starts. */
  defaultRoom?: string;
  maxRooms?: number;
  maxRoomsPerUser?: number;
  /** Where rooms' lines are kept; none: nothing is kept, /history and /search say so. */
  history?: HistoryStore;
  /** Lines of a room shown to whoever joins it (default DEFAULT_REPLAY). */
  replayOnJoin?: number;
  /** Whether private messages between registered users are kept with the history (default: yes; --keep-private). */
  keepPrivate?: boolean;
  /** Registered names; none: everyone is a guest, /register says so. */
  accounts?: AccountStore;
  /** Server admins (--admin): registered names, who act once logged in. */
  admins?: readonly string[];
  /** Server bans (/ban); none: /ban says bans are not kept. */
  bans?: BanStore;
  /** Who runs each room; none: rooms have no owners or operators. */
  roomStore?: RoomStore;
  /** How account passwords are hashed and checked (a bounded queue). */
  passwords?: Passwords;
  /** Bot tokens for the HTTP API (/token); none: the API has no bots. */
  tokens?: TokenStore;
  /** Files shared in rooms (--files); none: this server takes no files. */
  files?: Files;
  /** Registered users' read markers; none: they last while the user is online. */
  markers?: MarkerStore;
  /** The page's sessions (a reload stays signed in); none: the page asks for the password again. */
  sessions?: SessionStore;
  /** Where the hub's own troubles go (the server's log). */
  log?: (line: string) => void;
}

/** A /join that worked: the room, and whether it was joined (false: it was switched to). */
export type JoinResult = { ok: true; room: Room; joined: boolean } | { ok: false; error: ErrorEvent };

export class Hub implements RoomHost, RulesHost, KeepingHost {
  readonly turns: Turns;
  readonly clock: Clock;
  /** The default room, where everyone starts. */
  readonly lobby: string;
  private readonly maxRoomsPerUser: number;
  /** Where rooms' lines are kept (a cluster's in Redis, through its bus). */
  readonly history: HistoryStore | undefined;
  /** Registered names, server bans, rooms' roles, bot tokens: kept with the history. */
  readonly accounts: AccountStore | undefined;
  readonly bans: BanStore | undefined;
  readonly roomStore: RoomStore | undefined;
  readonly tokens: TokenStore | undefined;
  readonly files: Files | undefined;
  /** Read markers (markers.ts). */
  readonly markers: Markers;
  readonly sessions: SessionStore | undefined;
  readonly passwords: Passwords;
  /** Server admins (--admin), and the setup codes of their names not registered yet. */
  readonly admins: Admins;
  /** Who may do what: server bans, who runs a room, mutes, and changes to a room's roles. */
  readonly rules: Rules;
  /** Who left the chat lately (IRC's WHOWAS). */
  readonly whowas = new Whowas();
  /** What is kept of rooms' chat, and what a joiner is shown of it. */
  readonly keeping: Keeping;
  /** Answering, editing, deleting and reacting to lines (messages.ts). */
  readonly messages: Messages = new Messages(this);
  /** Registered users' private conversations, kept (conversations.ts). */
  readonly conversations: Conversations;
  /** Who is typing where, as far as it is told on (typing.ts). */
  readonly typing = new Typing();
  /** Everyone, by folded name: members here and, in a cluster, on other nodes. */
  private readonly members = new Map<string, Member>();
  /**
   * Members on this server, the ones deliveries go to, when some members are on other nodes
   * (cluster mode); on one node they are all of `members`, and 10,000 entries are not kept twice.
   */
  private readonly here: Set<Member> | undefined;
  /** Other nodes: in cluster mode, the bus that reaches them (Redis, or memory in tests); none alone. Gone once it stops. */
  bus: Bus | undefined;
  private readonly everyone = new SortedNames();
  /** The rooms there are (rooms.ts). */
  private readonly rooms: Rooms;
  /** Rooms with lines waiting for the end of this turn. */
  busyRooms = 0;
  /** Lines said here (by users and bots), and lines handed to members here (per recipient): /metrics. */
  linesIn = 0;
  delivered = 0;
  /** Members here that have joined a room since they came into the chat (their next joins are not arrivals). */
  private readonly arrived = new WeakSet<Member>();
  /** Members who said /away, and why (only they: /users and every welcome read this). */
  private readonly awayReasons = new Map<Member, string>();
  /** Counts changes to who is online or away: the /users * reply is encoded again only after one. */
  private version = 0;
  private usersReply: { version: number; encoded: Encoded } | undefined;

  constructor(options: HubOptions = {}) {
    this.turns = options.turns ?? new Turns();
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.lobby = options.defaultRoom ?? DEFAULT_ROOM;
    this.rooms = new Rooms(options.maxRooms ?? SERVER_LIMITS.maxRooms);
    this.maxRoomsPerUser = options.maxRoomsPerUser ?? SERVER_LIMITS.maxRoomsPerUser;
    this.history = options.history;
    this.accounts = options.accounts;
    this.bans = options.bans;
    this.roomStore = options.roomStore;
    this.tokens = options.tokens;
    this.files = options.files;
    this.markers = new Markers({ log: options.log ?? (() => {}) }, options.markers);
    this.sessions = options.sessions;
    this.bus = options.bus;
    this.passwords = options.passwords ?? new Passwords();
    this.admins = new Admins(options.admins);
    if (options.clustered) this.here = new Set();
    this.rules = new Rules(this);
    this.keeping = new Keeping(this, options.replayOnJoin ?? DEFAULT_REPLAY);
    this.conversations = new Conversations({
      history: this.history,
      accounts: this.accounts,
      keepPrivate: options.keepPrivate ?? true,
      find: (name) => this.find(name),
      keep: (line) => this.keeping.keep(line),
    });
    const history = this.history;
    if (history) this.turns.beforeBytes(() => history.commit());
  }

  /** Everyone online. */
  /** The most users online at once since the server started (IRC's LUSERS says it). */
  peak = 0;

  get size(): number {
    return this.members.size;
  }

  /** Rooms with someone in them. */
  get roomCount(): number {
    return this.rooms.size;
  }

  /** The member with this name, ignoring case and look-alikes. */
  find(name: string): Member | undefined {
    return this.members.get(foldName(name));
  }

  /** How the log says where a line was said: "" in the default room (logged as it always was), else " in #room". */
  inRoom(room: string): string {
    return room === this.lobby ? "" : ` in ${room}`;
  }

  /** The room with this name (or one that looks like it). */
  room(name: string): Room | undefined {
    return this.rooms.find(name);
  }

  /** Names of everyone online, sorted case-insensitively. The hub's own array: encode it before anyone joins or leaves. */
  names(): readonly string[] {
    return this.everyone.all();
  }

  /** Claims a name for a member here before it is added: at once on one node, through Redis in a cluster. */
  claim(name: string): true | Promise<boolean> {
    return this.bus ? this.bus.claim(name) : true;
  }

  unclaim(name: string): void {
    this.bus?.unclaim(name);
  }

  /** Adds a member (in no room yet) unless the name is taken; true when added. */
  add(member: Member): boolean {
    const key = foldName(member.name);
    if (this.members.has(key)) return false;
    this.members.set(key, member);
    this.everyone.add(member.name);
    this.version++;
    if (member.node === undefined) {
      this.here?.add(member);
      // Before its first join, in the same envelope: the other nodes judge it by its account.
      if (member.account !== undefined) this.bus?.relayAccount(member.name, member.account);
    }
    this.peak = Math.max(this.peak, this.members.size);
    for (const watcher of this.watchers) watcher(member, true, member.name);
    return true;
  }

  /** Who is told when a name comes online or goes (IRC's MONITOR): each is called with the member, whether it came, and the name. */
  private readonly watchers: ((member: Member, online: boolean, name: string) => void)[] = [];

  watch(watcher: (member: Member, online: boolean, name: string) => void): void {
    this.watchers.push(watcher);
  }

  /** A member here registered its name (`key`) or gave it up (undefined): the other nodes are told. */
  setAccount(member: Member, key: string | undefined): void {
    member.account = key;
    if (member.node === undefined) this.bus?.relayAccount(member.name, key);
  }

  /**
   * Takes a member out of the chat: it leaves every room it is in (one leave told in each) and its
   * name is free. True if it was there, so that a leave is told exactly once.
   */
  remove(member: Member, reason: LeaveReason, ts: number, message?: string): boolean {
    const key = foldName(member.name);
    if (this.members.get(key) !== member) return false;
    const ident = member.ident?.();
    this.whowas.left(key, { name: member.name, user: ident?.user ?? member.name, realname: ident?.realname || member.name, at: ts });
    // Left in the order they were joined: whoever shares several of them hears it in the first.
    member.rooms.forEach((room, i) => this.leaveRoom(member, room, reason, message, ts, member.rooms.slice(0, i)));
    member.rooms.length = 0;
    for (const device of member.devices) device.room = undefined;
    this.members.delete(key);
    this.everyone.remove(member.name);
    this.version++;
    this.here?.delete(member);
    this.awayReasons.delete(member);
    for (const watcher of this.watchers) watcher(member, false, member.name);
    if (member.node === undefined) {
      this.bus?.relay({ type: "quit", name: member.name, reason, ...(message ? { message } : {}), ts });
    }
    return true;
  }

  /**
   * /join: into a room (made if it does not exist), which becomes the member's current room; a room
   * it is in already is switched to. `announce`: false for members a cluster node learns were there.
   */
  join(member: Member, input: string, ts: number, announce = true, past?: Replay, arrivedThere?: boolean, key?: string, device?: Device): JoinResult {
    const check = checkRoom(input);
    if (!check.ok) return roomError("room-invalid", check.reason);
    let room = this.room(check.name);
    if (room && room.name !== check.name) {
      return roomError("room-invalid", `${check.name} looks too much like ${room.name}; /join ${room.name} to go there.`);
    }
    if (room?.has(member)) {
      current(member, room, device);
      return { ok: true, room, joined: false };
    }
    // A user of another node was let in there: its node's bounds applied, not ours (ours may differ).
    const local = member.node === undefined;
    // Banned, invite-only, a key, a limit (as this node knows the room, or as it was kept).
    const roles = room && (!past?.roles || room.roles.v >= past.roles.v) ? room.roles : past?.roles;
    const refused = local ? this.rules.entry(member, check.name, roles, room?.size ?? 0, key) : undefined;
    if (refused) return { ok: false, error: refused };
    if (local && member.rooms.length >= this.maxRoomsPerUser) {
      return roomError(
        "too-many-rooms",
        `You are in ${member.rooms.length} rooms, the most there can be; /part one first.`,
      );
    }
    if (!room) {
      if (local && this.rooms.full && check.name !== this.lobby) {
        return roomError("too-many-rooms", `The server has ${this.rooms.size} rooms, the most it allows; join one of them.`);
      }
      room = new Room(check.name, this);
      this.rooms.add(room);
    }
    // The topic it had before it was last empty (or before a restart), unless a newer one is known.
    if (past?.topic) room.learnTopic(past.topic);
    if (past?.roles && past.roles.v > room.roles.v) room.roles = past.roles;
    // Its first room since it came into the chat: its arrival, as everyone there is told (a user of
    // another node: as its node says).
    const arrived = arrivedThere ?? (member.node === undefined && !this.arrived.has(member));
    if (member.node === undefined) this.arrived.add(member);
    room.enter(member, announce, ts, arrived);
    if (local) this.rules.entered(member, room, this.lobby);
    member.rooms.push(room);
    current(member, room, device);
    if (announce) this.tellJoinDetails(room, member);
    // Its other connections are in it too (one name in every room), and are told so.
    if (device) for (const d of member.devices) if (d !== device) d.tell(room.event(true, true));
    if (member.node === undefined) {
      const visit = arrived && member.visit !== undefined ? { visit: member.visit } : {};
      this.bus?.relay({ type: "join", room: room.name, name: member.name, ...(arrived ? { arrived: true as const } : {}), ...visit, ts });
    }
    return { ok: true, room, joined: true };
  }

  /**
   * IRC members learn from a MODE and an AWAY line after the JOIN that the joiner runs the room or is
   * away; for them (rare: an operator or an away user joining), the room's joins go out now, first.
   */
  private tellJoinDetails(room: Room, member: Member): void {
    const away = this.awayReasons.get(member);
    const op = room.size > 1 && this.rules.isOp(member, room);
    const voiced = room.size > 1 && this.rules.isVoiced(member, room);
    if (away === undefined && !op && !voiced) return;
    let flushed = false;
    const note: MemberNote = { type: "joined", room, name: member.name, away, op, voiced };
    for (const m of room.localMembers()) {
      if (m === member) continue;
      for (const device of m.devices) {
        if (!device.note) continue;
        if (!flushed) room.flushPresence();
        flushed = true;
        device.note(note);
      }
    }
  }

  /** /part: leaves one room, told to those in it; the current room becomes the last one joined. */
  part(member: Member, room: Room, message: string | undefined, ts: number, reason: "parted" | "removed" = "parted", device?: Device): boolean {
    const at = member.rooms.indexOf(room);
    if (at < 0) return false;
    this.leaveRoom(member, room, reason, message, ts); // what it was sent there first, as it saw it
    member.rooms.splice(at, 1);
    for (const d of member.devices) if (d.room === room) d.room = member.rooms[member.rooms.length - 1];
    // Left from one connection: its others are out of it too, and told so.
    if (device) {
      for (const d of member.devices) if (d !== device) d.tell({ type: "parted", room: room.name, ...(d.room ? { current: d.room.name } : {}), elsewhere: true });
    }
    if (member.node === undefined) {
      this.bus?.relay({
        type: "leave",
        room: room.name,
        name: member.name,
        reason,
        ...(message ? { message } : {}),
        ts,
      });
    }
    return true;
  }

  /** Out of one room; an empty room is gone, and its topic with it. */
  private leaveRoom(member: Member, room: Room, reason: LeaveReason, message: string | undefined, ts: number, before?: readonly Room[]): void {
    room.leave(member, reason, message, ts, before);
    this.rules.left(member, room, reason);
    if (room.size > 0) return;
    room.close();
    this.rooms.delete(room);
  }

  /** The id of the next line said here (keeping.ts). */
  nextId(): MessageId {
    return this.keeping.nextId();
  }

  /** A line or /me said in a room by one of its members: to everyone else in it, here and elsewhere. */
  say(room: Room, event: Extract<ServerEvent, { type: "public" | "action" }>, from: Member, device?: Device): void {
    if (event.type === "public" && event.only) return this.sayToSome(room, event, from, device);
    // Whoever lets a member here speak has checked it is not muted (say in command-kit.ts).
    if (from.node === undefined) this.saidHere(event);
    else if (room.locals === 0) return; // from another node, for nobody here: not even encoded
    room.say(event, from, device);
  }

  /**
   * A line for some of a room (IRC's STATUSMSG): its operators, or its voiced members and
   * operators, here and on the other nodes; not kept (history is for everyone in the room).
   */
  private sayToSome(room: Room, event: Extract<ServerEvent, { type: "public" }>, from: Member, except: Device | undefined): void {
    if (from.node === undefined) {
      this.linesIn++;
      this.bus?.relay(event);
    }
    const encoded = new Encoded(event);
    const seq = this.turns.nextSeq();
    for (const m of room.localMembers()) {
      if (!(this.rules.isOp(m, room) || (event.only === "voiced" && this.rules.isVoiced(m, room)))) continue;
      for (const device of m.devices) if (device !== except) device.deliver(encoded.bytes(viewOf(device, room)), seq);
    }
  }

  /** A line said on this node (a member's or a bot's): counted, kept by this node, told to the others. */
  private saidHere(event: Extract<ServerEvent, { type: "public" | "action" }>): void {
    this.linesIn++;
    this.keeping.keep(event);
    this.bus?.relay(event);
  }

  /**
   * A bot's line (the HTTP API), said by no member: to everyone in its room, here and on the other
   * nodes (`here`: posted on this node, so kept and relayed from here), kept like any line.
   */
  post(event: Extract<ServerEvent, { type: "public" }>, here = true): void {
    if (here) this.saidHere(event);
    const room = this.room(event.room);
    if (room && room.locals > 0) room.say(event);
  }

  /** /topic <text>: set ("" clears it) and told to everyone in the room, the setter too. */
  setTopic(room: Room, text: string, by: Member, ts: number, id = this.nextId()): void {
    room.topic = text === "" ? undefined : { text, by: by.name, ts };
    const event = { type: "topic", id, room: room.name, text, by: by.name, ts } as const;
    room.say(event);
    if (by.node === undefined) {
      this.keeping.keep(event);
      this.bus?.relay(event);
    }
  }

  /**
   * Gives a member a new name unless someone else has it (ignoring case and look-alikes), and tells
   * everyone who shares a room with it, and itself. The one way names change: /nick, and a
   * cluster's name conflicts and renames on other nodes. True when renamed.
   */
  rename(member: Member, to: string, ts: number): boolean {
    const holder = this.find(to);
    const key = foldName(member.name);
    if ((holder && holder !== member) || this.members.get(key) !== member) return false;
    const from = member.name;
    this.members.delete(key);
    this.everyone.remove(from);
    const toKey = foldName(to);
    this.members.set(toKey, member);
    this.everyone.add(to);
    this.version++;
    for (const room of member.rooms) room.renamed(from, to);
    const before = roleKey(member);
    member.name = to;
    this.rules.renamed(member, before);
    const event: ServerEvent = { type: "rename", from, to, ts };
    const told = new Set<Device>();
    for (const room of member.rooms) for (const d of room.localDevices()) told.add(d);
    for (const d of member.devices) told.delete(d);
    this.tell(told, event);
    // Itself in its own words: the answer to its NICK (an IRC client's labeled command).
    for (const d of member.devices) d.tell(event);
    if (member.node === undefined) this.bus?.relay({ type: "rename", from, to, ts });
    // A new name (not the same one in other letters): the one goes and the other comes.
    if (key !== toKey) {
      for (const watcher of this.watchers) {
        watcher(member, false, from);
        watcher(member, true, to);
      }
    }
    return true;
  }

  /** An event for each of these members here, encoded once per mode, in the order of everything sent. */
  /**
   * An event about a room for everyone here in it, in order with its lines: in the room's view for
   * most (tagged when it is not their current room), in its own words for IRC clients (who differ
   * by what they asked for). Those who ignore `from` are not told, nor `except`; with `ircOnly`, only IRC clients are.
   */
  tellRoom(room: Room, event: ServerEvent, options: { from?: string; except?: Device; ircOnly?: boolean } = {}): void {
    const encoded = new Encoded(event);
    const seq = this.turns.nextSeq();
    const key = options.from === undefined ? undefined : foldName(options.from);
    for (const m of room.localMembers()) {
      if (key !== undefined && m.ignoring?.has(key)) continue;
      for (const d of m.devices) {
        if (d === options.except) continue;
        if (isIrc(d.mode)) d.tell(event);
        else if (!options.ircOnly) d.deliver(encoded.bytes(viewOf(d, room)), seq);
      }
    }
  }

  /** An event for each of these connections, encoded once per mode, in the order of everything sent. */
  private tell(devices: Iterable<Device>, event: ServerEvent): void {
    const encoded = new Encoded(event);
    const seq = this.turns.nextSeq();
    for (const d of devices) d.deliver(encoded.bytes(d.mode), seq);
  }

  /** RulesHost: a notice from the server to everyone here in `room` (`notFollowers`: but those who follow its state from MODE lines). */
  noticeIn(room: Room, text: string, notFollowers = false): void {
    const devices = notFollowers ? [...room.localDevices()].filter((d) => !d.note) : room.localDevices();
    this.tell(devices, { type: "notice", text, ts: this.clock.now() });
  }

  /** RulesHost: the settings of `room` changed; its structured members here are sent them (the others read the notice). */
  settingsChanged(room: Room): void {
    const json = [...room.localDevices()].filter((d) => d.mode === "json");
    if (json.length > 0) this.tell(json, { type: "settings", room: room.name, settings: settingsOf(room.roles, true) ?? {} });
  }

  /** A notice from the server to everyone here (the cluster's state). */
  notice(text: string, ts: number): void {
    this.tell(this.localDevices(), { type: "notice", text, ts });
  }

  /**
   * /users: everyone in `room`, or everyone online (room undefined); past USERS_SHOWN the first of
   * them and the counts; with a prefix, those whose name starts with it. Found by binary search,
   * never by scanning everyone, and without a prefix encoded once per change, however often asked.
   */
  users(room: Room | undefined, prefix = ""): Encoded {
    if (room) return room.users(prefix).encoded;
    if (prefix === "" && this.usersReply?.version === this.version) return this.usersReply.encoded;
    const { names, count } = this.everyone.range(prefix, USERS_SHOWN);
    const event: UsersEvent = {
      type: "users",
      ...usersFields(names, count, prefix, (name) => this.awayOf(name), () => this.awayReasons.size),
    };
    const encoded = new Encoded(event);
    if (prefix === "") this.usersReply = { version: this.version, encoded };
    return encoded;
  }

  /** The topics of the rooms someone here is in (for a cluster node that joins later). */
  topics(): { room: string; text: string; by: string; ts: number }[] {
    const topics = [];
    for (const room of this.rooms.values()) {
      if (room.topic && room.locals > 0) topics.push({ room: room.name, ...room.topic });
    }
    return topics;
  }

  /** /rooms: the first ROOMS_SHOWN rooms by name (with a prefix, those it starts), and how many there are. */
  roomList(viewer: Member, prefix = ""): ServerEvent {
    return this.rooms.list(prefix, viewer, (room) => this.visibleTo(room, viewer));
  }

  /** The rooms here holding invitations (IRC's INVITE list). */
  *roomsWithInvites(): Iterable<Room> {
    for (const room of this.rooms.values()) if (room.roles.invites !== undefined) yield room;
  }

  /**
   * Whether `viewer` may know of `room`: any room but a secret one, which only its members (and
   * server admins) see; to anyone else it is answered about as a room that does not exist.
   */
  visibleTo(room: Room, viewer: Member): boolean {
    return !room.roles.secret || room.has(viewer) || this.isAdmin(viewer);
  }

  /** RoomHost: the away reason of whoever is online with this name, if they are away. */
  awayOf(name: string): string | undefined {
    const member = this.find(name);
    return member && this.awayReasons.get(member);
  }

  /** Marks a member away (with a reason) or back (undefined). */
  setAway(member: Member, reason: string | undefined): void {
    if (this.awayReasons.get(member) === reason) return;
    this.version++;
    for (const room of member.rooms) room.touch();
    if (reason === undefined) this.awayReasons.delete(member);
    else this.awayReasons.set(member, reason);
    if (member.node === undefined) this.bus?.relayAway(member.name, reason);
    // Members here who follow away states (IRC's away-notify) are told, once each.
    const told = new Set<Device>();
    const note: MemberNote = { type: "away", name: member.name, reason };
    for (const room of member.rooms) {
      for (const m of room.localMembers()) {
        if (m === member) continue;
        for (const d of m.devices) {
          if (!d.note || told.has(d)) continue;
          told.add(d);
          d.note(note);
        }
      }
    }
  }

  awayReason(member: Member): string | undefined {
    return this.awayReasons.get(member);
  }

  awayMembers(): Iterable<Member> {
    return this.awayReasons.keys();
  }

  /**
   * One event for one member, here or on another node; false if its node can't be reached now.
   * `from`: the member it comes from, whose joins are announced first if they are still waiting.
   */
  send(member: Member, event: ServerEvent, from?: Member): boolean {
    if (member.node !== undefined) return this.bus?.sendPrivate(member, event) ?? false;
    // From someone it ignores: dropped here, where it would be delivered (the sender is not told).
    if ((event.type === "private" || event.type === "invite") && member.ignoring?.has(foldName(event.from))) return true;
    if (from) for (const room of from.rooms) room.announceJoinOf(from);
    for (const d of member.devices) d.tell(event);
    return true;
  }

  /**
   * Whether `member` is a server admin: logged in to an --admin account (a member of another node:
   * as its node says, never by its name alone).
   */
  isAdmin(member: Member): boolean {
    return this.admins.has(member.account) || (member.oper !== undefined && this.admins.has(member.oper));
  }

  /**
   * A server admin's /kick: `member` leaves the chat, told why, everyone in its rooms told by whom
   * (`message`: "by Ana: spamming"). A user of another node is put out there.
   */
  kick(member: Member, message: string, banned = false): void {
    if (member.node !== undefined) return this.bus?.kick(member, message, undefined, banned);
    // Always on with no connection: nobody to tell, it is simply out.
    if (member.devices.length === 0) return void this.remove(member, "kicked", this.clock.now(), message);
    member.drop?.(
      { type: "error", code: "kicked", message: `You were kicked from the server ${message}.` },
      "kicked",
      message,
    );
  }

  /**
   * An operator's /kick: `member` leaves `room` (not the chat), everyone in it told by whom and why.
   * A user of another node is put out there.
   */
  kickFromRoom(member: Member, room: Room, message: string, banned = false): void {
    if (member.node !== undefined) return this.bus?.kick(member, message, room.name, banned);
    if (!this.part(member, room, message, this.clock.now(), "removed")) return;
    for (const d of member.devices) {
      const current = d.room;
      d.tell({ type: "parted", room: room.name, ...(current ? { current: current.name } : {}), kicked: message });
      // Why, in words (an IRC client's KICK line says it already).
      if (!d.note) d.tell({ type: "notice", text: `You were kicked from ${room.name} ${message}.`, ts: this.clock.now() });
    }
  }

  /** Members on this server. */
  locals(): Iterable<Member> {
    return this.here ?? this.members.values();
  }

  /** The connections of members on this server. */
  *localDevices(): Iterable<Device> {
    for (const m of this.locals()) yield* m.devices;
  }
}

/**
 * A room joined or switched to becomes the current room of the connection that asked (every
 * connection of the member when none did, as for a member of another node), and of any of its
 * connections in no room.
 */
function current(member: Member, room: Room, device: Device | undefined): void {
  for (const d of member.devices) if (d === device || device === undefined || d.room === undefined) d.room = room;
}

function roomError(code: ErrorEvent["code"], message: string): JoinResult {
  return { ok: false, error: { type: "error", code, message } };
}

