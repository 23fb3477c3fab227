// Links in what people say, for the page (an <a> each) and the terminal client (OSC 8): found by
// linkifyjs (bundled into both; it finds bare domains and e-mail addresses, and leaves a sentence's
// trailing punctuation out), then checked here. Only http, https and mailto are links: never
// javascript:, data:, file: or anything else. A URL with a user name or password in it
// ("https://google.com@evil.com") is left as text: it is made to mislead about where it goes. The
// server never fetches a link (no previews), and never changes the text: only how it is shown.

import { find } from "linkifyjs";

export interface Link {
  /** Where in the text it is (UTF-16 offsets), and its text there. */
  start: number;
  end: number;
  text: string;
  /** Where it goes, as the WHATWG URL parser writes it: a host of other scripts in punycode ("xn--…"). */
  href: string;
}

const SCHEMES = new Set(["http:", "https:", "mailto:"]);

/** The links in `text`, in order; none when it has nothing a link needs (a dot, or an @). */
export function linksIn(text: string): Link[] {
  if (!text.includes(".")) return [];
  const out: Link[] = [];
  for (const found of find(text)) {
    if (found.type !== "url" && found.type !== "email") continue;
    const href = safeHref(found.href);
    if (href !== undefined) out.push({ start: found.start, end: found.end, text: found.value, href });
  }
  return out;
}

/**
 * Where a link written out (Markdown's [text](url)) may go: an absolute http, https or mailto URL
 * without a user name or password, as the URL parser writes it; undefined for anything else.
 */
export function safeHref(written: string): string | undefined {
  let url: URL;
  try {
    url = new URL(written);
  } catch {
    return undefined;
  }
  return SCHEMES.has(url.protocol) && url.username === "" && url.password === "" ? url.href : undefined;
}

/**
 * `text` shown as a link to `href` by a terminal that takes OSC 8 hyperlinks. An href the URL
 * parser wrote has no control characters (it percent-encodes them): nothing ends the sequence early.
 */
export function osc8(href: string, text: string): string {
  return `\x1b]8;;${href}\x1b\\${text}\x1b]8;;\x1b\\`;
}

/** `text` with its links as OSC 8 hyperlinks (terminals that support them make them clickable; the text shows as it is). */
export function hyperlinked(text: string): string {
  const links = linksIn(text);
  if (links.length === 0) return text;
  let out = "";
  let at = 0;
  for (const link of links) {
    out += text.slice(at, link.start) + osc8(link.href, link.text);
    at = link.end;
  }
  return out + text.slice(at);
}

/**
 * Whether the terminal shows OSC 8 hyperlinks: FORCE_HYPERLINK=1 or 0 says so; else the terminals
 * known to (iTerm2, WezTerm, VS Code, Ghostty, kitty, Windows Terminal, VTE 0.50 on: GNOME Terminal,
 * Tilix…), not inside tmux or screen (which may pass the sequence on to a terminal that prints it).
 */
export function terminalLinks(env: Record<string, string | undefined>): boolean {
  if (env.FORCE_HYPERLINK !== undefined) return env.FORCE_HYPERLINK !== "0" && env.FORCE_HYPERLINK !== "";
  if (env.TMUX || env.STY || env.TERM === "dumb") return false;
  if (["iTerm.app", "WezTerm", "vscode", "ghostty"].includes(env.TERM_PROGRAM ?? "")) return true;
  if (env.KITTY_WINDOW_ID || env.WT_SESSION) return true;
  return Number(env.VTE_VERSION ?? 0) >= 5000;
}
