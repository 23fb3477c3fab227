// Text from one user reaches other people's terminals: nothing in it may drive those terminals.

// C0 controls (ESC, BEL, BS, CR, NUL, …), DEL and the C1 range; bidirectional embeddings,
// overrides and isolates (U+202A–U+202E, U+2066–U+2069) and marks (U+200E, U+200F, U+061C);
// line/paragraph separators; and the byte-order mark in the middle of text.
const UNSAFE =
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** Removes terminal controls and bidi overrides; a tab becomes a space; lone surrogates become U+FFFD. */
export function sanitizeText(text: string): string {
  let out = text.isWellFormed() ? text : text.toWellFormed();
  if (out.includes("\t")) out = out.replaceAll("\t", " ");
  UNSAFE.lastIndex = 0;
  return UNSAFE.test(out) ? out.replace(UNSAFE, "") : out;
}
