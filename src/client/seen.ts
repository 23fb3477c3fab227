// Lines the client has shown, per room (and private conversation), so that a room's history
// replayed on joining it again (after a reconnection, or /part then /join) shows only what was
// missed, not what is on screen; and the newest line of each, which a reconnection asks the server
// for what came after (/history … after <id>): nothing missed, nothing twice.

import { type HistoryLine, type MessageId, placeOf, type ServerEvent } from "../protocol/events.ts";

/** Lines remembered per room: more than a replay holds by default (20). */
const REMEMBERED = 200;

const key = (e: HistoryLine) => `${e.ts}\u0000${e.type === "topic" ? e.by : e.type === "private-sent" ? `>${e.to}` : e.from}\u0000${e.text}`;

export class SeenLines {
  private readonly rooms = new Map<string, { keys: Set<string>; order: string[]; last?: { id: MessageId; ts: number } }>();

  /** Notes what an event shows; a history event replayed on joining comes back without what was seen. */
  filter(event: ServerEvent): ServerEvent | undefined {
    switch (event.type) {
      case "public":
      case "action":
      case "topic":
      case "private":
      case "private-sent":
        this.note(event);
        return event;
      case "history": {
        // A replay on joining, and what came after a line we had: less what is on screen already.
        const fresh = event.why === "join" || event.after !== undefined;
        const seen = this.rooms.get(event.room.toLowerCase())?.keys;
        const events = fresh && seen ? event.events.filter((e) => !seen.has(key(e))) : event.events;
        for (const e of events) this.note(e, fresh);
        if (fresh && events.length === 0) return undefined; // all of it is on screen already
        return events.length === event.events.length ? event : { ...event, events };
      }
      default:
        return event;
    }
  }

  /** Each room's and conversation's ("@sam") newest line shown: what to ask for what came after, once back. */
  newest(): [string, MessageId][] {
    return [...this.rooms].flatMap(([place, room]) => (room.last ? [[place, room.last.id] as [string, MessageId]] : []));
  }

  /** `latest`: a line said now or since (not one paged back to with /history). */
  private note(event: HistoryLine, latest = true): void {
    const place = placeOf(event).toLowerCase();
    let room = this.rooms.get(place);
    if (!room) this.rooms.set(place, (room = { keys: new Set(), order: [] }));
    if (latest && event.id !== "" && (!room.last || event.ts >= room.last.ts)) room.last = { id: event.id, ts: event.ts };
    const k = key(event);
    if (room.keys.has(k)) return;
    room.keys.add(k);
    room.order.push(k);
    if (room.order.length > REMEMBERED) room.keys.delete(room.order.shift()!);
  }
}
