// Read markers as the hub keeps them: per member and target (a room, or a private conversation),
// the time of the newest line read. Moved forward only (IRC's draft/read-marker: "MUST only ever
// increase"), by reading: /read from the page and the client, MARKREAD from IRC. Every device of
// the member is told at once. A registered user's are kept (store/markers.ts) and loaded when their
// first device comes; a guest's last while it is online.

import { MARKERS_PER_ACCOUNT, type MarkerStore } from "../store/markers.ts";
import { type HistoryStore, type Kept, type Maybe, settled, then, writeAside } from "../store/history.ts";
import type { Device, Member, Room } from "./room.ts";
import type { Unread } from "../protocol/events.ts";
import { foldName, mentions } from "../protocol/names.ts";

/** Where the store keeps when an account's last connection went, beside its markers: never a room's or a name's key. */
const SEEN = "~seen";

/** What markers need of the hub. */
export interface MarkersHost {
  log(line: string): void;
}

/**
 * How a target is kept: a room by its name ("#dev"), a private conversation by the other's name
 * in lower case with "@" before it ("@sam"), as the page names its conversations.
 */
export function markerKey(target: string): string {
  return target.startsWith("#") ? target.toLowerCase() : `@${target.toLowerCase()}`;
}

export class Markers {
  constructor(
    private readonly host: MarkersHost,
    private readonly store: MarkerStore | undefined,
  ) {}

  /** Whether markers outlive a member's stay (a registered user's, with a store). */
  kept(member: Member): boolean {
    return this.store !== undefined && member.account !== undefined;
  }

  /** A registered member's kept markers (and when it was last connected), read before its first device is welcomed; nothing for a guest. */
  load(member: Member): Maybe<void> {
    const markers = member.markers;
    if (!this.store || member.account === undefined || !markers) return;
    return then(settled(this.store.all(member.account)), (all) => {
      if (!all) return this.host.log(`! read markers of ${member.name} could not be read`);
      for (const [target, ts] of Object.entries(all)) {
        if (target === SEEN) member.seen = Math.max(member.seen ?? 0, ts);
        else if (!((markers.get(target) ?? -1) >= ts)) markers.set(target, ts);
      }
    });
  }

  /**
   * `member`'s last connection went at `ts`: kept beside its markers, so that its next device is
   * shown what came in its conversations since then (not again what it was sent while connected).
   */
  seen(member: Member, ts: number): void {
    member.seen = ts;
    const store = this.store;
    const account = member.account;
    if (store && account !== undefined) writeAside(() => store.set(account, SEEN, ts), () => this.host.log(`! when ${member.name} was last connected could not be kept`));
  }

  /** `member`'s markers, for the `markers` event after a welcome; undefined when it has none. */
  all(member: Member): Record<string, number> | undefined {
    return member.markers && member.markers.size > 0 ? Object.fromEntries(member.markers) : undefined;
  }

  /** `member`'s marker of `target` (a room or a name), if it has one. */
  get(member: Member, target: string): number | undefined {
    return member.markers?.get(markerKey(target));
  }

  /**
   * `member` read `target` up to `ts` (from its connection `from`): its marker moves there unless it
   * is there or later already, and the marker as it is now is the answer. When it moved, it is kept
   * (a registered member's) and every other device of the member is told (the asker is answered by
   * its caller).
   */
  move(member: Member, target: string, ts: number, from?: Device): number {
    const markers = member.markers;
    if (!markers) return ts;
    const key = markerKey(target);
    const old = markers.get(key);
    if (old !== undefined && old >= ts) return old;
    if (old === undefined && markers.size >= MARKERS_PER_ACCOUNT) markers.delete(oldest(markers));
    markers.set(key, ts);
    const store = this.store;
    const account = member.account;
    // Not written: the marker holds while the user is online.
    if (store && account !== undefined) writeAside(() => store.set(account, key, ts), () => this.host.log(`! a read marker of ${member.name} could not be kept`));
    const event = { type: "marker", target: key, at: ts, elsewhere: true } as const;
    for (const d of member.devices) if (d !== from) d.tell(event);
    return ts;
  }
}

/** Lines of a room looked through to count what is unread in it: past them, the count says `more`. */
export const UNREAD_SCAN = 200;

/**
 * What is unread in each of `rooms` that `member` has a marker of: others' lines after it, and those
 * mentioning it, from the newest UNREAD_SCAN lines the store keeps (none without a store).
 */
export function unreadIn(member: Member, history: HistoryStore | undefined, rooms: readonly Room[]): Maybe<Record<string, Unread>> {
  const markers = member.markers;
  const marked = history && markers ? rooms.filter((r) => markers.has(r.name)) : [];
  if (marked.length === 0) return {};
  const scans = marked.map((r) => settled(history!.recent(r.name, UNREAD_SCAN + 1)));
  const count = (found: (Kept[] | null)[]) => {
    const out: Record<string, Unread> = {};
    marked.forEach((room, i) => {
      const lines = found[i];
      if (!lines) return; // the store could not answer: no count rather than a wrong one
      const since = markers!.get(room.name)!;
      const unread: Unread = { count: 0, mentions: 0 };
      for (const { event } of lines.slice(-UNREAD_SCAN)) {
        if (event.ts <= since || event.type === "topic" || foldName(event.from) === foldName(member.name)) continue;
        unread.count++;
        if (mentions(event.text, member.name)) unread.mentions++;
      }
      if (lines.length > UNREAD_SCAN && lines[0]!.event.ts > since) unread.more = true;
      out[room.name] = unread;
    });
    return out;
  };
  return scans.some((s) => s instanceof Promise) ? Promise.all(scans).then(count) : count(scans as (Kept[] | null)[]);
}

/** A marker's time as given: ms since 1970, or an ISO 8601 time (IRC's "2019-01-04T14:33:26.123Z"); undefined if neither. */
export function parseMarkerTime(text: string): number | undefined {
  if (/^\d{1,15}$/.test(text)) return Number(text);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** The target read longest ago. */
function oldest(markers: Map<string, number>): string {
  let key = "";
  let at = Number.POSITIVE_INFINITY;
  for (const [k, ts] of markers) if (ts < at) [key, at] = [k, ts];
  return key;
}
