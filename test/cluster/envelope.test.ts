// What nodes send each other, checked at the door: envelopes and users' records from Redis are
// read field by field, and sequence numbers tell a lost envelope from a repeated one. No Redis.

import { describe, expect, test } from "bun:test";
import {
  beatReply,
  clusterEvent,
  parseEnvelope,
  parseRecords,
  rejoinReply,
  ReplyError,
  Sequences,
  snapshotReply,
  timeReply,
} from "../../src/cluster/envelope.ts";

describe("envelopes", () => {
  test("a good envelope is read whole", () => {
    const text = JSON.stringify({
      n: "n1",
      b: "boot",
      s: 7,
      e: [
        { type: "join", room: "#dev", name: "Sam", ts: 1 },
        { type: "public", id: "1765000000000-12", room: "#dev", from: "Sam", text: "hi", ts: 2 },
        { type: "leave", room: "#dev", name: "Sam", reason: "parted", message: "bye", ts: 3 },
        { type: "quit", name: "Sam", reason: "quit", ts: 4 },
        { type: "pm", to: "Kim", node: "n2", event: { type: "private", id: "1765000000000-13", from: "Sam", text: "psst", ts: 5 } },
        { type: "pm", to: "Kim", node: "n2", event: { type: "invite", from: "Sam", room: "#dev", ts: 6 } },
        { type: "pm", to: "Kim", node: "n2", event: { type: "delete", room: "@Sam", id: "1765000000000-13", by: "Sam", of: "Sam", at: 5, ts: 7 } },
        { type: "pm", to: "Kim", node: "n2", event: { type: "edit", room: "@Sam", id: "1765000000000-13", text: "psst!", by: "Sam", of: "Sam", at: 5, ts: 8 } },
        { type: "undelivered", node: "n2", from: "Sam", to: "Kim", invite: true },
      ],
    });
    const parsed = parseEnvelope(text);
    expect(parsed).toEqual({ envelope: JSON.parse(text), dropped: 0 });
  });

  test.each([
    ["not JSON", "{nope", "an envelope that is not JSON (5 bytes)"],
    ["no node", JSON.stringify({ b: "x", s: 1, e: [] }), "an envelope without a node, boot and events (22 bytes)"],
    ["a node id that is not one", JSON.stringify({ n: "a b", b: "x", s: 1, e: [] }), "an envelope without a node, boot and events (32 bytes)"],
    ["no sequence", JSON.stringify({ n: "n1", b: "x", s: "1", e: [] }), "an envelope from n1 without a sequence number"],
  ])("refused whole: %s", (_, text, error) => {
    expect(parseEnvelope(text)).toEqual({ error });
  });

  test.each([
    ["an unknown type", { type: "explode" }],
    ["a name that breaks the rules", { type: "join", room: "#dev", name: "Sam Smith", ts: 1 }],
    ["a room that is not one", { type: "join", room: "dev", name: "Sam", ts: 1 }],
    ["an id that is not one", { type: "public", id: "1 2", room: "#dev", from: "Sam", text: "hi", ts: 1 }],
    ["a room not in lower case", { type: "public", id: "1765000000000-1", room: "#Dev", from: "Sam", text: "hi", ts: 1 }],
    ["text that is not text", { type: "public", id: "1765000000000-1", room: "#dev", from: "Sam", text: 42, ts: 1 }],
    ["a leave reason we don't know", { type: "quit", name: "Sam", reason: "vanished", ts: 1 }],
    ["a topic too long", { type: "topic", id: "1765000000000-1", room: "#dev", text: "x".repeat(301), by: "Sam", ts: 1 }],
    ["a pm that is not private", { type: "pm", to: "Kim", node: "n2", event: { type: "public", from: "Sam", text: "hi", ts: 1 } }],
    ["an invite to a room that is not one", { type: "pm", to: "Kim", node: "n2", event: { type: "invite", from: "Sam", room: "dev", ts: 1 } }],
    ["a room's delete in a pm (a room's changes go to every node)", { type: "pm", to: "Kim", node: "n2", event: { type: "delete", room: "#dev", id: 3, by: "Sam", of: "Sam", at: 1, ts: 2 } }],
    ["a conversation's delete relayed to every node", { type: "delete", room: "@Sam", id: 3, by: "Sam", of: "Sam", at: 1, ts: 2 }],
    ["a conversation's reaction in a pm", { type: "pm", to: "Kim", node: "n2", event: { type: "react", room: "@Sam", id: 3, emoji: "👍", from: "Sam", on: true, count: 1, of: "Sam", at: 1, excerpt: "x", ts: 2 } }],
    ["a time that is not a number", { type: "join", room: "#dev", name: "Sam", ts: "now" }],
  ] as [string, unknown][])("an event with %s is dropped and counted; the rest is applied", (_, bad) => {
    const good = { type: "join" as const, room: "#dev", name: "Sam", ts: 1 };
    const parsed = parseEnvelope(JSON.stringify({ n: "n1", b: "x", s: 1, e: [bad, good] }));
    expect(parsed).toEqual({ envelope: { n: "n1", b: "x", s: 1, e: [good] }, dropped: 1 });
  });

  test("fields nobody asked for are not carried in", () => {
    expect(clusterEvent({ type: "join", room: "#dev", name: "Sam", ts: 1, evil: "x" })).toEqual({
      type: "join",
      room: "#dev",
      name: "Sam",
      ts: 1,
    });
  });

  test("users' records: broken ones skipped; rooms and away checked", () => {
    const records = [
      JSON.stringify({ name: "Sam", away: "lunch", rooms: ["#lobby", "#dev", "nope", 3] }),
      "{broken",
      JSON.stringify({ name: "a b" }),
      JSON.stringify({ name: "Kim", away: 5 }),
      42,
    ];
    expect(parseRecords(records)).toEqual([
      { name: "Sam", away: "lunch", rooms: ["#lobby", "#dev"] },
      { name: "Kim" },
    ]);
    expect(parseRecords("not a list")).toEqual([]);
  });
});

describe("Sequences", () => {
  test("next, repeated, and a gap with how many were missed; a new boot starts afresh", () => {
    const seq = new Sequences();
    expect(seq.see("n1", "b1", 1, 0)).toEqual({ kind: "next" });
    expect(seq.see("n1", "b1", 2, 0)).toEqual({ kind: "next" });
    expect(seq.see("n1", "b1", 2, 0)).toEqual({ kind: "repeated" });
    expect(seq.see("n1", "b1", 6, 0)).toEqual({ kind: "gap", missed: 3 });
    expect(seq.see("n1", "b2", 1, 0)).toEqual({ kind: "next" }); // restarted
    seq.restart(); // after a catch-up: whatever comes next is taken as is
    expect(seq.see("n1", "b2", 9, 0)).toEqual({ kind: "next" });
  });

  test("when a node was last heard of, and forgetting it", () => {
    const seq = new Sequences();
    expect(seq.heardAt("n1")).toBeUndefined();
    seq.touch("n1", 5);
    seq.see("n1", "b", 1, 9);
    expect(seq.heardAt("n1")).toBe(9);
    seq.forget("n1");
    expect(seq.heardAt("n1")).toBeUndefined();
  });
});

describe("Redis's answers to our scripts", () => {
  test("read into typed values", () => {
    expect(snapshotReply([["n2", ['{"name":"Kim"}']]])).toEqual([["n2", ['{"name":"Kim"}']]]);
    expect(beatReply([1, ["sam"], [["n3", []]], ["n1", "n2"]])).toEqual({
      ours: true,
      lost: ["sam"],
      dead: [["n3", []]],
      live: ["n1", "n2"],
    });
    expect(rejoinReply(["busy"])).toEqual({ busy: true });
    expect(rejoinReply(["ok", [], []])).toEqual({ busy: false, lost: [], snapshot: [] });
    expect(timeReply(["1700000000", "250000"])).toBe(1_700_000_000_250);
  });

  test.each([
    ["a snapshot that is not a list", () => snapshotReply("nope")],
    ["a snapshot entry without a node", () => snapshotReply([[3, []]])],
    ["a heartbeat answer that is not one", () => beatReply(["1"])],
    ["a rejoin answer that is neither", () => rejoinReply(["maybe"])],
    ["a TIME answer that is not one", () => timeReply([1])],
  ])("%s is refused loudly", (_, read) => {
    expect(read).toThrow(ReplyError);
  });
});
