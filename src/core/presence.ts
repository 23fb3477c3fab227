// Joins and leaves, announced in batches when they come thick and fast.
//
// Announced one by one, a join storm is O(N²): after a restart 10,000 users reconnect at once, and
// each join went to everyone already in, 50 million lines. The hub hands presence changes out as
// they happen while the room is quiet (the first change after a quiet spell goes out at the end of
// its turn), but a change within the window of the last hand-out waits for the window's end, and
// all changes of the window go out together: a run of joins as one line ("--> 523 joined the
// chat: …"), a run of leaves as one line, in the order they happened.
//
// A member that joined during the window must not be told about changes before its own join (its
// welcome already shows who is in): it gets the runs from its own join on, the first of them cut
// short. Members that joined at the same point share the bytes.

import { Encoded, summarisesPresence, VIEWS } from "../render/codec.ts";
import { type LeaveReason, leftRoomOnly, type ServerEvent, type View } from "../protocol/events.ts";

/**
 * One join or leave, in the order of everything sent (`seq`); `message` is what a /part said.
 * `arrived`: a join that is the user's coming into the chat. `alsoIn`: a leave of the chat (not of
 * this room alone), and the rooms the user left before this one: whoever is in one of them was told
 * there, and is not told again here.
 */
export interface Change {
  seq: number;
  kind: "join" | "leave";
  name: string;
  reason: LeaveReason;
  message?: string;
  ts: number;
  arrived?: boolean;
  alsoIn?: readonly object[];
}

/** What a run of changes is all of: coming into the chat, joining the room, leaving it, leaving the chat. */
function runKind(c: Change): string {
  return c.kind === "join" ? (c.arrived ? "arrive" : "join") : leftRoomOnly(c.reason) ? "part" : "quit";
}

/** Names a batched join or leave line shows; the rest are counted. */
export const PRESENCE_NAMES = 50;
/** A window with this many changes is handed out at once. */
export const MAX_PRESENCE_BATCH = 4096;

/**
 * How long changes gather after a hand-out: long enough that announcing them costs at most about
 * 10,000 deliveries a second however big the room (10 members: 50 ms; 10,000: 1 s).
 */
export function presenceWindowMs(members: number): number {
  return Math.min(1000, Math.max(50, members / 10));
}

/** The changes of one room's window, and their encodings per starting point. */
export class PresenceBatch {
  readonly changes: Change[] = [];
  /** Index of the first change of the run each change is in. */
  private readonly runStart: number[] = [];
  /** Per starting index: the event for the rest of that run. */
  private readonly cut = new Map<number, Encoded>();
  /** Per index: the event for that change alone (IRC's views). */
  private readonly single = new Map<number, Encoded>();
  private readonly ends = new Map<number, number>();
  private readonly shares = new Map<number, { parts: Uint8Array[]; seqs: number[] }>();

  /** Some change is a leave of the chat that some members were told of in another room. */
  private told = false;

  constructor(readonly room: string) {}

  /**
   * For a member in several rooms: the changes from `from` on less the leaves of the chat it was
   * told of in a room it shares with the leaver, encoded for it alone; undefined when there are
   * none (the shared parts serve).
   */
  partsWithout(from: number, view: View, rooms: readonly object[]): { parts: Uint8Array[]; seqs: number[] } | undefined {
    if (!this.told) return undefined;
    const toldElsewhere = (c: Change) => c.alsoIn !== undefined && c.alsoIn.some((r) => rooms.includes(r));
    const rest = this.changes.slice(from);
    if (!rest.some(toldElsewhere)) return undefined;
    const kept = rest.filter((c) => !toldElsewhere(c));
    const parts: Uint8Array[] = [];
    const seqs: number[] = [];
    const each = !summarisesPresence(view);
    for (let i = 0; i < kept.length; ) {
      let end = i + 1;
      if (!each) while (end < kept.length && runKind(kept[end]!) === runKind(kept[i]!)) end++;
      parts.push(new Encoded(presenceEvent(this.room, kept.slice(i, end))).bytes(view));
      seqs.push(kept[i]!.seq);
      i = end;
    }
    return { parts, seqs };
  }

  get size(): number {
    return this.changes.length;
  }

  add(change: Change): void {
    const i = this.changes.length;
    const previous = this.changes[i - 1];
    this.runStart.push(previous && runKind(previous) === runKind(change) ? this.runStart[i - 1]! : i);
    if (change.alsoIn && change.alsoIn.length > 0) this.told = true;
    this.changes.push(change);
    // Handed out early to a member leaving meanwhile: the runs it was given end here no longer.
    if (this.shares.size > 0 || this.ends.size > 0) {
      this.shares.clear();
      this.ends.clear();
      this.cut.clear();
    }
  }

  /** Index of the first change after `seq` (a member's join): what that member is told. */
  after(seq: number): number {
    let low = 0;
    let high = this.changes.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.changes[mid]!.seq <= seq) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /**
   * The lines from change `from` on, one per run (the first cut short), each with its place in the
   * order: the same arrays for every member told from the same change in the same view.
   */
  partsFrom(from: number, view: View): { parts: Uint8Array[]; seqs: number[] } {
    const key = from * VIEWS.length + VIEWS.indexOf(view);
    const known = this.shares.get(key);
    if (known) return known;
    const parts: Uint8Array[] = [];
    const seqs: number[] = [];
    const each = !summarisesPresence(view);
    for (let i = from; i < this.changes.length; ) {
      const end = each ? i + 1 : this.runEnd(i);
      parts.push(this.encoded(i, end).bytes(view));
      seqs.push(this.changes[i]!.seq);
      i = end;
    }
    const share = { parts, seqs };
    this.shares.set(key, share);
    return share;
  }

  /** Where the run holding change `i` ends (as the batch is now: add forgets it). */
  private runEnd(i: number): number {
    const start = this.runStart[i]!;
    let end = this.ends.get(start);
    if (end === undefined) {
      for (end = i + 1; end < this.changes.length && this.runStart[end] === start; ) end++;
      this.ends.set(start, end);
    }
    return end;
  }

  private encoded(from: number, to: number): Encoded {
    const map = to === from + 1 ? this.single : this.cut;
    let encoded = map.get(from);
    if (!encoded) map.set(from, (encoded = new Encoded(presenceEvent(this.room, this.changes.slice(from, to)))));
    return encoded;
  }
}

/** One event for a run of changes of one kind: the classic join or leave for one, a summary for more. */
export function presenceEvent(room: string, run: Change[]): ServerEvent {
  const first = run[0]!;
  const ts = run[run.length - 1]!.ts;
  const said = (c: Change) => (c.message ? { message: c.message } : {});
  const arrived = first.arrived ? { arrived: true as const } : {};
  if (run.length === 1) {
    return first.kind === "join"
      ? { type: "join", room, name: first.name, ...arrived, ts: first.ts }
      : { type: "leave", room, name: first.name, reason: first.reason, ...said(first), ts: first.ts };
  }
  const shown = run.slice(0, PRESENCE_NAMES);
  return first.kind === "join"
    ? { type: "joins", room, names: shown.map((c) => c.name), count: run.length, ...arrived, ts }
    : {
        type: "leaves",
        room,
        users: shown.map((c) => ({ name: c.name, reason: c.reason, ...said(c) })),
        count: run.length,
        ts,
      };
}
