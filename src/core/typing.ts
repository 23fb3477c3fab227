// "Sam is typing…": told to those who show it (the page, the terminal client, IRC clients that
// take tags, as a TAGMSG with +typing), never kept, never to a plain nc connection. A member's
// "active" is told at most once every TYPING_EVERY_MS per room or conversation (the page and the
// client send it as their user types; a storm of them costs nothing past that), and "paused" or
// "done" only after an "active". Saying a line ends it without a word: clients drop the typist
// when its line comes.

import { type ServerEvent, takesTags, type TypingState } from "../protocol/events.ts";
import { foldName } from "../protocol/names.ts";
import type { Device, Member, Room } from "./room.ts";

/** An "active" told at most this often per member and room (or conversation); clients forget one after TYPING_SHOWN_MS. */
export const TYPING_EVERY_MS = 3000;
export const TYPING_SHOWN_MS = 6000;
/** Rooms and conversations whose typing state is kept per member, at most (the oldest forgotten). */
const TYPING_TARGETS = 40;

export type TypingEvent = Extract<ServerEvent, { type: "typing" }>;

/** Whether a device is shown typing: the page and the client (JSON), IRC clients that take tags. */
export function showsTyping(device: Device): boolean {
  return device.mode === "json" || takesTags(device.mode);
}

export class Typing {
  private readonly last = new WeakMap<Member, Map<string, { state: TypingState; at: number }>>();

  /**
   * Whether `member`'s `state` in `target` ("#dev", or "@" and a name key) is told now: an active
   * one at most every TYPING_EVERY_MS, a paused or done one only after an active one.
   */
  due(member: Member, target: string, state: TypingState, now: number): boolean {
    let mine = this.last.get(member);
    if (!mine) this.last.set(member, (mine = new Map()));
    const was = mine.get(target);
    if (state === "active" ? was?.state === "active" && now - was.at < TYPING_EVERY_MS : was?.state !== "active") return false;
    mine.delete(target);
    mine.set(target, { state, at: now });
    if (mine.size > TYPING_TARGETS) mine.delete(mine.keys().next().value!);
    return true;
  }

  /** `member` said a line in `target`: its typing there is over (nobody is told: they see the line). */
  said(member: Member, target: string): void {
    this.last.get(member)?.delete(target);
  }
}

/** `event` (someone typing in `room`) to the devices here that show it, but the typist's own and those ignoring it. */
export function tellTypingInRoom(room: Room, event: TypingEvent, from: Member): void {
  const key = foldName(event.from);
  for (const m of room.localMembers()) {
    if (m === from || m.ignoring?.has(key)) continue;
    for (const d of m.devices) if (showsTyping(d)) d.tell(event);
  }
}

/** `event` (someone typing to `to`, privately) to `to`'s devices that show it, unless it ignores them. */
export function tellTypingTo(to: Member, event: TypingEvent): void {
  if (to.ignoring?.has(foldName(event.from))) return;
  for (const d of to.devices) if (showsTyping(d)) d.tell(event);
}
