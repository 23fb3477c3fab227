import { describe, expect, test } from "bun:test";
import { Encoded, encode } from "../../src/render/codec.ts";
import { helpBlock, helpLines, toText } from "../../src/render/text.ts";
import { parseClientHello } from "../../src/protocol/hello.ts";
import { decodeEvent } from "../../src/protocol/decode.ts";
import type { ServerEvent } from "../../src/protocol/events.ts";
import { sanitizeText } from "../../src/protocol/sanitize.ts";

const ts = 1_700_000_000_000;
/** A time of day in this machine's zone (history's text writes local times). */
const local = (y: number, month: number, d: number, h: number, m: number) => new Date(y, month - 1, d, h, m).getTime();
const decoder = new TextDecoder();

/** One or more examples of every event type (a type left out does not compile), each with its plain-text form. */
type Cases = { [K in ServerEvent["type"]]: [[Extract<ServerEvent, { type: K }>, string], ...[Extract<ServerEvent, { type: K }>, string][]] };
const byType: Cases = {
  hello: [
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
  ],
  "ask-password": [[{ type: "ask-password" }, "This server needs a password:"]],
  "ask-name": [[{ type: "ask-name" }, "Enter your username:"]],
  "ask-login": [
    [{ type: "ask-login", name: "Sam" }, "Sam is a registered name. Password:"],
    [
      { type: "ask-login", name: "Sam", unencrypted: true },
      "Sam is a registered name. Password (this server has no TLS: it travels unencrypted; an empty line picks another name):",
    ],
  ],
  welcome: [
    [
      { type: "welcome", name: "Sam", room: "#lobby", rooms: ["#lobby"], users: ["Ana", "Sam"] },
      ["Hi Sam, you are in. Type a line and press Enter to send it to everyone.", ...helpLines(true).map((l) => `  ${l}`), "Online (2): Ana, Sam"].join("\n"),
    ],
  ],
  public: [
    [{ type: "public", id: 1, room: "#lobby", from: "Sam", text: "hi all", ts }, "Sam: hi all"],
    [{ type: "public", id: 2, room: "#lobby", from: "Sam", text: "psst", ts, only: "operators" }, "Sam (to operators): psst"],
  ],
  private: [[{ type: "private", id: 3, from: "Eliya", text: "Hello!", ts }, "[pm from Eliya] Hello!"]],
  "private-sent": [[{ type: "private-sent", id: 4, to: "Sam", text: "Hello!", ts }, "[pm to Sam] Hello!"]],
  typing: [
    [{ type: "typing", id: 41, from: "Sam", state: "active", room: "#dev", ts }, "-- Sam is typing in #dev."],
    [{ type: "typing", id: 42, from: "Sam", state: "done", ts }, "-- Sam is not typing any more to you."],
  ],
  invite: [[{ type: "invite", from: "Sam", room: "#dev", ts }, "-- Sam invites you to #dev: /join #dev to go there."]],
  "invite-sent": [[{ type: "invite-sent", to: "Kim", room: "#dev" }, "-- You invited Kim to #dev."]],
  join: [
    [{ type: "join", room: "#lobby", name: "Sam", arrived: true, ts }, "--> Sam joined the chat"],
    [{ type: "join", room: "#dev", name: "Sam", ts }, "--> Sam joined #dev"], // online already: the room's event
  ],
  leave: [
    [{ type: "leave", room: "#lobby", name: "Sam", reason: "quit", ts }, "<-- Sam left the chat (quit)"],
    [{ type: "leave", room: "#lobby", name: "Sam", reason: "disconnected", ts }, "<-- Sam left the chat (disconnected)"],
    [{ type: "leave", room: "#lobby", name: "Sam", reason: "timed-out", ts }, "<-- Sam left the chat (timed out)"],
    [{ type: "leave", room: "#lobby", name: "Sam", reason: "flooding", ts }, "<-- Sam left the chat (dropped: flooding)"],
    [
      { type: "leave", room: "#dev", name: "Sam", reason: "parted", message: "see you", ts },
      "<-- Sam left #dev: see you",
    ],
  ],
  joins: [
    [{ type: "joins", room: "#lobby", names: ["A", "B"], count: 5, arrived: true, ts }, "--> 5 joined the chat: A, B and 3 more"],
    [{ type: "joins", room: "#dev", names: ["A", "B"], count: 5, ts }, "--> 5 joined #dev: A, B and 3 more"],
  ],
  leaves: [
    [
      { type: "leaves", room: "#lobby", users: [{ name: "A", reason: "quit" }], count: 2, ts },
      "<-- 2 left the chat: A (quit) and 1 more",
    ],
  ],
  room: [
    [
      { type: "room", room: "#dev", joined: true, users: ["Ana", "Sam"], count: 2, topic: { text: "ship it", by: "Ana", ts } },
      "--> You joined #dev; your lines go there now.\nTopic: ship it (set by Ana)\nIn #dev (2): Ana, Sam",
    ],
    [
      { type: "room", room: "#dev", joined: false, users: ["Sam"], count: 1 },
      "-- Your lines go to #dev now.\nIn #dev (1): Sam",
    ],
    [
      { type: "room", room: "#ops", joined: true, users: ["Sam"], count: 1, settings: { inviteOnly: true, keyed: true, key: "k3y", limit: 20 } },
      "--> You joined #ops; your lines go there now.\n-- #ops is invite-only, key k3y, limit 20 (/room shows what that means).\nIn #ops (1): Sam",
    ],
  ],
  settings: [
    [{ type: "settings", room: "#ops", settings: { secret: true, moderated: true } }, "-- #ops is secret, moderated."],
    [{ type: "settings", room: "#ops", settings: {} }, "-- #ops is a public room."],
  ],
  parted: [
    [{ type: "parted", room: "#dev", current: "#lobby" }, "<-- You left #dev; your lines go to #lobby now."],
    [{ type: "parted", room: "#dev" }, "<-- You left #dev, and you are in no room now: /join a room to talk."],
  ],
  topic: [
    [{ type: "topic", id: 5, room: "#dev", text: "ship it", by: "Ana", ts }, "--- Ana set the topic: ship it"],
    [{ type: "topic", id: 6, room: "#dev", text: "", by: "Ana", ts }, "--- Ana cleared the topic"],
  ],
  "topic-is": [
    [{ type: "topic-is", room: "#dev", topic: { text: "ship it", by: "Ana", ts } }, "-- #dev: Topic: ship it (set by Ana)"],
    [{ type: "topic-is", room: "#dev" }, "-- #dev has no topic. /topic <text> sets one."],
  ],
  rooms: [
    [
      { type: "rooms", rooms: [{ name: "#dev", count: 1, topic: "ship it" }, { name: "#lobby", count: 12 }], count: 3 },
      "Rooms (3):\n  #dev        1 user   ship it\n  #lobby     12 users\n  and 1 more (/rooms <start of a name> finds one)",
    ],
    [{ type: "rooms", rooms: [], count: 0, prefix: "#x" }, 'No room starts with "#x".'],
  ],
  users: [
    [{ type: "users", users: ["Ana", "Sam"], count: 2 }, "Online (2): Ana, Sam"],
    [
      { type: "users", users: ["Ana", "Sam"], away: { Sam: "lunch" }, count: 250, awayCount: 7 },
      "Online (250): Ana, Sam (away: lunch) and 248 more; 7 away (/users <start of a name> finds someone)",
    ],
    [{ type: "users", users: ["Sam", "Samira"], count: 2, prefix: "sa" }, 'Online, starting with "sa" (2): Sam, Samira'],
    [{ type: "users", users: [], count: 0, prefix: "zz" }, 'Nobody online has a name starting with "zz".'],
    [{ type: "users", room: "#dev", users: ["Ana"], count: 1 }, "In #dev (1): Ana"],
    [{ type: "users", room: "#dev", users: [], count: 0, prefix: "x" }, 'Nobody in #dev has a name starting with "x".'],
  ],
  action: [
    [{ type: "action", id: 7, room: "#lobby", from: "Sam", text: "waves", ts }, "* Sam waves"],
    [{ type: "action", id: 8, room: "#lobby", from: "Sam", text: "agrees", ts, reply: { id: 7, from: "Ana", text: "lunch?" } }, '* Sam (re Ana "lunch?") agrees'],
  ],
  edit: [
    [{ type: "edit", room: "#dev", id: 9, text: "the build is green", by: "Sam", of: "Sam", at: local(2026, 11, 30, 14, 2), ts: local(2026, 11, 30, 14, 5) }, "-- Sam edited their line from 14:02: the build is green"],
  ],
  delete: [
    [{ type: "delete", room: "#dev", id: 9, by: "Sam", of: "Sam", at: local(2026, 11, 30, 14, 2), ts: local(2026, 11, 30, 14, 5) }, "-- Sam deleted their line from 14:02."],
    [{ type: "delete", room: "#dev", id: 9, by: "Ana", of: "Mal", at: local(2026, 11, 29, 9, 0), reason: "spam", ts: local(2026, 11, 30, 14, 5) }, "-- Ana deleted Mal's line from 2026-11-29 09:00 (spam)."],
  ],
  react: [
    [
      { type: "react", room: "#dev", id: 9, emoji: "👍", from: "Ana", on: true, count: 2, of: "Sam", at: local(2026, 11, 30, 14, 2), excerpt: "the build is green", ts: local(2026, 11, 30, 14, 5) },
      '-- Ana reacted 👍 to Sam\'s line from 14:02 ("the build is green") (2 now)',
    ],
    [
      { type: "react", room: "#dev", id: 9, emoji: "👍", from: "Sam", on: false, count: 0, of: "Sam", at: local(2026, 11, 30, 14, 2), excerpt: "the build…", ts: local(2026, 11, 30, 14, 5) },
      '-- Sam took back 👍 from their line from 14:02 ("the build…")',
    ],
  ],
  tagmsg: [[{ type: "tagmsg", id: 10, room: "#dev", from: "Sam", tags: "+typing=active", ts }, ""]],
  reactions: [
    [
      { type: "reactions", room: "#dev", id: 9, of: "Sam", at: 1, excerpt: "the build", reactions: [{ emoji: "👍", names: ["Ana", "Kim"] }, { emoji: "🎉", names: ["Bo"] }] },
      '-- Reactions to Sam\'s line "the build": 👍 Ana, Kim; 🎉 Bo',
    ],
    [{ type: "reactions", room: "#dev", id: 9, of: "Sam", at: 1, excerpt: "the build", reactions: [] }, '-- Nobody has reacted to Sam\'s line "the build".'],
  ],
  history: [
    [
      {
        type: "history",
        room: "#lobby",
        why: "join",
        events: [
          { type: "public", id: 8, room: "#lobby", from: "Ana", text: "hi", ts: local(2026, 11, 29, 9, 5) },
          { type: "action", id: 9, room: "#lobby", from: "Sam", text: "waves", ts: local(2026, 11, 30, 14, 2) },
          { type: "topic", id: 10, room: "#lobby", text: "ship it", by: "Ana", ts: local(2026, 11, 30, 14, 3) },
        ],
        more: true,
        ts: local(2026, 11, 30, 15, 0),
      },
      [
        "--- 3 earlier lines in #lobby ---",
        "[2026-11-29 09:05] Ana: hi",
        "[14:02] * Sam waves",
        "[14:03] --- Ana set the topic: ship it",
        "--- end of earlier lines (/history for more) ---",
      ].join("\n"),
    ],
    [{ type: "history", room: "#dev", why: "request", events: [], more: false, ts }, "-- No earlier lines in #dev."],
  ],
  search: [
    [
      {
        type: "search",
        query: "ship*",
        events: [{ type: "public", id: 11, room: "#dev", from: "Ana", text: "shipped", ts: local(2026, 11, 30, 14, 2) }],
        ts: local(2026, 11, 30, 15, 0),
      },
      '-- 1 line has "ship*", newest first:\n[#dev 14:02] Ana: shipped',
    ],
    [{ type: "search", query: "nope", events: [], ts }, '-- No line in your rooms or conversations has "nope".'],
  ],
  whois: [
    [
      { type: "whois", name: "Ana", online: true, registered: true, since: Date.UTC(2026, 10, 30, 9, 5), idle: 180_000, away: "lunch", rooms: ["#dev", "#lobby"] },
      "-- Ana is a registered name, online.\n   here since 2026-11-30 09:05 UTC\n   idle 3 min\n   away: lunch\n   in #dev, #lobby",
    ],
    [{ type: "whois", name: "Bo", online: true, registered: false, rooms: ["#lobby"], elsewhere: true }, "-- Bo is a guest, online on another server of the cluster.\n   in #lobby"],
    [{ type: "whois", name: "Cy", online: false, registered: true }, "-- Cy is a registered name, not online now."],
    [
      { type: "whois", name: "Sam", online: true, registered: true, rooms: ["#dev"], admin: true, operator: ["#dev"] },
      "-- Sam is a registered name, online.\n   in #dev\n   a server admin\n   operator of #dev",
    ],
  ],
  rename: [[{ type: "rename", from: "Sam", to: "Samuel", ts }, "--- Sam is now known as Samuel"]],
  marker: [
    [{ type: "marker", target: "#dev", at: Date.UTC(2026, 11, 7, 14, 2) }, "-- #dev is read up to 2026-12-07 14:02 UTC."],
    [{ type: "marker", target: "@sam", at: null }, "-- You have no read marker in @sam."],
  ],
  markers: [[{ type: "markers", markers: { "#dev": 1, "@sam": 2 } }, ""]],
  session: [[{ type: "session", id: "0123456789ab", token: "bcsession_0123456789ab_xyz", expires: 1 }, ""]],
  sessions: [
    [{ type: "sessions", sessions: [] }, "-- You have no page sessions: the page asks for your password when it loads."],
    [
      { type: "sessions", sessions: [{ id: "0123456789ab", created: Date.UTC(2026, 11, 1, 9), used: Date.UTC(2026, 11, 7, 9), expires: Date.UTC(2027, 0, 6, 9), current: true }] },
      "-- Your page sessions (1); /logout <id> signs one out, /logout all every one:\n   0123456789ab  since 2026-12-01 09:00 UTC, last used 2026-12-07 09:00 UTC, until 2027-01-06 09:00 UTC (this one)",
    ],
  ],
  away: [
    [{ type: "away", reason: "lunch" }, "You are marked as away: lunch"],
    [{ type: "away", reason: null }, "You are back."],
  ],
  "away-notice": [[{ type: "away-notice", name: "Sam", reason: "lunch" }, "Sam is away: lunch"]],
  help: [[{ type: "help", command: "pm" }, helpBlock("pm").join("\n")]],
  notice: [[{ type: "notice", text: "back in touch", ts }, "-- back in touch"]],
  pong: [[{ type: "pong", token: "abc" }, "pong abc"]],
  ping: [[{ type: "ping" }, "ping"]],
  error: [
    [
      { type: "error", code: "unknown-user", message: 'No user named "Bob" is online.' },
      '! No user named "Bob" is online.',
    ],
  ],
  bye: [
    [{ type: "bye", name: "Sam" }, "Goodbye, Sam!"],
    [{ type: "bye", name: "" }, "Goodbye!"],
  ],
  shutdown: [[{ type: "shutdown" }, "!! The server is shutting down. Goodbye!"]],
  upload: [
    [
      { type: "upload", room: "#dev", path: "/api/rooms/dev/files", token: "bunchat-upload_abc", port: 8081, tls: false, host: "10.0.0.5", maxBytes: 10485760, until: ts + 300_000, ts },
      "-- You may share one file (at most 10 MiB) in #dev within 5 minutes: curl -F file=@<path> -H 'Authorization: Bearer bunchat-upload_abc' http://10.0.0.5:8081/api/rooms/dev/files",
    ],
  ],
  "file-key": [[{ type: "file-key", key: "k.sig", port: 8081, tls: true, until: ts }, ""]],
};
const cases: [ServerEvent, string][] = Object.values(byType).flat();

// From a room other than the reader's current one: lines say which, joins and leaves name it.
const tagged: [ServerEvent, string][] = [
  [{ type: "public", id: 12, room: "#dev", from: "Sam", text: "hi", ts }, "[#dev] Sam: hi"],
  [{ type: "action", id: 13, room: "#dev", from: "Sam", text: "waves", ts }, "[#dev] * Sam waves"],
  [{ type: "join", room: "#dev", name: "Sam", ts }, "--> Sam joined #dev"],
  [{ type: "leave", room: "#dev", name: "Sam", reason: "quit", ts }, "<-- Sam left the chat (quit)"], // the chat's event, wherever told
  [{ type: "joins", room: "#dev", names: ["A", "B"], count: 2, ts }, "--> 2 joined #dev: A, B"],
  [{ type: "topic", id: 14, room: "#dev", text: "ship it", by: "Ana", ts }, "[#dev] --- Ana set the topic: ship it"],
];

describe("codecs", () => {
  test.each(cases)("text form of %o", (event, text) => {
    expect(toText(event)).toBe(text);
    expect(decoder.decode(encode(event, "text"))).toBe(`${text}\n`);
  });

  test.each(tagged)("tagged text form of %o", (event, text) => {
    expect(toText(event, true)).toBe(text);
    expect(decoder.decode(encode(event, "tagged"))).toBe(`${text}\n`);
  });

  test.each(cases)("json round trip of %o", (event) => {
    const line = decoder.decode(encode(event, "json"));
    expect(line.endsWith("\n")).toBe(true);
    expect(line.slice(0, -1)).not.toContain("\n");
    expect(decodeEvent(line.slice(0, -1))).toEqual(event);
  });

  test("multi-line text events: welcome and help list every command", () => {
    const welcome = toText({ type: "welcome", name: "Sam", room: "#lobby", rooms: ["#lobby"], users: ["Ana", "Sam"] });
    expect(welcome.split("\n")[0]).toBe("Hi Sam, you are in. Type a line and press Enter to send it to everyone.");
    for (const usage of ["/pm <user> <message>", "/users", "/help", "quit"]) expect(welcome).toContain(usage);
    expect(welcome.split("\n").at(-1)).toBe("Online (2): Ana, Sam");
    expect(toText({ type: "help" })).toContain("//text");
  });

  test("the welcome names the first 50 of a big room", () => {
    const users = Array.from({ length: 1000 }, (_, i) => `u${String(i).padStart(4, "0")}`);
    const last = toText({ type: "welcome", name: "u0000", room: "#lobby", rooms: ["#lobby"], users }).split("\n").at(-1)!;
    expect(last).toStartWith("Online (1000): u0000, u0001,");
    expect(last).toEndWith("u0049 and 950 more (/users <start of a name> finds someone)");
  });

  test("json keeps text that would break a line: newlines and quotes are escaped", () => {
    const line = decoder.decode(encode({ type: "public", id: 15, room: "#lobby", from: "Sam", text: 'a "b"\\ \u2028', ts }, "json"));
    expect(line.split("\n")).toHaveLength(2);
    expect(decodeEvent(line.trim())).toMatchObject({ text: 'a "b"\\ \u2028' });
  });

  test("Encoded computes each mode's bytes once and hands out the same buffer", () => {
    const encoded = new Encoded({ type: "public", id: 16, room: "#lobby", from: "Sam", text: "hi", ts });
    expect(encoded.bytes("text")).toBe(encoded.bytes("text"));
    expect(encoded.bytes("json")).toBe(encoded.bytes("json"));
    expect(encoded.bytes("json")).not.toBe(encoded.bytes("text"));
  });

  test.each([
    "not json",
    "{broken",
    '{"type":"nope"}',
    "[]",
    "null",
    '"hello"',
    '{"type":"public","room":"#lobby","from":"Sam","text":42,"ts":1}',
    '{"type":"public","from":"Sam","text":"hi","ts":1}',
    '{"type":"leave","room":"#lobby","name":"Sam","reason":"vanished","ts":1}',
    '{"type":"error","code":"no-such-code","message":"?"}',
    '{"type":"users","users":["a",3],"count":2}',
    '{"type":"rooms","rooms":[{"name":"#a"}],"count":1}',
    '{"type":"welcome","name":"Sam","room":"#lobby","rooms":["#lobby"],"users":[],"topic":"x"}',
  ])("decodeEvent skips what is not a well-formed event it knows: %p", (line) => expect(decodeEvent(line)).toBeUndefined());

  test("decodeEvent drops fields it does not know", () => {
    const line = '{"type":"public","id":"17","room":"#lobby","from":"Sam","text":"hi","ts":1,"evil":"\\u001b[2J"}';
    expect(decodeEvent(line)).toEqual({ type: "public", id: 17, room: "#lobby", from: "Sam", text: "hi", ts: 1 });
  });

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
    ["\u001b[31mred\u001b[0m", "red"],
    ["\u001b[1;38;2;255;0;0mbold\u001b[22m", "bold"],
    ["\u001b[?1049hscreen", "screen"],
    ["\u001b]0;pwned\u0007title", "title"],
    ["\u001b]8;;http://evil\u001b\\link\u001b]8;;\u001b\\", "link"],
    ["\u001b]52;c;cHduZWQ=\u0007clip", "clip"],
    ["unterminated \u001b]0;title to the end", "unterminated "],
    ["\u001bPqdcs payload\u001b\\after", "after"],
    ["\u001b_apc\u001b\\ \u001b^pm\u001b\\ \u001bXsos\u001b\\x", "  x"],
    ["\u001bcreset \u001b7save \u001b(Bcharset", "reset save charset"],
    ["\u009b31mc1 csi \u009d0;t\u009cc1 osc", "c1 csi c1 osc"],
    ["bell\u0007", "bell"],
    ["back\bspace", "backspace"],
    ["over\rwrite", "overwrite"],
    ["nul\u0000byte", "nulbyte"],
    ["del\u007f", "del"],
    ["c1\u0085nel", "c1nel"],
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
