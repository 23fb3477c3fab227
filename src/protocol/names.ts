// Username rules: who may be called what. ASCII only, and compared by their look (a skeleton),
// so no two names online can look alike.

import { LIMITS } from "./limits.ts";
import { sanitizeText } from "./sanitize.ts";

export type NameCheck = { ok: true; name: string } | { ok: false; reason: string };

const ALLOWED = /^[A-Za-z0-9_-]+$/;

// Names that could be taken for the server or for everybody. Compared case-folded,
// with "_" and "-" removed, so "Server", "SER_VER" and "sys-tem" are all caught.
const RESERVED = new Set([
  "admin",
  "administrator",
  "all",
  "anonymous",
  "bunchat",
  "console",
  "everyone",
  "help",
  "here",
  "mod",
  "moderator",
  "nobody",
  "op",
  "operator",
  "quit",
  "root",
  "server",
  "sysop",
  "system",
  "users",
]);
const RESERVED_PREFIXES = ["server", "system", "bunchat", "admin", "sysop"];

/**
 * Characters that look alike in common terminal fonts (the idea of Unicode TS #39's skeleton,
 * restricted to the ASCII a name may hold). Case is folded first, so I (capital i), i, l (lower L)
 * and 1 all become "l".
 */
const LOOKS_LIKE: Record<string, string> = { i: "l", "1": "l", "0": "o" };
/** Letter pairs that pass for one letter: "rn" for "m", "vv" for "w", "cl" for "d". */
const PAIRS = /rn|vv|cl/g;
const PAIR_LOOKS_LIKE: Record<string, string> = { rn: "m", vv: "w", cl: "d" };
/** For reserved names only, digits read as letters too: "S3rver", "4dmin", "sys7em". */
const LEET: Record<string, string> = { "3": "e", "4": "a", "7": "t" };

/**
 * The key names are compared by: two names with the same key can't both be online. It ignores
 * case and look-alike characters, so "AIice", "alice" and "A1ice" are one name.
 */
export function foldName(name: string, table = LOOKS_LIKE): string {
  let key = "";
  for (const ch of name.toLowerCase()) key += table[ch] ?? LOOKS_LIKE[ch] ?? ch;
  return key.replace(PAIRS, (pair) => PAIR_LOOKS_LIKE[pair]!);
}

/** Reserved names by their key without "_" and "-", digits read as letters: "Adm1n", "r00t", "S3rver", "sys-0p". */
const bareKey = (name: string) => foldName(name.replace(/[-_]/g, ""), LEET);
const RESERVED_KEYS = new Map([...RESERVED].map((word) => [bareKey(word), word]));
const RESERVED_PREFIX_KEYS = RESERVED_PREFIXES.map((word) => [bareKey(word), word] as const);

/**
 * Whether `v` has the shape of a username (the characters, a letter or digit first, the length):
 * for names checked in full where they came from (another node, the server), not the reserved
 * words or look-alikes again on every line.
 */
export function hasNameShape(v: unknown): v is string {
  return (
    typeof v === "string" &&
    v.length >= LIMITS.nameMinLength &&
    v.length <= LIMITS.nameMaxLength &&
    ALLOWED.test(v) &&
    /^[A-Za-z0-9]/.test(v)
  );
}

/** Whether `text` could begin a name (for /users <prefix>): the name characters, no longer than a name. */
export function isNamePrefix(text: string): boolean {
  return text.length <= LIMITS.nameMaxLength && ALLOWED.test(text);
}

export function checkName(input: string): NameCheck {
  const name = input.trim();
  if (name.length < LIMITS.nameMinLength) return refuse("A username can't be empty.");
  if (name.length > LIMITS.nameMaxLength) {
    return refuse(`A username can be at most ${LIMITS.nameMaxLength} characters; that one has ${name.length}.`);
  }
  if (!ALLOWED.test(name)) {
    return refuse(
      `A username may contain only letters A-Z, digits, "_" and "-"; it can't contain ${describe(firstBad(name))}.`,
    );
  }
  if (!/^[A-Za-z0-9]/.test(name)) return refuse("A username must start with a letter or a digit.");
  const bare = bareKey(name);
  const reserved = RESERVED_KEYS.get(bare) ?? RESERVED_PREFIX_KEYS.find(([key]) => bare.startsWith(key))?.[1];
  if (reserved !== undefined) {
    const spelled = name.toLowerCase().replace(/[-_]/g, "").startsWith(reserved);
    const like = spelled ? "" : ` (it looks like "${reserved}")`;
    return refuse(`The name "${name}" is reserved${like}: it could be mistaken for the server or for everyone.`);
  }
  return { ok: true, name };
}

function refuse(reason: string): NameCheck {
  return { ok: false, reason };
}

function firstBad(name: string): string {
  for (const ch of name) if (!ALLOWED.test(ch)) return ch;
  return "";
}

function describe(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  if (ch === " ") return "spaces";
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return `control characters (${hex})`;
  if (code > 0x7f) {
    const shown = sanitizeText(ch);
    return shown === ch ? `non-ASCII characters such as "${ch}" (${hex})` : `invisible or control characters (${hex})`;
  }
  return `"${ch}"`;
}

const ROOM = /^#[a-z0-9_-]+$/;

/**
 * Whether `v` has the shape of a room name as the server writes it (lower case, the characters
 * and length checkRoom allows): for names that were checked where they came from (another node).
 */
export function hasRoomShape(v: unknown): v is string {
  return typeof v === "string" && v.length >= 2 && v.length <= LIMITS.roomNameMaxLength + 1 && ROOM.test(v);
}

/**
 * A room name as typed ("#Dev", " #dev ", "dev"): "#" and 1 to 32 of a-z, 0-9, "_" and "-",
 * compared ignoring case and written in lower case; the "#" may be left out. Rooms are looked up by
 * foldName, so "#d0cs" is "#docs".
 */
export function checkRoom(input: string): NameCheck {
  const typed = input.trim().toLowerCase();
  const name = typed.startsWith("#") ? typed : `#${typed}`;
  if (name.length === 1) return refuse('A room name needs at least one letter or digit after the "#".');
  if (name.length > LIMITS.roomNameMaxLength + 1) {
    return refuse(`A room name can be at most ${LIMITS.roomNameMaxLength} characters after the "#"; that one has ${name.length - 1}.`);
  }
  if (!ROOM.test(name)) {
    const bad = [...name.slice(1)].find((ch) => !/[a-z0-9_-]/.test(ch)) ?? "";
    return refuse(`A room name may contain only letters a-z, digits, "_" and "-" after the "#"; it can't contain ${describe(bad)}.`);
  }
  return { ok: true, name };
}

/**
 * True when `text` names `me` as a whole word, ignoring case ("sam," yes; "samuel" no): a mention,
 * as the client rings for it, the page badges it and the server counts unread ones.
 */
export function mentions(text: string, me: string | undefined): boolean {
  if (!me) return false;
  const at = text.toLowerCase().indexOf(me.toLowerCase());
  if (at === -1) return false;
  const word = /[A-Za-z0-9_-]/;
  const before = text[at - 1];
  const after = text[at + me.length];
  if ((before === undefined || !word.test(before)) && (after === undefined || !word.test(after))) return true;
  return mentions(text.slice(at + 1), me); // a later occurrence may be a whole word
}
