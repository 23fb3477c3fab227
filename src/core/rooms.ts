// The rooms there are, by name: found by their name as written (the lookup every line from another
// node makes) or by their key (look-alikes are one room), listed in order for /rooms, and bounded
// in number (--max-rooms).

import type { RoomInfo, ServerEvent } from "../protocol/events.ts";
import { ROOMS_SHOWN } from "../protocol/limits.ts";
import { foldName } from "../protocol/names.ts";
import type { Member, Room } from "./room.ts";
import { SortedNames } from "./sorted-names.ts";

export class Rooms {
  /** By folded name, and their names in order for /rooms. */
  private readonly byKey = new Map<string, Room>();
  private readonly names = new SortedNames();
  /** By their name as written, without folding. */
  private readonly byName = new Map<string, Room>();

  /** `max`: rooms there may be at most (--max-rooms), the default room aside. */
  constructor(readonly max: number) {}

  /** Rooms with someone in them. */
  get size(): number {
    return this.byKey.size;
  }

  /** The room with this name (or one that looks like it). */
  find(name: string): Room | undefined {
    return this.byName.get(name) ?? this.byKey.get(foldName(name));
  }

  /** Whether another room may be made. */
  get full(): boolean {
    return this.byKey.size >= this.max;
  }

  add(room: Room): void {
    this.byKey.set(foldName(room.name), room);
    this.byName.set(room.name, room);
    this.names.add(room.name);
  }

  delete(room: Room): void {
    this.byKey.delete(foldName(room.name));
    this.byName.delete(room.name);
    this.names.remove(room.name);
  }

  values(): Iterable<Room> {
    return this.byKey.values();
  }

  /**
   * /rooms: the first ROOMS_SHOWN rooms by name (with a prefix, those it starts), and how many there
   * are, as `viewer` sees them: a secret room only if it may (`sees`), its key only if it is in it.
   */
  list(prefix: string, viewer: Member, sees: (room: Room) => boolean): ServerEvent {
    // Secret rooms are few: counted apart, and asked for on top so that as many are shown.
    let hidden = 0;
    for (const room of this.byKey.values()) if (room.roles.secret && room.name.startsWith(prefix) && !sees(room)) hidden++;
    const { names, count } = this.names.range(prefix, ROOMS_SHOWN + hidden);
    const rooms: RoomInfo[] = [];
    for (const name of names) {
      const room = this.byKey.get(foldName(name))!;
      if (rooms.length < ROOMS_SHOWN && (!room.roles.secret || sees(room))) rooms.push(room.info(room.has(viewer)));
    }
    return { type: "rooms", rooms, count: count - hidden, ...(prefix === "" ? {} : { prefix }) };
  }
}
