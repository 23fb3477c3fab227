// IRC's wire format: reading lines (tags, source, trailing, 15 parameters), writing them, and
// cutting long texts to IRC's 512 bytes at character boundaries, with nothing lost.

import { describe, expect, test } from "bun:test";
import { IRC_LINE_BYTES, ircLine, parseIrc } from "../../src/protocol/irc.ts";
import { ircShared, privmsgLines, splitText } from "../../src/render/irc.ts";

describe("parseIrc", () => {
  test("command, parameters and trailing; case of the command; spaces", () => {
    expect(parseIrc("privmsg #dev :hello there")).toEqual({ command: "PRIVMSG", params: ["#dev", "hello there"] });
    expect(parseIrc("NICK  Sam")).toEqual({ command: "NICK", params: ["Sam"] });
    expect(parseIrc("PING :")).toEqual({ command: "PING", params: [""] });
    expect(parseIrc("")).toBeUndefined();
    expect(parseIrc("   ")).toBeUndefined();
  });

  test("tags (escaped values) and a source", () => {
    const m = parseIrc("@time=2026-01-01T00:00:00.000Z;+x=a\\sb\\:c;flag :Sam!s@h PRIVMSG #dev :hi");
    expect(m?.tags?.get("time")).toBe("2026-01-01T00:00:00.000Z");
    expect(m?.tags?.get("+x")).toBe("a b;c");
    expect(m?.tags?.get("flag")).toBe("");
    expect(m?.source).toBe("Sam!s@h");
    expect(m?.params).toEqual(["#dev", "hi"]);
    expect(parseIrc("@only-tags")).toBeUndefined();
  });

  test("past 15 parameters the rest is the last one", () => {
    const m = parseIrc(`CMD ${Array.from({ length: 20 }, (_, i) => `p${i}`).join(" ")}`);
    expect(m?.params.length).toBe(15);
    expect(m?.params[14]).toBe("p14 p15 p16 p17 p18 p19");
  });
});

describe("writing", () => {
  test("the last parameter is trailing when it must be (empty, spaces, a leading colon) or is asked to be", () => {
    expect(ircLine("srv", "001", ["Sam", "Welcome"])).toBe(":srv 001 Sam Welcome\r\n");
    expect(ircLine("srv", "001", ["Sam", "Welcome here"])).toBe(":srv 001 Sam :Welcome here\r\n");
    expect(ircLine(undefined, "PING", [""])).toBe("PING :\r\n");
    expect(ircLine(undefined, "X", [":a"])).toBe("X ::a\r\n");
    expect(ircLine("srv", "NOTICE", ["*", "hi"], true)).toBe(":srv NOTICE * :hi\r\n");
  });

  test("a long text is cut at character boundaries into lines of at most 512 bytes, the pieces making the whole", () => {
    const text = `${"é".repeat(300)}${"😀".repeat(200)}${"x".repeat(900)}`;
    const lines = privmsgLines("Sam", "#dev", text, false).split("\r\n").filter((l) => l !== "");
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) expect(Buffer.byteLength(`${line}\r\n`)).toBeLessThanOrEqual(IRC_LINE_BYTES);
    expect(lines.map((l) => l.slice(l.indexOf(" :") + 2)).join("")).toBe(text);
    expect(splitText("short", 100)).toEqual(["short"]);
  });

  test("a room's shared events as IRC, with the time tag when asked", () => {
    const ts = Date.UTC(2026, 0, 2, 3, 4, 5);
    expect(ircShared({ type: "public", id: 1, room: "#dev", from: "Sam", text: "hi", ts }, "irc")).toBe(":Sam!Sam@bunchat PRIVMSG #dev :hi\r\n");
    expect(ircShared({ type: "public", id: 2, room: "#dev", from: "Sam", text: "hi", ts, notice: true }, "irc-time")).toBe(
      "@time=2026-01-02T03:04:05.000Z :Sam!Sam@bunchat NOTICE #dev :hi\r\n",
    );
    expect(ircShared({ type: "action", id: 3, room: "#dev", from: "Sam", text: "waves", ts }, "irc")).toBe(":Sam!Sam@bunchat PRIVMSG #dev :\u0001ACTION waves\u0001\r\n");
    expect(ircShared({ type: "leave", room: "#dev", name: "Bo", reason: "parted", message: "bye", ts }, "irc")).toBe(":Bo!Bo@bunchat PART #dev :bye\r\n");
    expect(ircShared({ type: "leave", room: "#dev", name: "Bo", reason: "quit", ts }, "irc")).toBe(":Bo!Bo@bunchat QUIT :quit\r\n");
    expect(ircShared({ type: "joins", room: "#dev", names: ["A", "B"], count: 2, ts }, "irc")).toBe(":A!A@bunchat JOIN #dev\r\n:B!B@bunchat JOIN #dev\r\n");
    expect(ircShared({ type: "pong", token: "x" }, "irc")).toBe(""); // one client's, not shared
    // With message-tags, a line carries its id beside its time; a join has no id, so only the time.
    expect(ircShared({ type: "public", id: 42, room: "#dev", from: "Sam", text: "hi", ts }, "irc-tags")).toBe(
      "@time=2026-01-02T03:04:05.000Z;msgid=42 :Sam!Sam@bunchat PRIVMSG #dev :hi\r\n",
    );
    expect(ircShared({ type: "join", room: "#dev", name: "Bo", ts }, "irc-tags")).toBe("@time=2026-01-02T03:04:05.000Z :Bo!Bo@bunchat JOIN #dev\r\n");
  });
});
