import { describe, expect, test } from "bun:test";
import { complete, Completer, Roster } from "../../src/client/roster.ts";
import { makeRenderer, mentions, nameColor, wrapRows } from "../../src/client/render.ts";
import { SeenLines } from "../../src/client/seen.ts";

describe("Roster", () => {
  test("follows welcome, join, leave, rename and /users; our own name follows /nick", () => {
    const r = new Roster();
    r.apply({ type: "welcome", name: "Sam", room: "#lobby", rooms: ["#lobby"], users: ["Ana", "Sam"] });
    r.apply({ type: "join", room: "#lobby", name: "bo", ts: 1 });
    expect(r.others()).toEqual(["Ana", "bo"]);
    r.apply({ type: "leave", room: "#lobby", name: "ANA", reason: "quit", ts: 1 });
    r.apply({ type: "rename", from: "Sam", to: "Samuel", ts: 1 });
    expect(r.me).toBe("Samuel");
    r.apply({ type: "rename", from: "bo", to: "Bob", ts: 1 });
    expect(r.others()).toEqual(["Bob"]);
    r.apply({ type: "users", users: ["Dee", "Samuel"], count: 2 });
    expect(r.others()).toEqual(["Dee"]);
  });

  test("a summary of a big room or a search only adds names: completion keeps the rest", () => {
    const r = new Roster();
    r.apply({ type: "welcome", name: "Sam", room: "#lobby", rooms: ["#lobby"], users: ["Ana", "Bo", "Sam", "Zed"] });
    r.apply({ type: "users", users: ["Ana", "Cy"], count: 500, awayCount: 3 });
    expect(r.others()).toEqual(["Ana", "Bo", "Cy", "Zed"]);
    r.apply({ type: "users", users: ["Zed"], count: 1, prefix: "z" });
    expect(r.others()).toEqual(["Ana", "Bo", "Cy", "Zed"]);
  });
});

describe("Roster and batched joins and leaves", () => {
  test("a batch adds or removes the names it shows; the renderer reads it like the server's text", () => {
    const r = new Roster();
    r.apply({ type: "welcome", name: "Sam", room: "#lobby", rooms: ["#lobby"], users: ["Ana", "Sam"], count: 2 });
    r.apply({ type: "joins", room: "#lobby", names: ["Bo", "Cy"], count: 2, ts: 1 });
    expect(r.others()).toEqual(["Ana", "Bo", "Cy"]);
    r.apply({ type: "leaves", room: "#lobby", users: [{ name: "ana", reason: "quit" }, { name: "Bo", reason: "timed-out" }], count: 2, ts: 1 });
    expect(r.others()).toEqual(["Cy"]);
    const render = makeRenderer({ color: false, timestamps: false, room: () => "#lobby" });
    expect(render({ type: "joins", room: "#lobby", names: ["Bo", "Cy"], count: 7, arrived: true, ts: 0 })).toEndWith("--> 7 joined the chat: Bo, Cy and 5 more");
    expect(render({ type: "joins", room: "#lobby", names: ["Bo", "Cy"], count: 7, ts: 0 })).toEndWith("--> 7 joined #lobby: Bo, Cy and 5 more"); // online already
    expect(render({ type: "leaves", room: "#lobby", users: [{ name: "Bo", reason: "timed-out" }], count: 1, ts: 0 })).toEndWith(
      "<-- 1 left the chat: Bo (timed out)",
    );
  });
});

describe("history in the client", () => {
  test("a history block is drawn dimmed, each line with its time, whatever --no-timestamps says; its text is sanitised", () => {
    const at = new Date(2026, 10, 30, 14, 2).getTime();
    const color = makeRenderer({ color: true, timestamps: false, room: () => "#lobby" });
    const plain = makeRenderer({ color: false, timestamps: false, room: () => "#lobby" });
    const event = {
      type: "history",
      room: "#lobby",
      why: "join",
      events: [
        { type: "public", id: 1, room: "#lobby", from: "Bo", text: "hi\u001b[2J there", ts: at },
        { type: "action", id: 2, room: "#lobby", from: "Bo", text: "waves", ts: at },
      ],
      more: false,
      ts: at,
    } as const;
    expect(plain(event)).toBe(
      ["--- 2 earlier lines in #lobby ---", "[14:02] Bo: hi there", "[14:02] * Bo waves", "--- end of earlier lines ---"].join("\n"),
    );
    const rows = color(event)!.split("\n");
    expect(rows).toHaveLength(4);
    for (const row of rows) expect(row).toMatch(/^\u001b\[2m.*\u001b\[22m$/); // dim, each row
    expect(plain({ type: "search", query: "hi", events: [event.events[0]], ts: at })).toBe(
      '-- 1 line has "hi", newest first:\n[#lobby 14:02] Bo: hi there',
    );
  });
});

describe("Roster and rooms", () => {
  test("knows our rooms and the current one from the welcome, /join, /part and /rooms; a part is not a quit", () => {
    const r = new Roster();
    r.apply({ type: "welcome", name: "Sam", room: "#lobby", rooms: ["#lobby"], users: ["Ana", "Sam"] });
    r.apply({ type: "room", room: "#dev", joined: true, users: ["Bo", "Sam"], count: 2 });
    expect([r.room, [...r.rooms]]).toEqual(["#dev", ["#lobby", "#dev"]]);
    expect(r.others()).toEqual(["Ana", "Bo"]);
    r.apply({ type: "leave", room: "#dev", name: "Bo", reason: "parted", ts: 1 });
    expect(r.others()).toEqual(["Ana", "Bo"]); // still online
    r.apply({ type: "rooms", rooms: [{ name: "#ops", count: 3 }], count: 1 });
    expect(r.roomNames()).toEqual(["#dev", "#lobby", "#ops"]);
    r.apply({ type: "parted", room: "#dev", current: "#lobby" });
    expect([r.room, [...r.rooms]]).toEqual(["#lobby", ["#lobby"]]);
    r.apply({ type: "parted", room: "#lobby" });
    expect(r.room).toBeUndefined();
  });

  test("the renderer tags lines from rooms other than ours and names their room in joins and leaves", () => {
    const render = makeRenderer({ color: false, timestamps: false, room: () => "#lobby" });
    expect(render({ type: "public", id: 3, room: "#dev", from: "Bo", text: "hi", ts: 1 })).toBe("[#dev] Bo: hi");
    expect(render({ type: "public", id: 4, room: "#lobby", from: "Bo", text: "hi", ts: 1 })).toBe("Bo: hi");
    expect(render({ type: "join", room: "#dev", name: "Bo", ts: 1 })).toBe("--> Bo joined #dev");
    expect(render({ type: "leave", room: "#dev", name: "Bo", reason: "parted", message: "bye", ts: 1 })).toBe(
      "<-- Bo left #dev: bye",
    );
    expect(render({ type: "topic", id: 5, room: "#dev", text: "ship", by: "Bo", ts: 1 })).toBe("[#dev] --- Bo set the topic: ship");
    expect(render({ type: "rooms", rooms: [{ name: "#dev", count: 2, topic: "ship" }], count: 1 })).toBe(
      "Rooms (1):\n  #dev      2 users  ship",
    );
  });
});

describe("complete", () => {
  const names = ["Ana", "Sam", "Samira", "bo"];
  test.each([
    ["Sa", [["Sam: ", "Samira: "], "Sa"]],
    ["an", [["Ana: "], "an"]],
    ["/p", [["/part ", "/passwd ", "/ping ", "/pm "], "/p"]],
    ["/re", [["/react ", "/reactions ", "/read ", "/register ", "/reply "], "/re"]],
    ["/pm s", [["Sam ", "Samira "], "s"]],
    ["/invite s", [["Sam ", "Samira "], "s"]],
    ["/msg B", [["bo "], "B"]],
    ["hello sa", [["Sam", "Samira"], "sa"]],
    ["hello ", [[], ""]],
    ["x", [[], "x"]],
    ["/join #d", [["#dev "], "#d"]],
    ["#L", [["#lobby "], "#L"]],
    ["/part #", [["#dev ", "#lobby "], "#"]],
  ] as const)("%p", (line, expected) => {
    expect(complete(line, names, ["#dev", "#lobby"])).toEqual(expected as unknown as [string[], string]);
  });
});

describe("renderer", () => {
  const plain = makeRenderer({ color: false, timestamps: false, me: () => "Sam", room: () => "#lobby" });
  const colored = makeRenderer({ color: true, timestamps: false, me: () => "Sam", room: () => "#lobby" });

  test("plain output has no escapes; /me, rename and away read as sentences", () => {
    expect(plain({ type: "action", id: 6, room: "#lobby", from: "Ana", text: "waves", ts: 1 })).toBe("* Ana waves");
    expect(plain({ type: "rename", from: "Ana", to: "Anna", ts: 1 })).toBe("--- Ana is now known as Anna");
    expect(plain({ type: "away-notice", name: "Bo", reason: "lunch" })).toBe("Bo is away: lunch");
    expect(plain({ type: "public", id: 7, room: "#lobby", from: "Ana", text: "hi Sam", ts: 1 })).toBe("Ana: hi Sam");
  });

  test("on a terminal that shows hyperlinks, a line's links are OSC 8 links (also a wrapped line's, row by row); elsewhere, text", () => {
    const linking = makeRenderer({ color: false, timestamps: false, room: () => "#lobby", links: true, columns: () => 40 });
    const line = { type: "public", id: 8, room: "#lobby", from: "Ana", text: "see https://example.com/x and javascript:alert(1)", ts: 1 } as const;
    const shown = linking(line)!;
    expect(shown).toContain("\x1b]8;;https://example.com/x\x1b\\https://example.com/x\x1b]8;;\x1b\\");
    expect(shown).not.toContain("]8;;javascript");
    expect(plain(line)).toBe("Ana: see https://example.com/x and javascript:alert(1)");
  });

  test("after the welcome, what is unread since one's markers is one line (nothing when nothing is); markers alone show nothing", () => {
    expect(plain({ type: "markers", markers: { "#dev": 1, "#ops": 1 }, unread: { "#dev": { count: 12, mentions: 1 }, "#ops": { count: 200, mentions: 0, more: true }, "#lobby": { count: 0, mentions: 0 } } })).toBe(
      "-- Since you last read them: #dev 12 unread, 1 mentions you; #ops 200+ unread.",
    );
    expect(plain({ type: "markers", markers: { "#dev": 1 }, unread: { "#dev": { count: 0, mentions: 0 } } })).toBeUndefined();
    expect(plain({ type: "marker", target: "#dev", at: null, elsewhere: true })).toBe("-- You have no read marker in #dev.");
  });

  test("each name has its own stable colour", () => {
    const line = (from: string) => colored({ type: "public", id: 8, room: "#lobby", from, text: "x", ts: 1 })!;
    expect(line("Ana")).toBe(line("Ana"));
    expect(nameColor("Ana", 6)).toBe(nameColor("ana", 6));
    const colours = new Set(["Ana", "Bo", "Sam", "Dee", "Eliya", "Kim", "Lou"].map((n) => nameColor(n, 6)));
    expect(colours.size).toBeGreaterThan(2);
  });

  test("a line that mentions us is highlighted; one that does not is not", () => {
    const mention = colored({ type: "public", id: 9, room: "#lobby", from: "Ana", text: "sam, lunch?", ts: 1 })!;
    const other = colored({ type: "public", id: 10, room: "#lobby", from: "Ana", text: "samuel, lunch?", ts: 1 })!;
    expect(mention).toContain("\u001b[7m"); // inverse
    expect(other).not.toContain("\u001b[7m");
  });

  test("a mention hidden by an invisible character (Al\u200bice) still rings", () => {
    let rang = 0;
    const render = makeRenderer({ color: false, timestamps: false, me: () => "Alice", room: () => "#lobby", onMention: () => rang++ });
    expect(render({ type: "public", id: 11, room: "#lobby", from: "Mal", text: "hey Al\u200bice", ts: 1 })).toBe("Mal: hey Alice");
    expect(rang).toBe(1);
  });

  test("a rename can't be forged with /me: the two read differently, with or without colour", () => {
    const action = plain({ type: "action", id: 12, room: "#lobby", from: "Mal", text: "is now known as Alice", ts: 1 });
    const rename = plain({ type: "rename", from: "Mal", to: "Alice", ts: 1 });
    expect(action).toBe("* Mal is now known as Alice");
    expect(rename).toBe("--- Mal is now known as Alice");
  });

  test("on a terminal, rows after the first are indented under the text: padding can't fake a new line", () => {
    const narrow = makeRenderer({ color: false, timestamps: false, me: () => "Sam", room: () => "#lobby", columns: () => 30 });
    const forged = `hi${" ".repeat(23)}Alice: I'm off`;
    expect(narrow({ type: "public", id: 13, room: "#lobby", from: "Mal", text: forged, ts: 1 })!.split("\n")).toEqual([
      "Mal: hi",
      "     Alice: I'm off",
    ]);
    const long = narrow({ type: "private", id: 14, from: "Mal", text: "one two three four five six seven", ts: 1 })!;
    expect(long.split("\n")).toEqual([
      "[pm from Mal] one two three",
      "              four five six",
      "              seven",
    ]);
    for (const row of long.split("\n")) expect(Bun.stringWidth(row)).toBeLessThanOrEqual(30);
  });

  test.each([
    ["abc def ghi", 5, 5, ["abc", "def", "ghi"]],
    ["abcdefghij", 4, 3, ["abcd", "efg", "hij"]],
    ["你好世界", 5, 5, ["你好", "世界"]], // two columns each, never split
    ["👨\u200d👩\u200d👧 ok", 3, 3, ["👨\u200d👩\u200d👧", "ok"]],
    ["short", 10, 10, ["short"]],
  ] as const)("wrapRows(%p, %p, %p)", (text, first, rest, rows) => {
    expect(wrapRows(text, first, rest)).toEqual([...rows]);
  });

  test.each([
    ["hi Sam", true],
    ["sam: hi", true],
    ["(@Sam)", true],
    ["Samuel", false],
    ["isam", false],
    ["Samuel and Sam", true],
    ["", false],
  ] as const)("mentions(%p, Sam) is %p", (text, expected) => {
    expect(mentions(text, "Sam")).toBe(expected);
  });

  test("nothing from the network reaches the terminal raw: names and text are sanitised", () => {
    const line = plain({
      type: "public",
      id: 9,
      room: "#lo\u001b[2Jbby",
      from: "A\u001b[2Jna",
      text: "hi\u0007\u202e there\u001b]0;title\u0007",
      ts: 1,
    })!;
    expect(line).not.toMatch(/[\u0000-\u001f\u007f\u202e]/);
    expect(line).toContain("hi");
    expect(plain({ type: "action", id: 15, room: "#lobby", from: "Bo", text: "\rwaves\b", ts: 1 })).not.toMatch(/[\r\b]/);
  });
});

describe("lines the client has shown", () => {
  test("a room's history on joining again shows only what was missed; /history always shows all", () => {
    const seen = new SeenLines();
    const said = (text: string, ts: number) => ({ type: "public", id: 16, room: "#dev", from: "Bo", text, ts }) as const;
    const replay = (why: "join" | "request", ...events: ReturnType<typeof said>[]) =>
      ({ type: "history", room: "#dev", why, events, more: false, ts: 9 }) as const;
    expect(seen.filter(said("one", 1))).toEqual(said("one", 1));
    seen.filter(said("two", 2));
    // Back after a reconnection: "three" was said while we were away.
    expect(seen.filter(replay("join", said("one", 1), said("two", 2), said("three", 3)))).toEqual(
      replay("join", said("three", 3)),
    );
    expect(seen.filter(replay("join", said("two", 2), said("three", 3)))).toBeUndefined(); // all of it on screen
    expect(seen.filter(replay("request", said("one", 1)))).toEqual(replay("request", said("one", 1)));
    expect(seen.filter(replay("join", said("two", 2)))).toBeUndefined();
    // Another room's history is its own.
    const other = { ...replay("join", said("two", 2)), room: "#ops" };
    expect(seen.filter(other)).toEqual(other);
  });

  test("the newest line of each room and conversation is what a reconnection asks what came after; an answer shows only what was not shown", () => {
    const seen = new SeenLines();
    seen.filter({ type: "public", id: 7, room: "#dev", from: "Bo", text: "seven", ts: 7 });
    seen.filter({ type: "public", id: 9, room: "#dev", from: "Bo", text: "nine", ts: 9 });
    seen.filter({ type: "private", id: 8, from: "Sam", text: "psst", ts: 8 });
    // An older page asked for with /history is no newer line.
    seen.filter({ type: "history", room: "#dev", why: "request", events: [{ type: "public", id: 2, room: "#dev", from: "Bo", text: "two", ts: 2 }], more: false, ts: 10 });
    expect(seen.newest()).toEqual([["#dev", 9], ["@sam", 8]]);
    const nine = { type: "public", id: 9, room: "#dev", from: "Bo", text: "nine", ts: 9 } as const;
    const ten = { type: "public", id: 10, room: "#dev", from: "Bo", text: "ten", ts: 10 } as const;
    const after = (...events: (typeof nine | typeof ten)[]) => ({ type: "history", room: "#dev", why: "request", events, more: false, ts: 11, after: 8 }) as const;
    expect(seen.filter(after(nine, ten))).toEqual(after(ten));
    expect(seen.filter(after(ten))).toBeUndefined();
    expect(seen.newest()).toEqual([["#dev", 10], ["@sam", 8]]);
  });
});

describe("Tab that cycles", () => {
  /** What the line becomes when readline replaces the word it was given with the one match. */
  const tab = (completer: Completer, line: string) => {
    const [[match], word] = completer.next(line);
    return match === undefined ? line : line.slice(0, line.length - word.length) + match;
  };

  test("/wh reaches /who, then /whois, then /who again; an edit starts over", () => {
    const c = new Completer((line) => complete(line, ["Sam"], []));
    let line = tab(c, "/wh");
    expect(line).toBe("/who ");
    line = tab(c, line);
    expect(line).toBe("/whois ");
    line = tab(c, line);
    expect(line).toBe("/who ");
    expect(tab(c, "/he")).toBe("/help ");
  });

  test("names too: Ana, Anton, Ana…; a single match completes at once", () => {
    const c = new Completer((line) => complete(line, ["Ana", "Anton", "Bo"], []));
    expect(tab(c, "an")).toBe("Ana: ");
    expect(tab(c, "Ana: ")).toBe("Anton: ");
    expect(tab(c, "Anton: ")).toBe("Ana: ");
    expect(tab(c, "hi b")).toBe("hi Bo");
  });
});
