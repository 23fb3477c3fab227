// Text from one user reaches other people's terminals: nothing in it may drive those terminals,
// and nothing in it may be invisible (a name with a zero-width space in it looks like the name).

// C0 controls (ESC, BEL, BS, CR, NUL, …), DEL and the C1 range; bidirectional embeddings,
// overrides and isolates (U+202A–U+202E, U+2066–U+2069) and marks (U+200E, U+200F, U+061C);
// line/paragraph separators. Then characters that show as nothing at all: soft hyphen, combining
// grapheme joiner, Hangul and Khmer fillers, Mongolian vowel separator, zero-width space, word
// joiner and invisible operators, deprecated format characters, the blank braille pattern, the
// byte-order mark, interlinear annotation marks and musical formatting characters.
const UNSAFE =
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u206f\u2800\u3164\ufeff\uffa0\ufff9-\ufffb\u{1d173}-\u{1d17a}]/gu;

// Whole terminal escape sequences, not only their ESC (which would leave "[31mred[0m" behind):
// CSI (ESC [ or C1 CSI, parameters, intermediates, a final byte); OSC, DCS, SOS, PM and APC
// strings (ESC ] P X ^ _ or their C1 forms) up to BEL or the string terminator (ESC \ or C1 ST),
// or to the end of the text when unterminated, as a terminal would swallow it; and any other ESC
// with its intermediates and final byte (ESC c, ESC 7, ESC ( B).
const ESCAPES =
  /(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]?|(?:\u001b[\]PX^_]|[\u0090\u0098\u009d\u009e\u009f])[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|\u001b[\u0020-\u002f]*[\u0030-\u007e]?/g;

// Invisible characters that emoji and some scripts need: zero-width joiner and non-joiner,
// variation selectors, and tag characters (flags of England, Scotland, Wales). Kept only where
// they do that job; see keepJoiner.
const JOINERS = /[\u200c\u200d\ufe00-\ufe0f\u{e0000}-\u{e007f}]/u;

/**
 * Removes terminal escape sequences whole, terminal controls, bidi overrides and invisible characters; a tab or a newline becomes a
 * space (this is one line: a topic, a reason, a name); lone surrogates become U+FFFD. Joiners, variation selectors and tags survive only inside emoji
 * sequences and scripts that need them.
 */
export function sanitizeText(text: string): string {
  if (PRINTABLE_ASCII.test(text)) return text; // most chat: nothing to take out, one pass to know it
  let out = text.isWellFormed() ? text : text.toWellFormed();
  if (out.includes("\t") || out.includes("\n")) out = out.replace(/[\t\n]/g, " ");
  UNSAFE.lastIndex = 0;
  if (UNSAFE.test(out)) {
    if (/[\u001b\u0090-\u009f]/.test(out)) out = out.replace(ESCAPES, "");
    out = out.replace(UNSAFE, "");
  }
  return JOINERS.test(out) ? dropStrayJoiners(out) : out;
}

/** Printable ASCII only (space to tilde): nothing in it is unsafe, invisible, a joiner or a tab. */
const PRINTABLE_ASCII = /^[\u0020-\u007e]*$/;

const isAsciiLetter = (cp: number) => (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);
const isJoiner = (cp: number) => cp === 0x200c || cp === 0x200d;
const isSelector = (cp: number) => cp >= 0xfe00 && cp <= 0xfe0f;
const isTag = (cp: number) => cp >= 0xe0000 && cp <= 0xe007f;
/** WAVING BLACK FLAG: tag characters after it spell a subdivision flag (🏴󠁧󠁢󠁳󠁣󠁴󠁿), ended by CANCEL TAG. */
const BLACK_FLAG = 0x1f3f4;
const CANCEL_TAG = 0xe007f;

/**
 * Keeps a joiner (ZWJ, ZWNJ) only between two visible non-ASCII characters (👩‍💻, Indic and
 * Arabic scripts); a variation selector only after something it can modify (not an ASCII letter:
 * "A\uFE0Flice" is "Alice" to the eye, while the keycap 1️⃣ keeps its selector); tag characters only
 * in a flag sequence after the black flag.
 */
function dropStrayJoiners(text: string): string {
  const chars = Array.from(text);
  let out = "";
  let prev = -1; // the last code point kept
  let inFlag = false;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    const cp = ch.codePointAt(0)!;
    if (isTag(cp)) {
      if (inFlag && cp >= 0xe0020) {
        out += ch;
        if (cp === CANCEL_TAG) inFlag = false;
      }
      continue;
    }
    inFlag = cp === BLACK_FLAG;
    if (isJoiner(cp)) {
      // What comes before may be an emoji's own selector (🏳️‍🌈 is 🏳 FE0F ZWJ 🌈).
      const next = chars[i + 1]?.codePointAt(0) ?? -1;
      if (prev <= 0x7f || isJoiner(prev) || next <= 0x7f || isJoiner(next) || isSelector(next) || isTag(next)) continue;
    } else if (isSelector(cp) && (prev === -1 || isAsciiLetter(prev) || prev === 0x20 || isSelector(prev))) {
      continue;
    }
    out += ch;
    prev = cp;
  }
  return out;
}

/**
 * A message's text, which may hold several lines: each line as sanitizeText leaves it, without
 * its trailing white space ("\r\n" is a "\n"; a lone "\r" goes, as in any line); blank lines before the first and
 * after the last are dropped, and the first line's leading white space. One line: as
 * sanitizeText(text).trim().
 */
export function sanitizeMessage(text: string): string {
  if (!text.includes("\n")) return sanitizeText(text).trim();
  const lines = text.split(/\r?\n/).map((line) => sanitizeText(line).trimEnd());
  let first = 0;
  let last = lines.length;
  while (first < last && lines[first]!.trim() === "") first++;
  while (last > first && lines[last - 1]!.trim() === "") last--;
  if (first === last) return "";
  lines[first] = lines[first]!.trimStart();
  return lines.slice(first, last).join("\n");
}

/** Text from the network that may hold several lines, for showing: each line as sanitizeText leaves it. */
export function sanitizeLines(text: string): string {
  return text.includes("\n") ? text.split("\n").map(sanitizeText).join("\n") : sanitizeText(text);
}

/** How many lines a message's text has (its "\n"s and one). */
export function linesIn(text: string): number {
  let n = 1;
  for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) n++;
  return n;
}
