// Lines with identity, as every door and client reads them: how a quote or an excerpt is cut, the
// bounds on reactions, what an emoji may be, and how a person names a line without its id
// (`^`, `^3`, `@Sam`), shared by the server and the clients bundled with it.

import { type MessageId, messageIdOf, type Reaction } from "./events.ts";

/** Characters of a line a reply quotes, and a notice about a line shows. */
export const QUOTE_CHARS = 48;
/** Different emoji on one line at most. */
export const EMOJI_PER_LINE = 20;
/** Emoji one person may have on one line at once. */
export const EMOJI_PER_PERSON = 5;
/** Reactions on one line at most, everyone's together (a line in a room of thousands). */
export const REACTIONS_PER_LINE = 500;
/** Bytes one reaction may take (an emoji, or a short word an IRC client sends). */
export const EMOJI_MAX_BYTES = 32;
/** Lines back that `^N` and `@name` look through. */
export const LINES_BACK = 100;

/**
 * The start of a line's text, cut at a character boundary with an ellipsis; a message of several
 * lines on one line (its newlines as spaces: a quote is shown inside another line).
 */
export function excerpt(text: string, chars = QUOTE_CHARS): string {
  if (text.includes("\n")) text = text.replace(/\s*\n\s*/g, " ");
  const all = [...text];
  return all.length <= chars ? text : `${all.slice(0, chars - 1).join("")}…`;
}

// TextEncoder rather than Buffer: this module is bundled into the page, and Buffer would bring its polyfill.
const utf8 = new TextEncoder();

/** Short names for a few emoji, for those who can't type one (`/react ^ :+1:`). */
export const SHORTCODES: Readonly<Record<string, string>> = {
  ":+1:": "👍",
  ":thumbsup:": "👍",
  ":-1:": "👎",
  ":heart:": "❤️",
  ":joy:": "😂",
  ":smile:": "😄",
  ":tada:": "🎉",
  ":eyes:": "👀",
  ":rocket:": "🚀",
  ":fire:": "🔥",
  ":100:": "💯",
  ":pray:": "🙏",
  ":check:": "✅",
  ":x:": "❌",
  ":thinking:": "🤔",
};

/**
 * What a person typed as a reaction, as it is kept: a shortcode made its emoji, anything else as
 * typed if it is one short run of visible characters; or why it can't be one.
 */
export function reactionOf(typed: string): { emoji: string } | { error: string } {
  const emoji = SHORTCODES[typed.toLowerCase()] ?? typed;
  if (emoji === "") return { error: "Say which emoji (or :+1:, :heart:, :tada:… for those who can't type one)." };
  if (utf8.encode(emoji).length > EMOJI_MAX_BYTES) return { error: `A reaction is one emoji or a short word, at most ${EMOJI_MAX_BYTES} bytes.` };
  // Letters, digits, symbols and the joiners and selectors emoji are made of; no spaces, no controls.
  if (!/^[\p{L}\p{N}\p{S}\p{P}\p{M}\u200d\ufe0f]+$/u.test(emoji)) return { error: "A reaction is one emoji or a short word, without spaces." };
  return { emoji };
}

/** How a person names a line: by its id, the n-th line back in the room (`^`, `^3`), or someone's last line there (`@Sam`). */
export type LineRef = { kind: "id"; id: MessageId } | { kind: "back"; n: number } | { kind: "last-of"; name: string };

/** `word` as a line reference, or undefined if it is not one. */
export function lineRefOf(word: string): LineRef | undefined {
  if (word === "^") return { kind: "back", n: 1 };
  const back = /^\^([1-9][0-9]{0,2})$/.exec(word);
  if (back) return Number(back[1]) <= LINES_BACK ? { kind: "back", n: Number(back[1]) } : undefined;
  if (word.length > 1 && word.startsWith("@")) return { kind: "last-of", name: word.slice(1) };
  const id = messageIdOf(word);
  return id === undefined ? undefined : { kind: "id", id };
}

/** How the usage of the commands that take a line reads the reference. */
export const LINE_REF_HELP = "^ (the last line), ^3 (three lines back), @Sam (Sam's last line) or a line's id";

/** `reactions` with `name`'s `emoji` put on (`on`) or taken back: emoji in the order first put on, names likewise. */
export function toggled(reactions: readonly Reaction[], name: string, emoji: string, on: boolean): Reaction[] {
  const out: Reaction[] = [];
  let found = false;
  for (const r of reactions) {
    if (r.emoji !== emoji) out.push(r);
    else {
      found = true;
      const names = on ? (r.names.includes(name) ? r.names : [...r.names, name]) : r.names.filter((n) => n !== name);
      if (names.length > 0) out.push({ emoji, names });
    }
  }
  if (!found && on) out.push({ emoji, names: [name] });
  return out;
}

/** "12.3 KiB": a size as people read it (in 1024s, as the limits are given). */
export function sizeWords(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB"];
  let n = bytes / 1024;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit++;
  }
  return `${n < 10 ? Number(n.toFixed(1)) : Math.round(n)} ${units[unit]}`;
}

/** Where a shared file is on the web door: its path (a reader adds `?k=<key>`, its link key). */
export function filePath(file: { id: string; name: string }): string {
  return `/files/${encodeURIComponent(file.id)}/${encodeURIComponent(file.name)}`;
}

/** An address as a URL's host: IPv6 in brackets (once), an IPv4 one mapped to IPv6 as IPv4; a name as it is. */
export function urlHost(address: string): string {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (v4) return v4;
  return address.includes(":") && !address.startsWith("[") ? `[${address}]` : address || "localhost";
}

/** The web door's origin as `host` (an address or a name) reaches it. */
export function webOrigin(tls: boolean, host: string, port: number): string {
  return `${tls ? "https" : "http"}://${urlHost(host)}:${port}`;
}
