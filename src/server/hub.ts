// Who is in the chat, and delivery to them. The only state sessions share.
// Knows nothing of sockets: a member is anything that can take encoded bytes.
//
// Broadcasts are the hot path (one line in, N-1 out), so they are not handed to N members as
// they happen. The hub keeps the turn's broadcasts, and when the turn ends it joins them into one
// buffer per mode and gives each member that one buffer: per line, the cost no longer grows with
// the number of members. Members that must see a different sequence (a sender, who does not
// get its own lines; one that joined or left during the turn; one holding replies that must stay
// in order) get their share merged in order instead.
//
// Joins and leaves are batched over a window when they come thick and fast (presence.ts): told
// one by one, 10,000 users reconnecting at once were 50 million lines.
//
// In a cluster, users on other nodes are members too (found by name, listed, unique), but their
// `node` is set and they are never delivered to: the hub's link carries what concerns them.

import { Turns } from "../net/turns.ts";
import { Encoded, USERS_SHOWN } from "../protocol/codec.ts";
import type { Mode, ServerEvent } from "../protocol/events.ts";
import { foldName } from "../protocol/names.ts";
import { type Change, MAX_PRESENCE_BATCH, PresenceBatch, presenceWindowMs } from "./presence.ts";

type UsersEvent = Extract<ServerEvent, { type: "users" }>;

export interface Member {
  readonly name: string;
  /** The cluster node a remote member is on; undefined for members of this server. */
  readonly node?: string;
  readonly mode: Mode;
  /** Set by the hub on joining: broadcasts sent before it are not for this member. */
  joinedSeq: number;
  /** Who last sent it a private message, for /reply. */
  lastPmFrom?: Member;
  /** Sequence number of the newest bytes it holds for this turn (replies, earlier broadcasts); 0 if none. */
  readonly lastHeldSeq: number;
  /** Bytes to write in the order given (`seq`: where they belong in the order of everything sent). */
  deliver(bytes: Uint8Array, seq?: number): void;
  /** Several parts sent earlier in this turn, each with its place in the order. */
  deliverTurn(parts: Uint8Array[], seqs: number[]): void;
}

/**
 * How a hub reaches users on other nodes (cluster mode; see cluster.ts). Called only for what
 * happens here: events from other nodes come in through `broadcastHere`.
 */
export interface Link {
  /** Public, action, join, leave and rename events of members here, for every other node. */
  relay(event: ServerEvent): void;
  /** A member here went away (reason) or came back (undefined). */
  relayAway(name: string, reason: string | undefined): void;
  /** A private message for a member on another node; false if that node can't be reached now. */
  sendPrivate(to: Member, event: ServerEvent): boolean;
  /** Claims a name across the cluster for a member here: true (or a promise of true) if it is ours. */
  claim(name: string): true | Promise<boolean>;
  /** Gives back a claimed name nobody here ended up using. */
  unclaim(name: string): void;
}

/** One broadcast of this turn. */
interface Broadcast {
  seq: number;
  encoded: Encoded;
  except: Member | undefined;
}

/** The clock and timer presence batching runs on (tests pass their own). */
export interface HubClock {
  now(): number;
  later(ms: number, run: () => void): { cancel(): void };
}
const REAL_CLOCK: HubClock = {
  now: () => performance.now(),
  later(ms, run) {
    const timer = setTimeout(run, ms).unref(); // a pending announcement never holds the process open
    return { cancel: () => clearTimeout(timer) };
  },
};

/** A turn with this many broadcasts is handed out at once, without waiting for its end. */
const MAX_TURN_BROADCASTS = 1024;

export class Hub {
  /** Everyone, by folded name: members here and, in a cluster, on other nodes. */
  private readonly members = new Map<string, Member>();
  /**
   * Members on this server, the ones deliveries go to, when some members are on other nodes
   * (cluster mode); on one node they are all of `members`, and 10,000 entries are not kept twice.
   */
  private readonly here: Set<Member> | undefined;
  /** Other nodes, in cluster mode. */
  link: Link | undefined;
  /** Everyone's name, kept sorted as people come and go (not sorted again for every welcome). */
  private readonly sorted: string[] = [];
  private turn: Broadcast[] = [];
  /** Members who said /away, and why (only they: /users and every welcome read this). */
  private readonly awayReasons = new Map<Member, string>();
  private readonly handOut = () => this.flushTurn();
  /** Counts changes to who is online or away: the /users reply is encoded again only after one. */
  private version = 0;
  private usersReply: { version: number; event: UsersEvent; encoded: Encoded } | undefined;
  /** Joins and leaves not announced yet (see presence.ts), and when they will be. */
  private presence = new PresenceBatch();
  private presenceDue = false;
  private presenceTimer: { cancel(): void } | undefined;
  private lastPresence = Number.NEGATIVE_INFINITY;
  /** Members here whose join waits to be announced. */
  private readonly joining = new Set<Member>();

  constructor(
    /** The server's turns: what the hub hands out goes in the same order as every outbox's replies. */
    readonly turns: Turns = new Turns(),
    clustered = false,
    private readonly clock: HubClock = REAL_CLOCK,
  ) {
    if (clustered) this.here = new Set();
  }

  get size(): number {
    return this.members.size;
  }

  /** The member with this name, ignoring case. */
  find(name: string): Member | undefined {
    return this.members.get(foldName(name));
  }

  /** Names of everyone online, sorted case-insensitively. The hub's own array: encode it before anyone joins or leaves. */
  names(): readonly string[] {
    return this.sorted;
  }

  /**
   * Where `name` is or would go in the list, sorted ignoring case. Names online differ in more than
   * case (their keys differ), so this is a strict order among them.
   */
  private position(name: string): number {
    const key = name.toLowerCase();
    let low = 0;
    let high = this.sorted.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.sorted[mid]!.toLowerCase() < key) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Claims a name for a member here before it is added: at once on one node, through Redis in a cluster. */
  claim(name: string): true | Promise<boolean> {
    return this.link ? this.link.claim(name) : true;
  }

  unclaim(name: string): void {
    this.link?.unclaim(name);
  }

  /** Adds a member unless the name is taken; true when added. */
  add(member: Member): boolean {
    const key = foldName(member.name);
    if (this.members.has(key)) return false;
    member.joinedSeq = this.turns.nextSeq();
    this.index(member, member.name);
    if (member.node === undefined) this.here?.add(member);
    return true;
  }

  /** Removes a member; true if it was there (so a leave is announced exactly once). */
  remove(member: Member): boolean {
    const key = foldName(member.name);
    if (this.members.get(key) !== member) return false;
    if (this.turn.length > 0) this.handOutTo(member, this.turn); // what it was sent before it left
    this.unindex(member.name);
    this.here?.delete(member);
    this.joining.delete(member);
    this.awayReasons.delete(member);
    return true;
  }

  /** Gives a member a new name unless someone else has it (ignoring case); true when renamed. */
  rename(member: Member, to: string): boolean {
    const holder = this.find(to);
    if ((holder && holder !== member) || this.members.get(foldName(member.name)) !== member) return false;
    this.unindex(member.name);
    this.index(member, to);
    return true;
  }

  /** Files a member under a name: found by it, and listed in order. */
  private index(member: Member, name: string): void {
    this.members.set(foldName(name), member);
    this.sorted.splice(this.position(name), 0, name);
    this.version++;
  }

  private unindex(name: string): void {
    this.members.delete(foldName(name));
    this.sorted.splice(this.position(name), 1);
    this.version++;
  }

  /**
   * The /users reply: everyone, or in a big room the first USERS_SHOWN with counts; with a prefix,
   * those whose name starts with it (ignoring case). Found by binary search, never by scanning
   * everyone, and without a prefix encoded once per change, however often it is asked for.
   */
  users(prefix = ""): Encoded {
    return this.usersList(prefix).encoded;
  }

  /** The /users reply without a prefix, as fields: what a welcome shows. */
  summary(): UsersEvent {
    return this.usersList("").event;
  }

  private usersList(prefix: string): { event: UsersEvent; encoded: Encoded } {
    if (prefix === "" && this.usersReply?.version === this.version) return this.usersReply;
    const from = this.position(prefix);
    const to = prefix === "" ? this.sorted.length : this.position(`${prefix.toLowerCase()}\u{10ffff}`);
    const users = this.sorted.slice(from, Math.min(to, from + USERS_SHOWN));
    let away: Record<string, string> | undefined;
    for (const name of users) {
      const reason = this.awayReasons.get(this.find(name)!);
      if (reason !== undefined) (away ??= {})[name] = reason;
    }
    const event: UsersEvent = {
      type: "users",
      users,
      ...(away ? { away } : {}),
      count: to - from,
      ...(prefix === "" ? { awayCount: this.awayReasons.size } : { prefix }),
    };
    const reply = { event, encoded: new Encoded(event) };
    if (prefix === "") this.usersReply = { version: this.version, ...reply };
    return reply;
  }

  /** Marks a member away (with a reason) or back (undefined). */
  setAway(member: Member, reason: string | undefined): void {
    this.version++;
    if (reason === undefined) this.awayReasons.delete(member);
    else this.awayReasons.set(member, reason);
    if (member.node === undefined) this.link?.relayAway(member.name, reason);
  }

  awayReason(member: Member): string | undefined {
    return this.awayReasons.get(member);
  }

  /** Name to reason for everyone away; undefined when nobody is. */
  away(): Record<string, string> | undefined {
    if (this.awayReasons.size === 0) return undefined;
    const away: Record<string, string> = {};
    for (const [member, reason] of this.awayReasons) away[member.name] = reason;
    return away;
  }

  /** An event from a member here: to every member but `except`, here and on other nodes. */
  broadcast(event: ServerEvent, except?: Member): void {
    this.broadcastHere(event, except);
    this.link?.relay(event);
  }

  /**
   * Delivers to every member here but one, at the end of the turn; each mode's bytes are encoded
   * once. Joins and leaves go through presence batching (`except` is the joiner).
   */
  broadcastHere(event: ServerEvent, except?: Member): void {
    if (event.type === "join" || event.type === "leave") {
      const seq = event.type === "join" && except ? except.joinedSeq : this.turns.nextSeq(); // the joiner is not told
      const reason = event.type === "leave" ? event.reason : "quit";
      if (event.type === "join" && except) this.joining.add(except);
      return this.presenceChange({ seq, kind: event.type, name: event.name, reason, ts: event.ts });
    }
    // Someone is heard from before their join was announced: announce it first (with the rest of
    // the window). A storm's newcomers who speak at once make the batches smaller, not wrong.
    if (except && this.joining.has(except)) this.presenceNow();
    if (this.turn.length === 0) this.turns.beforeWrite(this.handOut);
    this.turn.push({ seq: this.turns.nextSeq(), encoded: new Encoded(event), except });
    if (this.turn.length >= MAX_TURN_BROADCASTS) this.flushTurn();
  }

  /**
   * A join or leave: at the end of this turn if none went out within the window, else when the
   * window ends, with every other change of the window.
   */
  private presenceChange(change: Change): void {
    this.presence.add(change);
    if (this.presence.size >= MAX_PRESENCE_BATCH) return this.presenceNow();
    if (this.presenceDue || this.presenceTimer) return;
    const wait = this.lastPresence + presenceWindowMs(this.members.size) - this.clock.now();
    if (wait <= 0) return this.presenceNow();
    this.presenceTimer = this.clock.later(wait, () => {
      this.presenceTimer = undefined;
      this.presenceNow();
    });
  }

  private presenceNow(): void {
    this.presenceTimer?.cancel();
    this.presenceTimer = undefined;
    if (this.presenceDue) return;
    this.presenceDue = true;
    this.turns.beforeWrite(this.handOut);
  }

  /** Gives each member here the changes since it joined, as one line per run of joins or leaves. */
  private handOutPresence(): void {
    const batch = this.presence;
    this.presence = new PresenceBatch();
    this.joining.clear();
    this.presenceDue = false;
    this.lastPresence = this.clock.now();
    for (const member of this.locals()) {
      const from = batch.after(member.joinedSeq);
      if (from === batch.size) continue;
      const { parts, seqs } = batch.partsFrom(from, member.mode);
      member.deliverTurn(parts, seqs);
    }
  }

  /** Hands this turn's broadcasts out: one shared buffer per mode for nearly everyone. */
  flushTurn(): void {
    // Joins and leaves first: their places in the order are earlier than what the turn holds, or
    // merged into it by sequence number.
    if (this.presenceDue) this.handOutPresence();
    const turn = this.turn;
    if (turn.length === 0) return;
    this.turn = [];
    const first = turn[0]!.seq;
    const last = turn[turn.length - 1]!.seq;
    let senders: Set<Member> | undefined;
    for (const b of turn) if (b.except) (senders ??= new Set()).add(b.except);
    const joined: Partial<Record<Mode, Joined>> = {};
    for (const member of this.locals()) {
      const j = (joined[member.mode] ??= joinTurn(turn, member.mode));
      // What a member already holds from before this turn's first broadcast can simply come first.
      if (member.joinedSeq > first || member.lastHeldSeq > first || senders?.has(member)) {
        this.handOutTo(member, turn, j);
      } else member.deliver(j.bytes, last);
    }
  }

  /**
   * One member's share of the turn, merged with what it holds. With the turn's joined bytes, a run
   * of broadcasts that are all for it is one slice of them (a sender's share is usually everything
   * before and after its own lines: two slices).
   */
  private handOutTo(member: Member, turn: Broadcast[], joined?: Joined): void {
    const parts: Uint8Array[] = [];
    const seqs: number[] = [];
    // Runs only when nothing it holds could belong in the middle of one.
    const runs = joined !== undefined && member.lastHeldSeq < turn[0]!.seq;
    let from = -1;
    for (let i = 0; i <= turn.length; i++) {
      const b = turn[i];
      const mine = b !== undefined && b.except !== member && b.seq > member.joinedSeq;
      if (mine && !runs) {
        parts.push(b.encoded.bytes(member.mode));
        seqs.push(b.seq);
      } else if (mine && from < 0) {
        from = i;
      } else if (!mine && from >= 0) {
        parts.push(joined!.bytes.subarray(joined!.offsets[from], joined!.offsets[i]));
        seqs.push(turn[i - 1]!.seq);
        from = -1;
      }
    }
    if (parts.length > 0) member.deliverTurn(parts, seqs);
  }

  /**
   * One event for one member, here or on another node; false if its node can't be reached now.
   * `from`: the member it comes from, whose join is announced first if it is still waiting.
   */
  send(member: Member, event: ServerEvent, from?: Member): boolean {
    if (member.node !== undefined) return this.link?.sendPrivate(member, event) ?? false;
    if (from && this.joining.has(from)) this.presenceNow();
    member.deliver(new Encoded(event).bytes(member.mode));
    return true;
  }

  /** Members on this server. */
  locals(): Iterable<Member> {
    return this.here ?? this.members.values();
  }
}

/** A turn's broadcasts in one mode, one after the other, and where each starts (plus the end). */
interface Joined {
  bytes: Uint8Array;
  offsets: number[];
}

/**
 * A turn's lines joined as text and encoded once: an encoding and a copy per event were a tenth of
 * a small room's time. Offsets are byte offsets (the same as text lengths when it is all ASCII).
 */
function joinTurn(turn: Broadcast[], mode: Mode): Joined {
  if (turn.length === 1) {
    const bytes = turn[0]!.encoded.bytes(mode);
    return { bytes, offsets: [0, bytes.length] };
  }
  const lines = turn.map((b) => b.encoded.line(mode));
  const text = lines.join("");
  const bytes = utf8.encode(text);
  const ascii = bytes.length === text.length;
  const offsets = [0];
  for (const line of lines) offsets.push(offsets[offsets.length - 1]! + (ascii ? line.length : Buffer.byteLength(line)));
  return { bytes, offsets };
}

const utf8 = new TextEncoder();
