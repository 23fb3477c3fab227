// Secrets compared without leaking, through timing, how much of a guess was right: the server
// password (--password) and the HTTP API's bot tokens. Bun's hasher rather than node:crypto, whose
// import alone costs the server 7 MB of RSS.

import type { BotToken } from "../store/tokens.ts";
import { type Session, SESSION_LASTS_MS } from "../store/sessions.ts";

export function sha256(text: string): Uint8Array {
  return new Bun.CryptoHasher("sha256").update(text).digest();
}

/** Whether two digests are the same, looking at every byte whatever the first difference. */
export function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!; // no early exit
  return difference === 0;
}

/**
 * A new secret: the text shown once, `<kind>_<id>_<secret>` (an id of 12 hex digits that lists and
 * revocations name it by, 256 random bits), its id and its SHA-256 (hex), which is all that is kept.
 * Too random for a slow hash to add anything but cost on every use.
 */
function newSecret(kind: string): { text: string; id: string; hash: string } {
  const id = Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString("hex");
  const secret = randomText(32);
  const text = `${kind}_${id}_${secret}`;
  return { text, id, hash: Buffer.from(sha256(text)).toString("hex") };
}

/** `bytes` random bytes as base64url text (a secret, a file's id, an upload ticket). */
export function randomText(bytes: number): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("base64url");
}

/** The id a secret's text names, if it has the shape of one of this kind. */
function secretId(kind: string, text: string): string | undefined {
  const m = /^([a-z]+)_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/.exec(text);
  return m && m[1] === kind ? m[2] : undefined;
}

/** Whether `text` is the secret whose SHA-256 `hash` was kept (compared in constant time). */
function secretMatches(hash: string, text: string): boolean {
  return sameDigest(sha256(text), Buffer.from(hash, "hex"));
}

/** A new bot token for `bot` (`bunchat_<id>_<secret>`), and the record kept. */
export function newToken(bot: string, by: string, now: number): { text: string; record: BotToken } {
  const { text, id, hash } = newSecret("bunchat");
  return { text, record: { id, bot, hash, by, created: now } };
}

/** The id a bot token's text names, if it has the shape of one. */
export function tokenId(text: string): string | undefined {
  return secretId("bunchat", text);
}

/** Whether `text` is the token `record` was made for. */
export function tokenMatches(record: BotToken, text: string): boolean {
  return secretMatches(record.hash, text);
}

/** A new session of the page for `account` (`bcsession_<id>_<secret>`), and the record kept. */
export function newSession(account: string, now: number): { text: string; record: Session } {
  const { text, id, hash } = newSecret("bcsession");
  return { text, record: { id, account, hash, created: now, expires: now + SESSION_LASTS_MS, used: now } };
}

/** The id a session's text names, if it has the shape of one. */
export function sessionId(text: string): string | undefined {
  return secretId("bcsession", text);
}

/** Whether `text` is the session `record` was made for. */
export function sessionMatches(record: Session, text: string): boolean {
  return secretMatches(record.hash, text);
}
