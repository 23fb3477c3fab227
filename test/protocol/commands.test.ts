import { describe, expect, test } from "bun:test";
import { COMMANDS, lookupCommand, parseInput, splitFirst, suggestCommand } from "../../src/protocol/commands.ts";

describe("parseInput", () => {
  test.each([
    ["hello world", { kind: "text", text: "hello world" }],
    ["  padded  ", { kind: "text", text: "padded" }],
    ["", { kind: "empty" }],
    [" \t ", { kind: "empty" }],
    ["quit", { kind: "command", word: "quit", args: "" }],
    ["QUIT", { kind: "command", word: "quit", args: "" }],
    ["quit now", { kind: "text", text: "quit now" }],
    ["/quit", { kind: "command", word: "quit", args: "" }],
    ["/pm Sam Hello there!", { kind: "command", word: "pm", args: "Sam Hello there!" }],
    ["/pm   Sam   spaced  ", { kind: "command", word: "pm", args: "Sam   spaced" }],
    ["/users", { kind: "command", word: "users", args: "" }],
    ["/", { kind: "command", word: "", args: "" }],
    ["//shrug", { kind: "text", text: "/shrug" }],
    ["// two", { kind: "text", text: "/ two" }],
    ["a /pm b", { kind: "text", text: "a /pm b" }],
  ] as const)("%p", (line, expected) => {
    expect(parseInput(line)).toEqual(expected);
  });
});

describe("commands table", () => {
  test("every command and alias resolves, case-insensitively", () => {
    for (const c of COMMANDS) {
      expect(lookupCommand(c.name)).toBe(c.name);
      expect(lookupCommand(c.name.toUpperCase())).toBe(c.name);
      for (const a of c.aliases) expect(lookupCommand(a)).toBe(c.name);
    }
    expect(lookupCommand("nope")).toBeUndefined();
  });

  test.each([
    ["pmm", "/pm"],
    ["user", "/users"],
    ["hepl", "/help"],
    ["qiut", "/quit"],
    ["xyzzy", undefined],
    ["foo", undefined],
  ])("suggests for /%s: %p", (word, hint) => {
    expect(suggestCommand(word)).toBe(hint);
  });

  test("splitFirst", () => {
    expect(splitFirst("Sam hi  there")).toEqual(["Sam", "hi  there"]);
    expect(splitFirst("Sam")).toEqual(["Sam", ""]);
    expect(splitFirst("")).toEqual(["", ""]);
  });
});
