// Username rules: who may be called what. ASCII only, so no two names can look alike.

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

/** The key names are compared by: two names that fold alike can't both be online. */
export function foldName(name: string): string {
  return name.toLowerCase();
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
  const bare = foldName(name).replace(/[-_]/g, "");
  if (RESERVED.has(bare) || RESERVED_PREFIXES.some((p) => bare.startsWith(p))) {
    return refuse(`The name "${name}" is reserved: it could be mistaken for the server or for everyone.`);
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
