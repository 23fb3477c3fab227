import { describe, expect, test } from "bun:test";
import type { ServerEvent } from "../../src/protocol/events.ts";
import { Hub, type Member } from "../../src/server/hub.ts";
import { member } from "../helpers/member.ts";
import { foldName } from "../../src/protocol/names.ts";

const say = (from: string, text: string): ServerEvent => ({ type: "public", from, text, ts: 1 });

const hi: ServerEvent = { type: "public", from: "Sam", text: "hi", ts: 1 };

describe("Hub", () => {
  test("names are unique ignoring case", () => {
    const hub = new Hub();
    expect(hub.add(member("Sam"))).toBe(true);
    expect(hub.add(member("sAM"))).toBe(false);
    expect(hub.find("SAM")?.name).toBe("Sam");
    expect(hub.size).toBe(1);
  });

  test("names() is sorted case-insensitively", () => {
    const hub = new Hub();
    for (const n of ["bo", "Ana", "Sam", "eliya"]) hub.add(member(n));
    expect(hub.names()).toEqual(["Ana", "bo", "eliya", "Sam"]);
  });

  test("/users: everyone in a small room; a summary past 100; a prefix finds those it starts", () => {
    const hub = new Hub();
    const users = (prefix?: string) => hub.users(prefix).event;
    for (const n of ["bo", "Ana", "Sam", "samira"]) hub.add(member(n));
    hub.setAway(hub.find("Sam")!, "lunch");
    expect(users()).toEqual({
      type: "users",
      users: ["Ana", "bo", "Sam", "samira"],
      away: { Sam: "lunch" },
      count: 4,
      awayCount: 1,
    });
    expect(users("SA")).toEqual({
      type: "users",
      users: ["Sam", "samira"],
      away: { Sam: "lunch" },
      count: 2,
      prefix: "SA",
    });
    expect(users("x")).toEqual({ type: "users", users: [], count: 0, prefix: "x" });
    for (let i = 0; i < 300; i++) hub.add(member(`u${String(i).padStart(3, "0")}`));
    const big = users();
    if (big.type !== "users") throw new Error("not a users event");
    expect(big).toMatchObject({ count: 304, awayCount: 1 });
    expect(big.users).toHaveLength(100);
    expect(big.users.slice(0, 3)).toEqual(["Ana", "bo", "Sam"]);
    expect(users("u2")).toMatchObject({ count: 100, users: expect.arrayContaining(["u200", "u299"]) });
    expect(users("u29")).toMatchObject({ count: 10 });
  });

  test("/users without a prefix is encoded once per change, not once per request", () => {
    const hub = new Hub();
    const sam = member("Sam");
    hub.add(sam);
    const first = hub.users();
    expect(hub.users()).toBe(first);
    expect(hub.users().bytes("json")).toBe(first.bytes("json"));
    hub.setAway(sam, "lunch");
    const away = hub.users();
    expect(away).not.toBe(first);
    hub.add(member("Bo"));
    expect(hub.users()).not.toBe(away);
    expect(hub.users("s")).not.toBe(hub.users("s")); // searches are not kept
  });

  test("names() stays sorted through 2,000 random joins and leaves", () => {
    const hub = new Hub();
    const online = new Map<string, Member>();
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    const chars = "abcXYZ019_-";
    for (let i = 0; i < 2000; i++) {
      const name = Array.from({ length: 1 + rand(4) }, () => chars[rand(chars.length)]).join("");
      const key = foldName(name); // look-alikes ("0" and "o") are one name
      if (online.has(key) && rand(2) === 0) {
        expect(hub.remove(online.get(key)!)).toBe(true);
        online.delete(key);
      } else if (!online.has(key)) {
        const m = member(name);
        expect(hub.add(m)).toBe(true);
        online.set(key, m);
      }
    }
    const expected = [...online.values()]
      .map((m) => m.name)
      .sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
    expect(hub.names()).toEqual(expected);
    expect(hub.size).toBe(online.size);
  });

  test("remove is true once, and only for the member that holds the name", () => {
    const hub = new Hub();
    const sam = member("Sam");
    hub.add(sam);
    expect(hub.remove(member("Sam"))).toBe(false); // same name, different member
    expect(hub.remove(sam)).toBe(true);
    expect(hub.remove(sam)).toBe(false);
  });

  test("broadcast skips the sender and encodes once per mode", () => {
    const hub = new Hub();
    const sender = member("Sam");
    const texts = [member("A"), member("B"), member("C")];
    const jsons = [member("D", "json"), member("E", "json")];
    for (const m of [sender, ...texts, ...jsons]) hub.add(m);
    hub.broadcast(hi, sender);
    expect(texts[0]!.got).toEqual([]); // handed out when the turn ends
    hub.flushTurn();
    expect(sender.got).toEqual([]);
    for (const m of [...texts, ...jsons]) expect(m.got).toHaveLength(1);
    // Same buffer object for everyone in a mode: encoded once, not once per recipient.
    expect(new Set(texts.map((m) => m.got[0])).size).toBe(1);
    expect(new Set(jsons.map((m) => m.got[0])).size).toBe(1);
    expect(new TextDecoder().decode(texts[0]!.got[0])).toBe("Sam: hi\n");
    expect(JSON.parse(new TextDecoder().decode(jsons[0]!.got[0]))).toEqual(hi);
  });

  test("send reaches exactly one member", () => {
    const hub = new Hub();
    const [a, b] = [member("A"), member("B")];
    hub.add(a);
    hub.add(b);
    hub.send(b, hi);
    expect(a.got).toHaveLength(0);
    expect(b.got).toHaveLength(1);
  });

  test("a turn's broadcasts reach each member as one buffer, the same one for everyone in a mode", async () => {
    const hub = new Hub();
    const [a, b, c] = [member("A"), member("B"), member("C", "json")];
    for (const m of [a, b, c]) hub.add(m);
    for (let i = 0; i < 3; i++) hub.broadcast(say("X", `line ${i}`));
    await new Promise((resolve) => setImmediate(resolve)); // the end of the turn
    expect(a.got).toHaveLength(1);
    expect(b.got[0]).toBe(a.got[0]!);
    expect(a.text()).toBe("X: line 0\nX: line 1\nX: line 2\n");
    expect(
      c
        .text()
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).text),
    ).toEqual(["line 0", "line 1", "line 2"]);
  });

  test("senders in a turn get everyone's lines but their own, in order", () => {
    const hub = new Hub();
    const [a, b, c] = [member("A"), member("B"), member("C")];
    for (const m of [a, b, c]) hub.add(m);
    hub.broadcast(say("A", "1"), a);
    hub.broadcast(say("B", "2"), b);
    hub.broadcast(say("A", "3"), a);
    hub.flushTurn();
    expect(a.text()).toBe("B: 2\n");
    expect(b.text()).toBe("A: 1\nA: 3\n");
    expect(c.text()).toBe("A: 1\nB: 2\nA: 3\n");
  });

  test("a turn with lines beyond ASCII is cut for its senders at byte boundaries, in both modes", () => {
    const hub = new Hub();
    const [a, b, c, j] = [member("A"), member("B"), member("C"), member("J", "json")];
    for (const m of [a, b, c, j]) hub.add(m);
    hub.broadcast(say("A", "héllo 🎉"), a);
    hub.broadcast(say("B", "ça va"), b);
    hub.broadcast(say("A", "日本"), a);
    hub.flushTurn();
    expect(a.text()).toBe("B: ça va\n");
    expect(b.text()).toBe("A: héllo 🎉\nA: 日本\n");
    expect(c.text()).toBe("A: héllo 🎉\nB: ça va\nA: 日本\n");
    expect(j.lines().map((l) => JSON.parse(l).text)).toEqual(["héllo 🎉", "ça va", "日本"]);
  });

  test("joining mid-turn: only what was broadcast after; leaving mid-turn: only what was broadcast before", () => {
    const hub = new Hub();
    const [a, late, gone] = [member("A"), member("Late"), member("Gone")];
    hub.add(a);
    hub.add(gone);
    hub.broadcast(say("X", "before"));
    hub.add(late);
    hub.remove(gone);
    hub.broadcast(say("X", "after"));
    hub.flushTurn();
    expect(a.text()).toBe("X: before\nX: after\n");
    expect(late.text()).toBe("X: after\n");
    expect(gone.text()).toBe("X: before\n");
  });
});
