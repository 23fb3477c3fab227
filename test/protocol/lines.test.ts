import { describe, expect, test } from "bun:test";
import { LineReader } from "../../src/protocol/lines.ts";
import { heapStats } from "bun:jsc";

const utf8 = new TextEncoder();

/** Feeds `chunks` and returns what came out: lines, and "<overflow>" where a line was too long. */
function frame(chunks: (string | Uint8Array)[], maxBytes = 16): { out: string[]; pending: number } {
  const out: string[] = [];
  const reader = new LineReader({ maxBytes }, { line: (l) => out.push(l), overflow: () => out.push("<overflow>") });
  for (const c of chunks) reader.push(typeof c === "string" ? utf8.encode(c) : c);
  return { out, pending: reader.pendingBytes };
}

/** Splits bytes into pieces at the given offsets. */
function cut(text: string, ...offsets: number[]): Uint8Array[] {
  const bytes = utf8.encode(text);
  const points = [0, ...offsets, bytes.length];
  return points.slice(1).map((end, i) => bytes.slice(points[i], end));
}

describe("LineReader", () => {
  test.each([
    ["several lines in one chunk", ["a\nb\nc\n"], ["a", "b", "c"]],
    ["one line across chunks", ["he", "ll", "o\n"], ["hello"]],
    ["CRLF and LF alike", ["a\r\nb\n"], ["a", "b"]],
    ["CR and LF in different chunks", ["a\r", "\nb\r", "\n"], ["a", "b"]],
    ["empty lines are lines", ["\n\r\n"], ["", ""]],
    ["an unterminated fragment is held, not emitted", ["abc"], []],
    ["a CR in the middle stays", ["a\rb\n"], ["a\rb"]],
    ["exactly the limit is accepted", ["x".repeat(16) + "\n"], ["x".repeat(16)]],
    ["exactly the limit with CRLF split before LF", ["x".repeat(16) + "\r", "\n"], ["x".repeat(16)]],
    ["one byte over the limit is refused", ["x".repeat(17) + "\n", "ok\n"], ["<overflow>", "ok"]],
    [
      "one byte over the limit, arriving in pieces",
      ["x".repeat(10), "x".repeat(7), "\n", "ok\n"],
      ["<overflow>", "ok"],
    ],
    ["an over-long line is reported once", ["x".repeat(40), "y".repeat(40), "z\nok\n"], ["<overflow>", "ok"]],
    ["a line with CR over the limit", ["x".repeat(17) + "\r\n"], ["<overflow>"]],
  ] as const)("%s", (_name, chunks, expected) => {
    expect(frame([...chunks]).out).toEqual([...expected]);
  });

  test("a multi-byte character split at every offset arrives whole", () => {
    const text = "wörld €😀\n";
    const size = utf8.encode(text).length;
    for (let a = 1; a < size; a++) {
      for (let b = a + 1; b < size; b++) {
        expect(frame(cut(text, a, b), 64).out).toEqual(["wörld €😀"]);
      }
    }
  });

  test("byte by byte", () => {
    expect(frame(cut("añ😀\nb\n", 1, 2, 3, 4, 5, 6, 7, 8, 9), 64).out).toEqual(["añ😀", "b"]);
  });

  test("invalid UTF-8 becomes U+FFFD", () => {
    expect(frame([new Uint8Array([0x61, 0xff, 0xc3, 0x0a])]).out).toEqual(["a\ufffd\ufffd"]);
  });

  test("with an invalid handler, a line that is not UTF-8 is reported instead of delivered", () => {
    const out: string[] = [];
    const reader = new LineReader(
      { maxBytes: 64 },
      { line: (l) => out.push(l), overflow: () => out.push("<overflow>"), invalid: () => out.push("<invalid>") },
    );
    for (const bad of [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82]]) {
      reader.push(new Uint8Array([0x61, ...bad, 0x0a]));
    }
    reader.push(utf8.encode("ok €\n"));
    expect(out).toEqual(["<invalid>", "<invalid>", "<invalid>", "<invalid>", "ok €"]);
  });

  test("line sizes are reported in bytes", () => {
    const sizes: number[] = [];
    const reader = new LineReader({ maxBytes: 64 }, { line: (_l, n) => sizes.push(n), overflow: () => {} });
    reader.push(utf8.encode("abc\r\n€\n\n"));
    expect(sizes).toEqual([3, 3, 0]);
  });

  test("widened (a structured connection): only a line that starts with { may be long, in one chunk or many; any other keeps its bounds", () => {
    const out: string[] = [];
    const reader = new LineReader(
      { maxBytes: 8, maxRunBytes: 32 },
      { line: (l) => out.push(l), overflow: () => out.push("<overflow>"), runaway: () => out.push("<runaway>") },
    );
    reader.widen(40);
    const long = `{${"j".repeat(38)}`;
    reader.push(utf8.encode(`${long}\nplain\n`)); // whole lines in one chunk
    for (const piece of [long.slice(0, 10), long.slice(10, 30), `${long.slice(30)}\n`]) reader.push(utf8.encode(piece)); // and in pieces
    reader.push(utf8.encode(`${"x".repeat(20)}\n{${"k".repeat(45)}\n`)); // over their own limits: refused, not held
    expect(out).toEqual([long, "plain", long, "<overflow>", "<overflow>"]);
    reader.push(utf8.encode(`{${"k".repeat(70)}`)); // a brace line may run to twice its limit before the reader gives up…
    expect(out.at(-1)).toBe("<overflow>");
    reader.push(utf8.encode("k".repeat(20)));
    expect(out.at(-1)).toBe("<runaway>");
    const other = new LineReader({ maxBytes: 8, maxRunBytes: 32 }, { line: (l) => out.push(l), overflow: () => {}, runaway: () => out.push("<runaway 2>") });
    other.widen(40);
    other.push(utf8.encode("y".repeat(33))); // …any other, only its own run
    expect(out.at(-1)).toBe("<runaway 2>");
  });

  test("maxRunBytes without a newline: runaway, once, and nothing after", () => {
    const out: string[] = [];
    const reader = new LineReader(
      { maxBytes: 8, maxRunBytes: 32 },
      { line: (l) => out.push(l), overflow: () => out.push("<overflow>"), runaway: () => out.push("<runaway>") },
    );
    reader.push(utf8.encode("x".repeat(20) + "\nshort\n")); // over maxBytes but has a newline: overflow only
    reader.push(utf8.encode("y".repeat(30)));
    reader.push(utf8.encode("y".repeat(3)));
    reader.push(utf8.encode("\nlater\n"));
    expect(out).toEqual(["<overflow>", "short", "<overflow>", "<runaway>"]);
  });

  test("a leading byte-order mark is dropped", () => {
    expect(frame(["\ufeffhi\n"]).out).toEqual(["hi"]);
  });

  test("memory stays bounded while a newline never comes", () => {
    const out: string[] = [];
    const reader = new LineReader(
      { maxBytes: 4096 },
      { line: (l) => out.push(l), overflow: () => out.push("<overflow>") },
    );
    const chunk = new Uint8Array(64 * 1024).fill(0x41);
    for (let i = 0; i < 16; i++) {
      reader.push(chunk); // 1 MiB in all
      expect(reader.pendingBytes).toBeLessThanOrEqual(4097);
    }
    expect(out).toEqual(["<overflow>"]);
    reader.push(utf8.encode("\nafter\n"));
    expect(out).toEqual(["<overflow>", "after"]);
  });

  test("chunks held across calls are copies: reusing the caller's buffer is safe", () => {
    const out: string[] = [];
    const reader = new LineReader({ maxBytes: 64 }, { line: (l) => out.push(l), overflow: () => {} });
    const buffer = utf8.encode("abc");
    reader.push(buffer);
    buffer.set(utf8.encode("XYZ"));
    reader.push(utf8.encode("\n"));
    expect(out).toEqual(["abc"]);
  });
});

describe("LineReader memory", () => {
  test("a line arriving one byte per chunk is held in one buffer, not an object per chunk", () => {
    const out: string[] = [];
    const reader = new LineReader({ maxBytes: 4096 }, { line: (l) => out.push(l), overflow: () => {} });
    const objects = () => {
      Bun.gc(true);
      return heapStats().objectTypeCounts.Uint8Array ?? 0;
    };
    const before = objects();
    for (let i = 0; i < 4000; i++) reader.push(new Uint8Array([0x61 + (i % 26)]));
    expect(objects() - before).toBeLessThan(10);
    expect(reader.pendingBytes).toBe(4000);
    reader.push(utf8.encode("\n"));
    expect(out).toEqual([Array.from({ length: 4000 }, (_, i) => String.fromCharCode(0x61 + (i % 26))).join("")]);
  });

  test("an unfinished line can be dropped; the rest of it, up to its newline, goes with it", () => {
    const out: string[] = [];
    const reader = new LineReader({ maxBytes: 64 }, { line: (l) => out.push(l), overflow: () => {} });
    expect(reader.dropUnfinished()).toBe(false);
    reader.push(utf8.encode("half a "));
    expect(reader.dropUnfinished()).toBe(true);
    expect(reader.pendingBytes).toBe(0);
    reader.push(utf8.encode("line\nnext\n"));
    expect(out).toEqual(["next"]);
  });
});
