import { describe, expect, test } from "bun:test";
import { checkName, checkRoom, foldName } from "../../src/protocol/names.ts";

describe("checkName", () => {
  test.each(["Sam", "eliya", "a", "x".repeat(24), "Bob_2", "Anne-Marie", "007", "a-"])("accepts %p", (name) => {
    expect(checkName(name)).toEqual({ ok: true, name });
  });

  test("trims surrounding white space", () => {
    expect(checkName("  Sam \t")).toEqual({ ok: true, name: "Sam" });
  });

  test.each([
    ["", /can't be empty/],
    ["   ", /can't be empty/],
    ["x".repeat(25), /at most 24 characters; that one has 25/],
    ["Sam Smith", /can't contain spaces/],
    ["bell\u0007", /control characters \(U\+0007\)/],
    ["esc\u001b[31m", /control characters \(U\+001B\)/],
    ["José", /non-ASCII characters such as "é" \(U\+00E9\)/],
    ["abc\u202edcba", /invisible or control characters \(U\+202E\)/],
    ["Sam!", /can't contain "!"/],
    ["_sam", /must start with a letter or a digit/],
    ["-sam", /must start with a letter or a digit/],
    ["/pm", /can't contain "\/"/],
    ["server", /reserved/],
    ["SERVER", /reserved/],
    ["Ser_ver", /reserved/],
    ["server2", /reserved/],
    ["System", /reserved/],
    ["admin", /reserved/],
    ["bunchat-bot", /reserved/],
    ["everyone", /reserved/],
    ["quit", /reserved/],
  ])("refuses %p", (name, reason) => {
    const result = checkName(name);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  test("names that differ only by case fold alike", () => {
    expect(foldName("SaM")).toBe(foldName("sam"));
    expect(foldName("Sam")).not.toBe(foldName("Sam2"));
  });

  test.each([
    ["AIice", "Alice"], // capital i for lower L
    ["A1ice", "alice"],
    ["B0b", "Bob"],
    ["Sarn", "Sam"], // rn for m
    ["vvendy", "Wendy"],
    ["CIaire", "claire"],
    ["cloe", "doe"], // cl for d
  ])("%p and %p look alike: one key", (a, b) => {
    expect(foldName(a)).toBe(foldName(b));
  });

  test.each([
    ["Sam", "Sam_"],
    ["Sam", "Sam2"],
    ["Ann", "Anna"],
    ["Bob", "Rob"],
    ["user5", "users"], // digits read as letters only where reserved names are concerned
    ["Al3x", "Alex"],
  ])("%p and %p look different: two keys", (a, b) => {
    expect(foldName(a)).not.toBe(foldName(b));
  });

  test.each([
    ["S3rver", "server"],
    ["Adm1n", "admin"],
    ["r00t", "root"],
    ["sys0p", "sysop"],
    ["sys7em", "system"],
    ["4dmin", "admin"],
    ["EVERY0NE", "everyone"],
  ])("%p is reserved, and the refusal says it looks like %p", (name, like) => {
    expect(checkName(name)).toEqual({
      ok: false,
      reason: `The name "${name}" is reserved (it looks like "${like}"): it could be mistaken for the server or for everyone.`,
    });
  });
});

describe("checkRoom", () => {
  test.each([
    ["#dev", "#dev"],
    [" #Dev ", "#dev"],
    ["dev", "#dev"], // /join dev, --default-room lobby: the "#" may be left out
    ["LOBBY", "#lobby"],
  ])("%p is %p", (input, name) => {
    expect(checkRoom(input)).toEqual({ ok: true, name });
  });
});
