// Seeded, bounded fuzzing of framing and command parsing: random lines (ASCII, multi-byte
// characters, commands, stray whitespace, over-long and invalid UTF-8 lines), random line endings,
// cut into chunks at random byte offsets. What comes out must be exactly what went in. A failure
// names its seed, so it can be replayed.

import { describe, expect, test } from "bun:test";
import { type Input, parseInput, splitFirst } from "../../src/protocol/commands.ts";
import { LineReader } from "../../src/protocol/lines.ts";
import { testServer } from "../helpers/server.ts";

/** mulberry32: a small, fast, seeded generator; the same seed gives the same run everywhere. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: <T>(items: readonly T[]): T => items[int(items.length)]! };
}
type Random = ReturnType<typeof random>;

const utf8 = new TextEncoder();
const MAX_BYTES = 64;
/** 1- to 4-byte characters, a combining mark, and a tab: everything a split can land inside of. */
const ALPHABET = ["a", "Z", "7", " ", "\t", "/", ":", "é", "ß", "中", "語", "😀", "👍🏽", "\u0301", "-", "_"];
const NAMES = ["Ana", "bo", "Sam_1", "x-y", "Dee"];

function word(r: Random, min = 1): string {
  let w = "";
  for (let i = min + r.int(8); i > 0; i--) w += r.pick(ALPHABET.filter((c) => c !== " " && c !== "\t"));
  return w;
}
const space = (r: Random) => r.pick(["", " ", "  ", "\t", " \t "]);

/** A typed line, and what parseInput must make of it. */
function typed(r: Random): { line: string; input: Input; pm?: [string, string] } {
  switch (r.int(5)) {
    case 0: {
      const [user, text] = [r.pick(NAMES), `${word(r)} ${word(r)}`];
      return {
        line: `${space(r)}/pm ${user}${space(r) || " "}${text}${space(r)}`,
        input: { kind: "command", word: "pm", args: `${user} ${text}` },
        pm: [user, text],
      };
    }
    case 1: {
      const cmd = r.pick(["users", "help", "who", "PING", "quit"]);
      return { line: `${space(r)}/${cmd}${space(r)}`, input: { kind: "command", word: cmd, args: "" } };
    }
    case 2: {
      const text = `/${word(r)}`; // "//x" sends the text "/x"
      return { line: `${space(r)}/${text}${space(r)}`, input: { kind: "text", text } };
    }
    case 3:
      return { line: space(r), input: { kind: "empty" } };
    default: {
      const text = `m${[word(r), word(r), word(r)].join(r.pick([" ", ": ", " / "]))}`; // "m": not a command
      return { line: `${space(r)}${text}${space(r)}`, input: { kind: "text", text: text.trim() } };
    }
  }
}

/** One line of input as bytes, and what the reader must report for it. */
function sample(r: Random): { bytes: Uint8Array; expect: string } {
  const roll = r.next();
  if (roll < 0.08) {
    const long = "x".repeat(MAX_BYTES + 1 + r.int(200)); // one byte too many, or far too many
    return { bytes: utf8.encode(long), expect: "<overflow>" };
  }
  if (roll < 0.16) {
    // A valid line with one invalid sequence spliced in somewhere.
    const bad = r.pick([[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x80]]);
    const good = utf8.encode(word(r));
    const at = r.int(good.length + 1);
    const bytes = new Uint8Array([...good.subarray(0, at), ...bad, ...good.subarray(at)]);
    return { bytes: bytes.length > MAX_BYTES ? bytes.subarray(0, MAX_BYTES) : bytes, expect: "<invalid>" };
  }
  const { line } = typed(r);
  const bytes = utf8.encode(line);
  return { bytes, expect: bytes.length > MAX_BYTES ? "<overflow>" : line };
}

/** Cuts bytes into chunks of 1 to `max` bytes: lines, characters and CRLFs get split anywhere. */
function chunks(r: Random, bytes: Uint8Array, max: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length;) {
    const n = 1 + r.int(max);
    out.push(bytes.slice(i, i + n));
    i += n;
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

const SEEDS = Array.from({ length: 40 }, (_, i) => 1000 + i);

describe("fuzz: framing", () => {
  test.each(SEEDS)("seed %d: 300 lines in random chunks decode to exactly the lines sent", (seed) => {
    const r = random(seed);
    const sent: string[] = [];
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 300; i++) {
      const s = sample(r);
      sent.push(s.expect);
      parts.push(s.bytes, utf8.encode(r.next() < 0.5 ? "\n" : "\r\n"));
    }
    const got: string[] = [];
    const reader = new LineReader(
      { maxBytes: MAX_BYTES, maxRunBytes: 16 * 1024 },
      { line: (l) => got.push(l), overflow: () => got.push("<overflow>"), invalid: () => got.push("<invalid>") },
    );
    for (const chunk of chunks(r, concat(parts), r.pick([1, 3, 17, 200, 5000]))) reader.push(chunk);
    expect(got).toEqual(sent);
    expect(reader.pendingBytes).toBe(0);
  });
});

describe("fuzz: command parsing", () => {
  test.each(SEEDS)("seed %d: 500 typed lines parse to what was meant", (seed) => {
    const r = random(seed);
    for (let i = 0; i < 500; i++) {
      const { line, input, pm } = typed(r);
      const parsed = parseInput(line);
      if (pm) {
        expect(parsed.kind).toBe("command");
        expect(splitFirst((parsed as { args: string }).args)).toEqual(pm);
      } else {
        expect(parsed).toEqual(input);
      }
    }
  });
});

describe("fuzz: through a real server", () => {
  test.each([7, 8, 9])("seed %d: 150 messages written in random pieces arrive whole and in order", async (seed) => {
    const r = random(seed);
    const t = await testServer({ limits: { linesPerSecond: 0 } });
    const sender = await t.join("Sender");
    const watcher = await t.join("Watcher", "json");
    const texts: string[] = [];
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 150; i++) {
      const text = `${i} ${[word(r), word(r)].join(" ")}`; // numbered: nothing is empty or a command
      texts.push(text);
      parts.push(utf8.encode(`${text}${r.next() < 0.5 ? "\n" : "\r\n"}`));
    }
    for (const chunk of chunks(r, concat(parts), 40)) {
      sender.write(chunk);
      if (r.next() < 0.3) await Bun.sleep(0); // let some pieces go out on their own
    }
    const got: string[] = [];
    for (let i = 0; i < texts.length; i++) got.push((await watcher.event("public")).text);
    expect(got).toEqual(texts);
  });
});
