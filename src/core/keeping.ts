// What is kept of rooms' chat, as the hub uses it: each line said here handed to the store and
// flushed together within HISTORY_FLUSH_MS, what a joiner is shown of a room's past, and whether a
// room is known at all (has a past) for a bot that posts to it.

import type { Clock } from "../net/clock.ts";
import type { MessageId, Topic } from "../protocol/events.ts";
import { quoteOf } from "./messages.ts";
import { checkRoom } from "../protocol/names.ts";
import { chain, freshIds, HISTORY_PAGE_MAX, type HistoryStore, type Kept, type Maybe, settled, type StoredLine } from "../store/history.ts";
import type { RoomRoles, RoomStore } from "../store/rooms.ts";
import type { Bus } from "./bus.ts";
import type { Room } from "./room.ts";

/** Lines kept are written together at most this long after they are said (committed before they go out: Turns.beforeBytes). */
export const HISTORY_FLUSH_MS = 100;

/** What a joiner is shown of a room's past: the last lines, whether older ones are kept, and its topic. */
export interface Replay {
  kept: Kept[];
  more: boolean;
  topic: Topic | undefined;
  /** Who runs it, as kept. */
  roles?: RoomRoles;
  /** `kept` is what was said since this read marker (more than a join shows): catch-up. */
  since?: number;
}

/** What keeping needs of the hub. */
export interface KeepingHost {
  readonly clock: Clock;
  readonly lobby: string;
  readonly history: HistoryStore | undefined;
  /** Other nodes: ids are the cluster's when no store gives them. */
  readonly bus: Bus | undefined;
  readonly roomStore: RoomStore | undefined;
  room(name: string): Room | undefined;
}

/** Catch-ups done in one turn of the event loop at most for this long; the rest wait for the next turns. */
export const CATCH_UP_SLICE_MS = 10;

/**
 * Turns at catching up: a thousand users back at once, each shown a backlog of five rooms, were
 * 1.7 s of one event loop turn, and a bystander's /ping waited 0.9 s behind them. Within a slice of
 * a turn a catch-up goes at once; past it, it waits in line, and the line is served a slice a turn.
 */
class CatchUpTurns {
  private sliceStart = Number.NEGATIVE_INFINITY;
  private readonly waiting: (() => void)[] = [];
  private serving = false;

  /** Undefined: go now; else a promise that resolves on this catch-up's turn. */
  turn(): Promise<void> | undefined {
    const now = performance.now();
    if (!this.serving && this.waiting.length === 0) {
      if (now - this.sliceStart > CATCH_UP_SLICE_MS * 2) this.sliceStart = now; // a new burst
      if (now - this.sliceStart < CATCH_UP_SLICE_MS) return undefined;
    }
    const turn = new Promise<void>((resolve) => this.waiting.push(resolve));
    if (!this.serving) {
      this.serving = true;
      setImmediate(() => void this.serve());
    }
    return turn;
  }

  /** Lets the line go, one catch-up at a time (each runs to its end before the next), a slice a turn. */
  private async serve(): Promise<void> {
    const start = performance.now();
    while (this.waiting.length > 0 && performance.now() - start < CATCH_UP_SLICE_MS) {
      this.waiting.shift()!();
      await null; // the catch-up just let go runs (its own continuations first)
      await null;
    }
    if (this.waiting.length > 0) setImmediate(() => void this.serve());
    else {
      this.serving = false;
      this.sliceStart = performance.now();
    }
  }
}

/** How many of `kept` (oldest first) were said after `since`. */
function countAfter(kept: readonly Kept[], since: number): number {
  let n = 0;
  for (let i = kept.length - 1; i >= 0 && kept[i]!.event.ts > since; i--) n++;
  return n;
}

export class Keeping {
  private historyDue = false;
  private readonly flushHistory = () => {
    this.historyDue = false;
    this.host.history?.flush();
  };

  /** Ids when no store gives them (no history). */
  private readonly ownIds: { next(): number };

  constructor(
    private readonly host: KeepingHost,
    /** Lines of a room shown to whoever joins it. */
    private readonly replayOnJoin: number,
  ) {
    this.ownIds = freshIds(host.clock);
  }

  /** The id of the next line said here: the store's (a file's row numbers, a cluster's ids), the cluster's, or counted here. */
  nextId(): MessageId {
    return this.host.history?.nextId() ?? this.host.bus?.nextId() ?? this.ownIds.next();
  }

  /**
   * What whoever joins the room `input` names is shown of its past (undefined: nothing, or history
   * is off): at once from a store here, or once Redis answers. Asked before the join, so that
   * nothing said after it comes first; never fails (a store that can't answer shows nothing).
   * With a read marker (`since`), what was said since it: a crowd coming back takes turns at that
   * (CatchUpTurns), so that everyone else is still answered meanwhile.
   */
  replay(input: string, since?: number): Maybe<Replay | undefined> {
    if (since === undefined || !this.host.history) return this.replayNow(input, since);
    const turn = this.catchUps.turn();
    return turn ? turn.then(() => this.replayNow(input, since)) : this.replayNow(input, since);
  }

  /** Catch-ups waiting for their turn of the event loop. */
  private readonly catchUps = new CatchUpTurns();

  private replayNow(input: string, since: number | undefined): Maybe<Replay | undefined> {
    const check = checkRoom(input);
    if ((!this.host.history && !this.host.roomStore) || !check.ok) return undefined;
    // With a read marker: up to a page of what was said since it (catch-up), read in one go.
    const count = !this.host.history ? 0 : since === undefined ? this.replayOnJoin : Math.max(this.replayOnJoin, HISTORY_PAGE_MAX);
    const recent = count > 0 ? chain(this.host.history!.recent(check.name, count + 1), (kept) => this.quoted(check.name, kept)) : [];
    // A room with people here already is up to date (its topic and roles changes reach this node):
    // only one nobody here is in is read from the store (in a cluster, a round trip to Redis each).
    const known = this.host.room(check.name);
    const live = known !== undefined && known.locals > 0;
    const topic = live ? known.topic : this.host.history?.topic(check.name);
    const roles = live ? undefined : this.host.roomStore?.get(check.name);
    const replay = (kept: Kept[], topic: Topic | undefined, roles: RoomRoles | undefined): Replay => {
      const missed = since === undefined ? 0 : countAfter(kept, since);
      // Catch-up when more was said since the marker than a join shows; else the last lines, as for anyone.
      const shown = missed > this.replayOnJoin ? Math.min(missed, count) : this.replayOnJoin;
      return {
        kept: kept.slice(Math.max(0, kept.length - shown)),
        more: kept.length > shown,
        topic,
        ...(roles ? { roles } : {}),
        ...(missed > this.replayOnJoin ? { since: since! } : {}),
      };
    };
    if (!(recent instanceof Promise) && !(topic instanceof Promise) && !(roles instanceof Promise)) {
      return replay(recent, topic, roles);
    }
    return Promise.all([recent, topic, roles]).then(([k, t, r]) => replay(k, t, r), () => undefined);
  }

  /**
   * A line said here, kept in history: written within HISTORY_FLUSH_MS, with every other line of
   * that time in one transaction (a transaction per line, in a steady chat one a turn, cost 50 µs).
   */
  keep(event: StoredLine): void {
    if (!this.host.history) return;
    if (!this.historyDue) {
      this.historyDue = true;
      this.host.clock.later(HISTORY_FLUSH_MS, this.flushHistory);
    }
    this.host.history.keep(event);
  }

  /**
   * The replies among `lines` of `room` with their quotes made from the lines they answer now (in
   * the same lines, or read from the store): a line answered that is gone is quoted as gone.
   */
  quoted(room: string, lines: Kept[]): Maybe<Kept[]> {
    const history = this.host.history;
    const wanted = lines.filter((l) => l.event.type !== "topic" && l.event.reply && l.event.reply.from === undefined);
    if (!history || wanted.length === 0) return lines;
    const known = new Map<MessageId, StoredLine>(lines.map((l) => [l.event.id, l.event]));
    const ids = [...new Set(wanted.map((l) => (l.event as Exclude<StoredLine, { type: "topic" }>).reply!.id))].filter((id) => !known.has(id));
    const looked = ids.map((id) => settled(history.find(room, id)));
    const apply = (found: (Kept | undefined | null)[]) => {
      for (const k of found) if (k) known.set(k.event.id, k.event);
      return lines.map((l) => {
        if (l.event.type === "topic" || !l.event.reply || l.event.reply.from !== undefined) return l;
        const parent = known.get(l.event.reply.id);
        return { id: l.id, event: { ...l.event, reply: parent ? quoteOf(parent) : { id: l.event.reply.id } } };
      });
    };
    return looked.some((f) => f instanceof Promise) ? Promise.all(looked).then(apply) : apply(looked as (Kept | undefined | null)[]);
  }

  /** The lines of several rooms (a /search) with their quotes, as quoted() makes them. */
  quotedAll(lines: Kept[]): Maybe<Kept[]> {
    const rooms = [...new Set(lines.filter((l) => l.event.type !== "topic" && l.event.reply).map((l) => l.event.room))];
    if (rooms.length === 0) return lines;
    const each = rooms.map((room) => this.quoted(room, lines.filter((l) => l.event.room === room)));
    const merge = (done: Kept[][]) => {
      const byId = new Map(done.flat().map((l) => [l.event.id, l]));
      return lines.map((l) => byId.get(l.event.id) ?? l);
    };
    return each.some((e) => e instanceof Promise) ? Promise.all(each).then(merge) : merge(each as Kept[][]);
  }

  /** Makes what was kept survive a crash now, for an answer that goes out before the turn ends (the HTTP API's). */
  commit(): void {
    this.host.history?.commit();
  }

  /**
   * Whether a room is known to someone who is not in it (a bot, through the HTTP API): the default
   * room, one someone is in (here or on another node), or one with a past (lines, a topic, an
   * owner); but never a secret one, which is answered about as one that does not exist. Its past is
   * read whatever the room, so that a secret room's answer takes as long as a missing one's.
   */
  knownRoom(name: string): Maybe<boolean> {
    const live = this.host.room(name);
    const lines = this.host.history ? settled(this.host.history.recent(name, 1)) : [];
    const roles = this.host.roomStore ? settled(this.host.roomStore.get(name)) : undefined;
    const known = (l: Kept[] | null, r: RoomRoles | undefined | null) => {
      if (live) return !live.roles.secret;
      if (r?.secret) return false;
      return name === this.host.lobby || (l?.length ?? 0) > 0 || r?.owner !== undefined;
    };
    if (lines instanceof Promise || roles instanceof Promise) return Promise.all([lines, roles]).then(([l, r]) => known(l, r));
    return known(lines, roles);
  }
}
