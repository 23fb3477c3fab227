// IRC's wire format (RFC 1459 / 2812 and the IRCv3 message-tags): reading a client's line into
// its parts and writing ours. What IRC users are sent is rendered in src/render/irc.ts.

/** The server's name in numerics unless --irc-name says otherwise, and in what a room is sent (notices, kicks). */
export const IRC_SERVER = "bunchat";
/** The host part of every user's mask: bunchat shows no one's address. */
export const IRC_HOST = "bunchat";
/** An IRC line the server writes is at most this long, "\r\n" and tags excluded (RFC 1459). */
export const IRC_LINE_BYTES = 512;

/** One IRC line from a client: its tags, source (clients rarely send one), command and parameters. */
export interface IrcMessage {
  tags?: ReadonlyMap<string, string>;
  source?: string;
  /** Upper-cased; a numeric stays as its digits. */
  command: string;
  params: string[];
}

/**
 * A line as IRC reads it: `@tags :source COMMAND param param :trailing`. Undefined for a line with
 * no command (empty, or only tags). Parameters past the 15th are kept in the last, as servers do.
 */
export function parseIrc(line: string): IrcMessage | undefined {
  let rest = line.replace(/^[ ]+/, "");
  let tags: Map<string, string> | undefined;
  if (rest.startsWith("@")) {
    const end = rest.indexOf(" ");
    if (end < 0) return undefined;
    tags = new Map();
    for (const tag of rest.slice(1, end).split(";")) {
      if (tag === "") continue;
      const eq = tag.indexOf("=");
      tags.set(eq < 0 ? tag : tag.slice(0, eq), eq < 0 ? "" : unescapeTag(tag.slice(eq + 1)));
    }
    rest = rest.slice(end + 1).replace(/^[ ]+/, "");
  }
  let source: string | undefined;
  if (rest.startsWith(":")) {
    const end = rest.indexOf(" ");
    if (end < 0) return undefined;
    source = rest.slice(1, end);
    rest = rest.slice(end + 1).replace(/^[ ]+/, "");
  }
  const params: string[] = [];
  let command = "";
  while (rest.length > 0) {
    if (command !== "" && (rest.startsWith(":") || params.length === 14)) {
      params.push(rest.startsWith(":") ? rest.slice(1) : rest);
      break;
    }
    const end = rest.indexOf(" ");
    const word = end < 0 ? rest : rest.slice(0, end);
    if (command === "") command = word.toUpperCase();
    else params.push(word);
    rest = end < 0 ? "" : rest.slice(end + 1).replace(/^[ ]+/, "");
  }
  if (command === "") return undefined;
  return { ...(tags ? { tags } : {}), ...(source !== undefined ? { source } : {}), command, params };
}

/** A tag's value as the wire carries it (message-tags: ; space \ CR LF escaped). */
export function escapeTag(value: string): string {
  return value.replace(/[;\s\\\r\n]/g, (c) => ({ ";": "\\:", " ": "\\s", "\\": "\\\\", "\r": "\\r", "\n": "\\n" })[c] ?? "");
}

function unescapeTag(value: string): string {
  return value.replace(/\\(.?)/g, (_, c: string) => ({ ":": ";", s: " ", r: "\r", n: "\n", "\\": "\\" })[c] ?? c);
}

/**
 * One IRC line, "\r\n" included: the last parameter is written as trailing (":…") when it has to be
 * (empty, a space, a leading ":") or when `trailing` says so (texts, which clients expect so).
 */
export function ircLine(source: string | undefined, command: string, params: readonly string[], trailing = false): string {
  let line = source === undefined ? command : `:${source} ${command}`;
  params.forEach((p, i) => {
    if (p.includes("\n") || p.includes("\r")) p = p.replace(/[\r\n]+/g, " "); // a message's lines: never a line of IRC's
    const last = i === params.length - 1;
    line += last && (trailing || p === "" || p.includes(" ") || p.startsWith(":")) ? ` :${p}` : ` ${p}`;
  });
  return `${line}\r\n`;
}

/** A user's mask as IRC shows it: nick!user@host (bunchat has one host for everyone, and no idents). */
export function mask(nick: string): string {
  return `${nick}!${nick}@${IRC_HOST}`;
}
