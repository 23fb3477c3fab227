import { describe, expect, test } from "bun:test";
import { decodeEvent, Encoded, encode, parseClientHello, toText } from "../../src/protocol/codec.ts";
import type { ServerEvent } from "../../src/protocol/events.ts";
import { sanitizeText } from "../../src/protocol/sanitize.ts";

const ts = 1_700_000_000_000;
const decoder = new TextDecoder();

// Every event type with its plain-text form: what an nc user reads.
const cases: [ServerEvent, string][] = [
  [
    {
      type: "hello",
      server: "0.1.0",
      proto: 1,
      maxLineBytes: 4096,
      nameMaxLength: 24,
      burstLines: 10,
      linesPerSecond: 5,
      password: false,
    },
    "Welcome to bunchat 0.1.0.",
  ],
  [{ type: "ask-password" }, "This server needs a password:"],
  [{ type: "ask-name" }, "Enter your username:"],
  [{ type: "public", from: "Sam", text: "hi all", ts }, "Sam: hi all"],
  [{ type: "private", from: "Eliya", text: "Hello!", ts }, "[pm from Eliya] Hello!"],
  [{ type: "private-sent", to: "Sam", text: "Hello!", ts }, "[pm to Sam] Hello!"],
  [{ type: "join", name: "Sam", ts }, "--> Sam joined the chat"],
  [{ type: "leave", name: "Sam", reason: "quit", ts }, "<-- Sam left the chat (quit)"],
  [{ type: "leave", name: "Sam", reason: "disconnected", ts }, "<-- Sam left the chat (disconnected)"],
  [{ type: "leave", name: "Sam", reason: "timed-out", ts }, "<-- Sam left the chat (timed out)"],
  [{ type: "leave", name: "Sam", reason: "flooding", ts }, "<-- Sam left the chat (dropped: flooding)"],
  [{ type: "users", users: ["Ana", "Sam"], count: 2 }, "Online (2): Ana, Sam"],
  [
    { type: "users", users: ["Ana", "Sam"], away: { Sam: "lunch" }, count: 250, awayCount: 7 },
    "Online (250): Ana, Sam (away: lunch) and 248 more; 7 away (/users <start of a name> finds someone)",
  ],
  [{ type: "users", users: ["Sam", "Samira"], count: 2, prefix: "sa" }, 'Online, starting with "sa" (2): Sam, Samira'],
  [{ type: "users", users: [], count: 0, prefix: "zz" }, 'Nobody online has a name starting with "zz".'],
  [{ type: "pong", token: "abc" }, "pong abc"],
  [{ type: "ping" }, "ping"],
  [
    { type: "error", code: "unknown-user", message: 'No user named "Bob" is online.' },
    '! No user named "Bob" is online.',
  ],
  [{ type: "bye", name: "Sam" }, "Goodbye, Sam!"],
  [{ type: "bye", name: "" }, "Goodbye!"],
  [{ type: "shutdown" }, "!! The server is shutting down. Goodbye!"],
];

describe("codecs", () => {
  test.each(cases)("text form of %o", (event, text) => {
    expect(toText(event)).toBe(text);
    expect(decoder.decode(encode(event, "text"))).toBe(`${text}\n`);
  });

  test.each(cases)("json round trip of %o", (event) => {
    const line = decoder.decode(encode(event, "json"));
    expect(line.endsWith("\n")).toBe(true);
    expect(line.slice(0, -1)).not.toContain("\n");
    expect(decodeEvent(line.slice(0, -1))).toEqual(event);
  });

  test("multi-line text events: welcome and help list every command", () => {
    const welcome = toText({ type: "welcome", name: "Sam", users: ["Ana", "Sam"] });
    expect(welcome.split("\n")[0]).toBe("Hi Sam, you are in. Type a line and press Enter to send it to everyone.");
    for (const usage of ["/pm <user> <message>", "/users", "/help", "quit"]) expect(welcome).toContain(usage);
    expect(welcome.split("\n").at(-1)).toBe("Online (2): Ana, Sam");
    expect(toText({ type: "help" })).toContain("//text");
  });

  test("the welcome names the first 50 of a big room", () => {
    const users = Array.from({ length: 1000 }, (_, i) => `u${String(i).padStart(4, "0")}`);
    const last = toText({ type: "welcome", name: "u0000", users }).split("\n").at(-1)!;
    expect(last).toStartWith("Online (1000): u0000, u0001,");
    expect(last).toEndWith("u0049 and 950 more (/users <start of a name> finds someone)");
  });

  test("json keeps text that would break a line: newlines and quotes are escaped", () => {
    const line = decoder.decode(encode({ type: "public", from: "Sam", text: 'a "b"\\ \u2028', ts }, "json"));
    expect(line.split("\n")).toHaveLength(2);
    expect(decodeEvent(line.trim())).toMatchObject({ text: 'a "b"\\ \u2028' });
  });

  test("Encoded computes each mode's bytes once and hands out the same buffer", () => {
    const encoded = new Encoded({ type: "public", from: "Sam", text: "hi", ts });
    expect(encoded.bytes("text")).toBe(encoded.bytes("text"));
    expect(encoded.bytes("json")).toBe(encoded.bytes("json"));
    expect(encoded.bytes("json")).not.toBe(encoded.bytes("text"));
  });

  test.each(["not json", "{broken", '{"type":"nope"}', "[]", "null", '"hello"'])("decodeEvent ignores %p", (line) =>
    expect(decodeEvent(line)).toBeUndefined(),
  );

  test.each([
    ["Sam", undefined],
    ['{"type":"hello","proto":1}', { type: "hello", proto: 1 }],
    ['{"type":"hello","proto":1,"client":"x"}', { type: "hello", proto: 1, client: "x" }],
    ["{nope", { error: "The first line looks like JSON but does not parse." }],
    ['{"type":"hi"}', { error: 'A structured client must start with {"type":"hello","proto":1}.' }],
    ['{"type":"hello"}', { error: 'The hello needs "proto": 1.' }],
  ])("parseClientHello(%p)", (line, expected) => {
    expect(parseClientHello(line)).toEqual(expected as never);
  });
});

describe("sanitizeText", () => {
  test.each([
    ["plain text", "plain text"],
    ["émoji 😀 and 中文", "émoji 😀 and 中文"],
    ["\u001b[31mred\u001b[0m", "[31mred[0m"],
    ["\u001b]0;pwned\u0007title", "]0;pwnedtitle"],
    ["\u001b]8;;http://evil\u001b\\link\u001b]8;;\u001b\\", "]8;;http://evil\\link]8;;\\"],
    ["bell\u0007", "bell"],
    ["back\bspace", "backspace"],
    ["over\rwrite", "overwrite"],
    ["nul\u0000byte", "nulbyte"],
    ["del\u007f", "del"],
    ["c1\u009bcsi\u0085nel", "c1csinel"],
    ["abc\u202edcba\u202c", "abcdcba"],
    ["iso\u2066late\u2069", "isolate"],
    ["tab\there", "tab here"],
    ["lone \ud800 surrogate", "lone \ufffd surrogate"],
    ["line\u2028sep", "linesep"],
  ])("%p", (input, output) => {
    expect(sanitizeText(input)).toBe(output);
  });

  test.each([
    ["zero-width space", "Al\u200bice", "Alice"],
    ["word joiner", "Al\u2060ice", "Alice"],
    ["byte-order mark", "Al\ufeffice", "Alice"],
    ["soft hyphen", "Al\u00adice", "Alice"],
    ["combining grapheme joiner", "Al\u034fice", "Alice"],
    ["Hangul filler", "\u3164Alice", "Alice"],
    ["halfwidth Hangul filler", "Alice\uffa0", "Alice"],
    ["blank braille pattern", "\u2800\u2800hi", "hi"],
    ["interlinear annotation", "\ufff9Al\ufffaice\ufffb", "Alice"],
    ["invisible operators", "A\u2061l\u2062i\u2063c\u2064e", "Alice"],
    ["Mongolian vowel separator", "Al\u180eice", "Alice"],
    ["musical formatting", "Al\u{1d173}ice", "Alice"],
    ["zero-width joiner between ASCII", "Al\u200dice", "Alice"],
    ["zero-width non-joiner between ASCII", "Al\u200cice", "Alice"],
    ["variation selector after a letter", "A\ufe0flice", "Alice"],
    ["tag characters outside a flag", "Al\u{e0067}ice", "Alice"],
    ["a line of nothing but invisibles", "\u200b\u2060\u3164", ""],
  ])("removes %s", (_name, input, output) => {
    expect(sanitizeText(input)).toBe(output);
  });

  test.each([
    ["a family (ZWJ between emoji)", "👨\u200d👩\u200d👧"],
    ["the rainbow flag (selector, then ZWJ)", "🏳\ufe0f\u200d🌈"],
    ["a red heart (emoji selector)", "❤\ufe0f"],
    ["a keycap", "1\ufe0f\u20e3"],
    ["the flag of Scotland (tag sequence)", "🏴\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}"],
    ["Devanagari with ZWJ", "क्\u200dष"],
    ["Persian with ZWNJ", "می\u200cخواهم"],
    ["a skin tone", "👋🏽"],
  ])("keeps %s", (_name, text) => {
    expect(sanitizeText(text)).toBe(text);
  });
});
