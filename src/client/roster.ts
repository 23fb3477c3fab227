// Who is online, as the client sees it: set by the welcome and /users, kept current by join,
// leave and rename events. It feeds Tab completion (names and commands) and knows our own name.

import { COMMANDS } from "../protocol/commands.ts";
import type { ServerEvent } from "../protocol/events.ts";
import { foldName } from "../protocol/names.ts";

export class Roster {
  /** Folded name to name as written. */
  private readonly names = new Map<string, string>();
  /** Our own name, once joined (it follows /nick). */
  me: string | undefined;

  /** Updates from an event; anything that is not about who is online is ignored. */
  apply(event: ServerEvent): void {
    switch (event.type) {
      case "welcome":
        // In a big room, the first names only (as /users shows them); join events add the rest.
        this.me = event.name;
        this.reset(event.users);
        return;
      case "users":
        // A summary (a big room) or a search (/users sa) is not everyone: only add what it shows.
        if (event.prefix === undefined && !(event.count > event.users.length)) return this.reset(event.users);
        return this.add(event.users);
      case "join":
        this.names.set(foldName(event.name), event.name);
        return;
      case "leave":
        this.names.delete(foldName(event.name));
        return;
      case "joins":
        // A batch shows the first names only: the others are found by /users <prefix>.
        return this.add(event.names);
      case "leaves":
        for (const user of Array.isArray(event.users) ? event.users : []) {
          if (typeof user?.name === "string") this.names.delete(foldName(user.name));
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
const TAKES_A_NAME = new Set(["/pm", "/msg"]);
const COMMAND_WORDS = COMMANDS.flatMap((c) => [c.name, ...c.aliases])
  .map((w) => `/${w}`)
  .sort();

/**
 * Tab completion, in readline's terms: the candidates for the word before the cursor, and that
 * word. At the start of a line a name becomes "Sam: "; after /pm it becomes "Sam "; a "/" word
 * completes to a command; anywhere else a name (a mention) completes as it is.
 */
export function complete(line: string, names: readonly string[]): [string[], string] {
  const words = line.split(" ");
  const word = words[words.length - 1]!;
  const folded = word.toLowerCase();
  const matching = (candidates: readonly string[]) => candidates.filter((c) => c.toLowerCase().startsWith(folded));
  if (words.length === 1 && word.startsWith("/")) {
    return [matching(COMMAND_WORDS).map((c) => `${c} `), word];
  }
  if (words.length === 1) return [matching(names).map((n) => `${n}: `), word];
  if (words.length === 2 && TAKES_A_NAME.has(words[0]!.toLowerCase())) {
    return [matching(names).map((n) => `${n} `), word];
  }
  return [word === "" ? [] : matching(names), word];
}
