// Who is in the chat, and delivery to them. The only state sessions share.
// Knows nothing of sockets: a member is anything that can take encoded bytes.

import { Encoded } from "../protocol/codec.ts";
import type { Mode, ServerEvent } from "../protocol/events.ts";
import { foldName } from "../protocol/names.ts";

export interface Member {
  readonly name: string;
  readonly mode: Mode;
  deliver(bytes: Uint8Array): void;
}

export class Hub {
  private readonly members = new Map<string, Member>();
  /** Everyone's name, kept sorted as people come and go (not sorted again for every welcome). */
  private readonly sorted: string[] = [];

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

  /** Where `name` is or would go in the sorted list. */
  private position(name: string): number {
    const key = foldName(name);
    let low = 0;
    let high = this.sorted.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (foldName(this.sorted[mid]!) < key) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Adds a member unless the name is taken; true when added. */
  add(member: Member): boolean {
    const key = foldName(member.name);
    if (this.members.has(key)) return false;
    this.members.set(key, member);
    this.sorted.splice(this.position(member.name), 0, member.name);
    return true;
  }

  /** Removes a member; true if it was there (so a leave is announced exactly once). */
  remove(member: Member): boolean {
    const key = foldName(member.name);
    if (this.members.get(key) !== member) return false;
    this.members.delete(key);
    this.sorted.splice(this.position(member.name), 1);
    return true;
  }

  /** Delivers to every member but one; each mode's bytes are encoded once. */
  broadcast(event: ServerEvent, except?: Member): void {
    const encoded = new Encoded(event);
    for (const member of this.members.values()) {
      if (member !== except) member.deliver(encoded.bytes(member.mode));
    }
  }

  send(member: Member, event: ServerEvent): void {
    member.deliver(new Encoded(event).bytes(member.mode));
  }
}
