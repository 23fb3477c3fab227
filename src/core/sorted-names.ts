// Names kept sorted ignoring case as they come and go, so that a list or a search by prefix is a
// binary search and a slice, never a sort or a scan of everyone: a room's members, everyone
// online, the rooms themselves.

export class SortedNames {
  private readonly list: string[] = [];

  get size(): number {
    return this.list.length;
  }

  /** All of them, in order. The object's own array: read it before anything changes. */
  all(): readonly string[] {
    return this.list;
  }

  /** Names in the list differ in more than case (callers keep them unique), so this is a strict order. */
  add(name: string): void {
    this.list.splice(this.position(name), 0, name);
  }

  remove(name: string): void {
    const at = this.position(name);
    if (this.list[at] === name) this.list.splice(at, 1);
  }

  /** The first `limit` names starting with `prefix` (ignoring case), and how many there are in all. */
  range(prefix: string, limit: number): { names: string[]; count: number } {
    const from = this.position(prefix);
    const to = prefix === "" ? this.list.length : this.position(`${prefix.toLowerCase()}\u{10ffff}`);
    return { names: this.list.slice(from, Math.min(to, from + limit)), count: to - from };
  }

  /** Where `name` is or would go, ignoring case. */
  private position(name: string): number {
    const key = name.toLowerCase();
    let low = 0;
    let high = this.list.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.list[mid]!.toLowerCase() < key) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
