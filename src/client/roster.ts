// Who is online and which rooms there are, as the client sees it: set by the welcome, /users and
// /rooms, kept current by join, leave, rename and room events. It feeds Tab completion (names,
// rooms and commands) and knows our own name, our rooms and the current one.

import { COMMANDS } from "../protocol/commands.ts";
import { leftRoomOnly, type ServerEvent } from "../protocol/events.ts";
import { foldName } from "../protocol/names.ts";

export class Roster {
  /** Folded name to name as written. */
  private readonly names = new Map<string, string>();
  /** Our own name, once joined (it follows /nick). */
  me: string | undefined;
  /** Where our lines go, and every room we are in. */
  room: string | undefined;
  readonly rooms = new Set<string>();
  /** Rooms heard of (ours, /rooms, lines from them), for completion. */
  private readonly knownRooms = new Set<string>();

  /** Updates from an event; anything that is not about who is online is ignored. */
  apply(event: ServerEvent): void {
    switch (event.type) {
      case "welcome":
        // In a big room, the first names only (as /users shows them); join events add the rest.
        this.me = event.name;
        this.reset(event.users);
        this.rooms.clear();
        this.addRooms(event.rooms);
        this.room = typeof event.room === "string" ? event.room : undefined;
        return;
      case "room":
        if (typeof event.room !== "string") return;
        if (event.elsewhere !== true) this.room = event.room; // joined from another device: lines here still go where they went
        this.addRooms([event.room]);
        return this.add(event.users);
      case "parted":
        this.rooms.delete(event.room);
        this.room = typeof event.current === "string" ? event.current : undefined;
        return;
      case "rooms":
        for (const r of Array.isArray(event.rooms) ? event.rooms : []) {
          if (typeof r?.name === "string") this.knownRooms.add(r.name);
        }
        return;
      case "users":
        // A summary (a big room) or a search (/users sa) is not everyone: only add what it shows.
        if (event.prefix === undefined && !(event.count > event.users.length)) return this.reset(event.users);
        return this.add(event.users);
      case "join":
        this.names.set(foldName(event.name), event.name);
        return;
      case "leave":
        if (!leftRoomOnly(event.reason)) this.names.delete(foldName(event.name)); // else still online
        return;
      case "joins":
        // A batch shows the first names only: the others are found by /users <prefix>.
        return this.add(event.names);
      case "leaves":
        for (const user of Array.isArray(event.users) ? event.users : []) {
          if (typeof user?.name === "string" && !leftRoomOnly(user.reason)) this.names.delete(foldName(user.name));
        }
        return;
      case "rename":
        this.names.delete(foldName(event.from));
        this.names.set(foldName(event.to), event.to);
        if (this.me !== undefined && foldName(this.me) === foldName(event.from)) this.me = event.to;
        return;
      default:
        return;
    }
  }

  /** Rooms we are in or have heard of, sorted. */
  roomNames(): string[] {
    return [...new Set([...this.rooms, ...this.knownRooms])].sort();
  }

  /** Our rooms (from a welcome or a room event), checked: they came from the network. */
  private addRooms(rooms: unknown): void {
    for (const room of Array.isArray(rooms) ? rooms : []) {
      if (typeof room !== "string") continue;
      this.rooms.add(room);
      this.knownRooms.add(room);
    }
  }

  /** Everyone online but us, sorted. */
  others(): string[] {
    const me = this.me === undefined ? undefined : foldName(this.me);
    return [...this.names.entries()]
      .filter(([key]) => key !== me)
      .map(([, name]) => name)
      .sort((a, b) => (foldName(a) < foldName(b) ? -1 : 1));
  }

  private reset(users: unknown): void {
    this.names.clear();
    this.add(users);
  }

  /** Adds the names of a list from the network, skipping anything that is not a name. */
  private add(users: unknown): void {
    for (const name of Array.isArray(users) ? users : []) if (typeof name === "string") this.names.set(foldName(name), name);
  }
}

/** Commands that take a user name next. */
const TAKES_A_NAME = new Set(["/pm", "/msg", "/invite"]);
const COMMAND_WORDS = COMMANDS.flatMap((c) => [c.name, ...c.aliases])
  .map((w) => `/${w}`)
  .sort();

/**
 * Tab completion, in readline's terms: the candidates for the word before the cursor, and that
 * word. At the start of a line a name becomes "Sam: "; after /pm or /invite it becomes "Sam "; a "/" word
 * completes to a command, a "#" word to a room; anywhere else a name (a mention) completes as it is.
 */
export function complete(line: string, names: readonly string[], rooms: readonly string[] = []): [string[], string] {
  const words = line.split(" ");
  const word = words[words.length - 1]!;
  const folded = word.toLowerCase();
  const matching = (candidates: readonly string[]) => candidates.filter((c) => c.toLowerCase().startsWith(folded));
  if (words.length === 1 && word.startsWith("/")) {
    return [matching(COMMAND_WORDS).map((c) => `${c} `), word];
  }
  if (word.startsWith("#")) return [matching(rooms).map((r) => `${r} `), word];
  if (words.length === 1) return [matching(names).map((n) => `${n}: `), word];
  if (words.length === 2 && TAKES_A_NAME.has(words[0]!.toLowerCase())) {
    return [matching(names).map((n) => `${n} `), word];
  }
  return [word === "" ? [] : matching(names), word];
}

/**
 * Tab that cycles, as irssi's does: several matches complete to the first, and each next Tab (the
 * line untouched since) replaces it with the next, round again after the last. `/wh` Tab gives
 * `/who `, Tab again `/whois `.
 */
export class Completer {
  /** The last completion: the line it left, the word it replaced and its matches. */
  private last: { line: string; word: string; matches: string[]; index: number } | undefined;

  constructor(private readonly candidates: (line: string) => [string[], string]) {}

  next(line: string): [string[], string] {
    const last = this.last;
    if (last && line === last.line) {
      const index = (last.index + 1) % last.matches.length;
      const shown = last.matches[last.index]!;
      const fresh = last.matches[index]!;
      this.last = { ...last, line: line.slice(0, line.length - shown.length) + fresh, index };
      return [[fresh], shown];
    }
    const [matches, word] = this.candidates(line);
    if (matches.length < 2) {
      this.last = undefined;
      return [matches, word];
    }
    this.last = { line: line.slice(0, line.length - word.length) + matches[0]!, word, matches, index: 0 };
    return [[matches[0]!], word];
  }
}
