// The small part of Markdown a chat line may use, read once here for every client: inline code,
// code blocks (``` with the language named), bold, italic, strikethrough, quotes, and links
// [text](https://…). Everything else stays as typed (headings, lists, tables, HTML: a chat line
// is not a document). A pure function from text to a tree; no client builds HTML from it (the
// page makes DOM nodes, the terminal client styles text, the IRC door uses IRC's codes, nc reads
// the text as typed).
//
// Why not markdown-it (well kept, and it can be cut down to these rules): bundled into the page it
// weighs 100 KB (42 KB gzipped), more than the rest of the page, and its entity decoding would turn
// a typed "&amp;" into "&". These rules are few and tested on their own (test/protocol/markdown.test.ts).

import { safeHref } from "./links.ts";

export type Inline =
  | { kind: "text"; text: string }
  | { kind: "code"; text: string }
  | { kind: "bold" | "italic" | "strike"; children: Inline[] }
  | { kind: "link"; href: string; children: Inline[] };

export type Block =
  /** Lines of text; a "\n" in a text piece is a line break. */
  | { kind: "lines"; inline: Inline[] }
  | { kind: "quote"; inline: Inline[] }
  | { kind: "code"; lang?: string; text: string };

/** Whether `text` may hold any of it: most lines hold none of its characters and are shown as they are. */
export function mayFormat(text: string): boolean {
  return /[*_~`[>\\]/.test(text);
}

const FENCE = /^\s{0,3}```\s*([\w+#.-]{1,20})?\s*$/;

/** A message's blocks: fenced code, runs of "> " lines (a quote), and the lines between. */
export function parseBlocks(text: string): Block[] {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  let plain: string[] = [];
  const flush = () => {
    if (plain.length > 0) blocks.push({ kind: "lines", inline: parseInline(plain.join("\n")) });
    plain = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = FENCE.exec(line);
    if (fence) {
      // To its closing fence, or (unclosed) to the end of the message, as GitHub reads it.
      let end = i + 1;
      while (end < lines.length && !/^\s{0,3}```\s*$/.test(lines[end]!)) end++;
      flush();
      blocks.push({ kind: "code", ...(fence[1] ? { lang: fence[1] } : {}), text: lines.slice(i + 1, end).join("\n") });
      i = end;
      continue;
    }
    if (/^>( |$)/.test(line)) {
      let end = i;
      const quoted: string[] = [];
      while (end < lines.length && /^>( |$)/.test(lines[end]!)) quoted.push(lines[end++]!.replace(/^> ?/, ""));
      flush();
      blocks.push({ kind: "quote", inline: parseInline(quoted.join("\n")) });
      i = end - 1;
      continue;
    }
    plain.push(line);
  }
  flush();
  return blocks;
}

const ESCAPABLE = "\\`*_~[]()>#";
const isWordChar = (ch: string | undefined) => ch !== undefined && /[\p{L}\p{N}]/u.test(ch);
const isSpace = (ch: string | undefined) => ch === undefined || /\s/.test(ch);

/** The marks of bold, italic and strikethrough, longest first. */
const MARKS: readonly { mark: string; kind: "bold" | "italic" | "strike" }[] = [
  { mark: "**", kind: "bold" },
  { mark: "__", kind: "bold" },
  { mark: "~~", kind: "strike" },
  { mark: "*", kind: "italic" },
  { mark: "_", kind: "italic" },
];

/**
 * Inline marks. A mark opens only before a character that is not a space, and not in the middle
 * of a word (snake_case_names and 2*3*4 stay as typed); it closes at the same mark after one that
 * is not a space and before the end of a word. An unclosed mark is text. Nesting is bounded.
 */
export function parseInline(text: string, depth = 0): Inline[] {
  const out: Inline[] = [];
  /** Per mark: from where on no closing mark was found. */
  const unclosed = new Map<string, number>();
  let plain = "";
  const push = (node: Inline) => {
    if (plain !== "") out.push({ kind: "text", text: plain });
    plain = "";
    out.push(node);
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === "\\" && i + 1 < text.length && ESCAPABLE.includes(text[i + 1]!)) {
      plain += text[i + 1];
      i += 2;
      continue;
    }
    if (ch === "`") {
      // A run of n backticks to the next run of exactly n; one space inside each end is dropped.
      let n = 1;
      while (text[i + n] === "`") n++;
      const close = i + n < (unclosed.get("`".repeat(n)) ?? Infinity) ? findRun(text, "`", n, i + n) : -1;
      if (close < 0) {
        unclosed.set("`".repeat(n), i + n);
        plain += "`".repeat(n);
        i += n;
        continue;
      }
      let code = text.slice(i + n, close);
      if (code.length > 2 && code.startsWith(" ") && code.endsWith(" ")) code = code.slice(1, -1);
      push({ kind: "code", text: code });
      i = close + n;
      continue;
    }
    if (ch === "[" && depth < 4) {
      const link = /^\[([^\]\n]{1,300})\]\(([^)\s]{1,2000})\)/.exec(text.slice(i, i + 2400));
      const href = link ? safeHref(link[2]!) : undefined;
      if (link && href) {
        push({ kind: "link", href, children: parseInline(link[1]!, depth + 1) });
        i += link[0].length;
        continue;
      }
    }
    const opens = depth < 4 && !isWordChar(text[i - 1]) ? MARKS.find((m) => text.startsWith(m.mark, i)) : undefined;
    if (opens && !isSpace(text[i + opens.mark.length]) && i + opens.mark.length < (unclosed.get(opens.mark) ?? Infinity)) {
      const close = closingMark(text, opens.mark, i + opens.mark.length);
      // None after here: none after any later opener either (each text is scanned once per mark, not once per opener).
      if (close < 0) unclosed.set(opens.mark, i + opens.mark.length);
      if (close > 0) {
        push({ kind: opens.kind, children: parseInline(text.slice(i + opens.mark.length, close), depth + 1) });
        i = close + opens.mark.length;
        continue;
      }
    }
    plain += ch;
    i++;
  }
  if (plain !== "") out.push({ kind: "text", text: plain });
  return out;
}

/** Where a run of exactly `n` of `ch` starts at or after `from`; -1 if none. */
function findRun(text: string, ch: string, n: number, from: number): number {
  for (let at = text.indexOf(ch, from); at >= 0; at = text.indexOf(ch, at + 1)) {
    let len = 1;
    while (text[at + len] === ch) len++;
    if (len === n && text[at - 1] !== ch) return at;
    at += len - 1;
  }
  return -1;
}

/** The mark that closes one opened before `from`: after a non-space, not before a word's letter, not doubled. */
function closingMark(text: string, mark: string, from: number): number {
  for (let at = text.indexOf(mark, from + 1); at > 0; at = text.indexOf(mark, at + 1)) {
    const before = text[at - 1];
    const after = text[at + mark.length];
    if (isSpace(before) || isWordChar(after)) continue;
    if (mark.length === 1 && (after === mark[0] || before === mark[0])) continue; // part of ** or __
    return at;
  }
  return -1;
}

/** The text of inline nodes, marks taken off (what a link or a quote says, for a plain view). */
export function plainText(nodes: readonly Inline[]): string {
  return nodes.map((n) => (n.kind === "text" || n.kind === "code" ? n.text : plainText(n.children))).join("");
}
