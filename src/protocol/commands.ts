// The command language typed by every user, whichever client they use. One table drives
// the server's dispatch, /help, the client's instructions and the README's command list.

export interface CommandSpec {
  /** Without the slash. */
  readonly name: string;
  readonly aliases: readonly string[];
  readonly usage: string;
  readonly summary: string;
}

export const COMMANDS = [
  { name: "pm", aliases: ["msg"], usage: "/pm <user> <message>", summary: "send a private message to one user" },
  { name: "users", aliases: ["who"], usage: "/users", summary: "list who is online" },
  { name: "help", aliases: [], usage: "/help", summary: "list the commands" },
  { name: "ping", aliases: [], usage: "/ping <token>", summary: "the server answers pong <token> (for scripts)" },
  { name: "quit", aliases: ["exit"], usage: "quit", summary: "leave the chat (also /quit)" },
] as const satisfies readonly CommandSpec[];

export type CommandName = (typeof COMMANDS)[number]["name"];

const BY_NAME = new Map<string, CommandName>();
for (const c of COMMANDS) for (const n of [c.name, ...c.aliases]) BY_NAME.set(n, c.name);

/** A command name or alias, case-insensitive, to its command; undefined when there is none. */
export function lookupCommand(word: string): CommandName | undefined {
  return BY_NAME.get(word.toLowerCase());
}

/** The closest command to a mistyped one, for "did you mean" hints. */
export function suggestCommand(word: string): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  // Farther than two edits, or than all but one letter of the word, is no longer a typo.
  let bestDistance = Math.min(3, w.length - 1);
  for (const name of BY_NAME.keys()) {
    const d = name.startsWith(w) || w.startsWith(name) ? 1 : editDistance(w, name);
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return best === undefined ? undefined : `/${BY_NAME.get(best)}`;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** What one typed line means. */
export type Input =
  { kind: "empty" } | { kind: "text"; text: string } | { kind: "command"; word: string; args: string };

export function parseInput(line: string): Input {
  const trimmed = line.trim();
  if (trimmed === "") return { kind: "empty" };
  if (trimmed.toLowerCase() === "quit") return { kind: "command", word: "quit", args: "" };
  // "//" escapes a message that starts with a slash: "//shrug" sends "/shrug".
  if (trimmed.startsWith("//")) return { kind: "text", text: trimmed.slice(1) };
  if (!trimmed.startsWith("/")) return { kind: "text", text: trimmed };
  const space = trimmed.search(/\s/);
  if (space === -1) return { kind: "command", word: trimmed.slice(1), args: "" };
  return { kind: "command", word: trimmed.slice(1, space), args: trimmed.slice(space).trim() };
}

/** Splits "<first> <rest>" at the first run of white space. */
export function splitFirst(args: string): [string, string] {
  const space = args.search(/\s/);
  if (space === -1) return [args, ""];
  return [args.slice(0, space), args.slice(space).trim()];
}
