// Lines the client has shown, per room, so that a room's history replayed on joining it again
// (after a reconnection, or /part then /join) shows only what was missed, not what is on screen.

import { type HistoryLine, placeOf, type ServerEvent } from "../protocol/events.ts";

/** Lines remembered per room: more than a replay holds by default (20). */
const REMEMBERED = 200;

const key = (e: HistoryLine) => `${e.ts}\u0000${e.type === "topic" ? e.by : e.type === "private-sent" ? `>${e.to}` : e.from}\u0000${e.text}`;

export class SeenLines {
  private readonly rooms = new Map<string, { keys: Set<string>; order: string[] }>();

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
        const seen = this.rooms.get(event.room.toLowerCase())?.keys;
        const events = event.why === "join" && seen ? event.events.filter((e) => !seen.has(key(e))) : event.events;
        for (const e of events) this.note(e);
        if (event.why === "join" && events.length === 0) return undefined; // all of it is on screen already
        return events.length === event.events.length ? event : { ...event, events };
      }
      default:
        return event;
    }
  }

  private note(event: HistoryLine): void {
    const place = placeOf(event).toLowerCase();
    let room = this.rooms.get(place);
    if (!room) this.rooms.set(place, (room = { keys: new Set(), order: [] }));
    const k = key(event);
    if (room.keys.has(k)) return;
    room.keys.add(k);
    room.order.push(k);
    if (room.order.length > REMEMBERED) room.keys.delete(room.order.shift()!);
  }
}
