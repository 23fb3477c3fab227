// Secrets compared without leaking, through timing, how much of a guess was right: the server
// password (--password) and the HTTP API's bot tokens. Bun's hasher rather than node:crypto, whose
// import alone costs the server 7 MB of RSS.

import type { BotToken } from "../store/tokens.ts";

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
 * A new bot token for `bot`: the text shown once, `bunchat_<id>_<secret>` (an id of 12 hex digits
 * that /token list and revoke name it by, 256 random bits), and the record kept, with its SHA-256
 * only. A token is too random for a slow hash to add anything but cost on every request.
 */
export function newToken(bot: string, by: string, now: number): { text: string; record: BotToken } {
  const id = Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString("hex");
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  const text = `bunchat_${id}_${secret}`;
  return { text, record: { id, bot, hash: Buffer.from(sha256(text)).toString("hex"), by, created: now } };
}

/** The id a token's text names, if it has the shape of one. */
export function tokenId(text: string): string | undefined {
  return /^bunchat_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/.exec(text)?.[1];
}

/** Whether `text` is the token `record` was made for. */
export function tokenMatches(record: BotToken, text: string): boolean {
  return sameDigest(sha256(text), Buffer.from(record.hash, "hex"));
}
