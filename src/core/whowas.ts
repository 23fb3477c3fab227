// Who was here: the last few stays of each name that left the chat, for IRC's WHOWAS. Bounded: the
// names that left longest ago are forgotten first.

/** One stay that ended: the name, what its client said of itself, and when it left. */
export interface Gone {
  name: string;
  /** IRC's user name ("~ana") and real name; the name itself for a client that gave none. */
  user: string;
  realname: string;
  at: number;
}

/** Names remembered at most, and stays per name. */
export const WHOWAS_NAMES = 2000;
export const WHOWAS_PER_NAME = 5;

export class Whowas {
  /** By name key, most recent last; the map's order is the order names last left in. */
  private readonly byKey = new Map<string, Gone[]>();

  left(key: string, gone: Gone): void {
    const stays = this.byKey.get(key) ?? [];
    this.byKey.delete(key); // to the end: left most recently
    stays.push(gone);
    if (stays.length > WHOWAS_PER_NAME) stays.shift();
    this.byKey.set(key, stays);
    if (this.byKey.size > WHOWAS_NAMES) this.byKey.delete(this.byKey.keys().next().value!);
  }

  /** The stays of a name, most recent first; at most `count` (0 or less: all kept). */
  of(key: string, count = 0): Gone[] {
    const stays = [...(this.byKey.get(key) ?? [])].reverse();
    return count > 0 ? stays.slice(0, count) : stays;
  }
}
