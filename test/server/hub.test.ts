// The hub and its rooms with recording members: names, rooms and their bounds, and delivery
// (who gets what, in which view, in what order, encoded how many times).

import { describe, expect, test } from "bun:test";
import { Turns } from "../../src/core/turns.ts";
import type { ServerEvent } from "../../src/protocol/events.ts";
import { foldName } from "../../src/protocol/names.ts";
import { Hub, type HubOptions } from "../../src/core/hub.ts";
import type { Device, Member, Room } from "../../src/core/room.ts";
import { fakeClock } from "../helpers/clock.ts";
import { member, type RecordingMember } from "../helpers/member.ts";

/** A hub whose turns end when the test says so, each after a quiet spell (joins and leaves are told at once). */
function makeHub(options: HubOptions = {}) {
  const clock = fakeClock();
  const hub = new Hub({ turns: new Turns(() => {}), clock, ...options });
  /** Online, in the default room, its arrival not announced (it was there before the test looks). */
  const enter = (m: RecordingMember) => {
    expect(hub.add(m)).toBe(true);
    hub.join(m, hub.lobby, 1, false);
    return m;
  };
  const joinRoom = (m: Member, name: string): Room => {
    const result = hub.join(m, name, 1);
    if (!result.ok) throw new Error(result.error.message);
    return result.room;
  };
  const say = (from: RecordingMember, text: string, room = from.room!) =>
    hub.say(room, { type: "public", id: hub.nextId(), room: room.name, from: from.name, text, ts: 1 }, from, from);
  const turn = () => {
    clock.advance(1000);
    hub.turns.flushHeld();
  };
  return { hub, enter, joinRoom, say, turn };
}

const users = (encoded: { event: ServerEvent }) => encoded.event;

describe("Hub: names", () => {
  test("names are unique ignoring case and look-alikes", () => {
    const { hub } = makeHub();
    expect(hub.add(member("Sam"))).toBe(true);
    expect(hub.add(member("sAM"))).toBe(false);
    expect(hub.add(member("5am"))).toBe(true); // a 5 is not an S
    expect(hub.find("SAM")?.name).toBe("Sam");
    expect(hub.size).toBe(2);
  });

  test("names() stays sorted through 2,000 random joins and leaves", () => {
    const { hub } = makeHub();
    const online = new Map<string, Member>();
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    const chars = "abcXYZ019_-";
    for (let i = 0; i < 2000; i++) {
      const name = Array.from({ length: 1 + rand(4) }, () => chars[rand(chars.length)]).join("");
      const key = foldName(name); // look-alikes ("0" and "o") are one name
      if (online.has(key) && rand(2) === 0) {
        expect(hub.remove(online.get(key)!, "quit", 1)).toBe(true);
        online.delete(key);
      } else if (!online.has(key)) {
        const m = member(name);
        expect(hub.add(m)).toBe(true);
        hub.join(m, hub.lobby, 1);
        online.set(key, m);
      }
    }
    const expected = [...online.values()]
      .map((m) => m.name)
      .sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
    expect(hub.names()).toEqual(expected);
    expect(hub.room(hub.lobby)?.names.all()).toEqual(expected);
    expect(hub.size).toBe(online.size);
  });

  test("remove is true once, and only for the member that holds the name", () => {
    const { hub, enter } = makeHub();
    const sam = enter(member("Sam"));
    expect(hub.remove(member("Sam"), "quit", 1)).toBe(false); // same name, different member
    expect(hub.remove(sam, "quit", 1)).toBe(true);
    expect(hub.remove(sam, "quit", 1)).toBe(false);
  });

  test("a rename is told once to everyone who shares a room with the renamed, and to itself", () => {
    const { hub, enter, joinRoom, turn } = makeHub();
    const [sam, ana, bo, cy] = [member("Sam"), member("Ana"), member("Bo"), member("Cy")];
    enter(sam);
    enter(ana);
    hub.add(bo); // in no room at all
    hub.add(cy);
    joinRoom(cy, "#dev");
    joinRoom(sam, "#dev");
    joinRoom(ana, "#dev");
    turn();
    for (const m of [sam, ana, cy]) m.got.length = 0;
    expect(hub.rename(sam, "Samuel", 1)).toBe(true);
    expect(hub.rename(ana, "samuel", 1)).toBe(false);
    turn();
    for (const m of [sam, ana, cy]) expect(m.lines()).toEqual(["--- Sam is now known as Samuel"]);
    expect(bo.got).toEqual([]);
    expect(hub.find("samuel")).toBe(sam);
    expect(hub.room("#dev")?.names.all()).toEqual(["Ana", "Cy", "Samuel"]);
  });
});

describe("Hub: rooms", () => {
  test("/join makes a room and switches to it; /join of a room one is in switches back", () => {
    const { hub, enter } = makeHub();
    const sam = enter(member("Sam"));
    const dev = hub.join(sam, " #Dev ", 1);
    expect(dev).toMatchObject({ ok: true, joined: true });
    expect(sam.room?.name).toBe("#dev");
    expect(sam.rooms.map((r) => r.name)).toEqual(["#lobby", "#dev"]);
    expect(hub.join(sam, "#lobby", 1)).toMatchObject({ ok: true, joined: false });
    expect(sam.room?.name).toBe("#lobby");
    expect(hub.roomCount).toBe(2);
  });

  test.each([
    ["#", 'A room name needs at least one letter or digit after the "#".'],
    ["#a b", 'A room name may contain only letters a-z, digits, "_" and "-" after the "#"; it can\'t contain spaces.'],
    [`#${"x".repeat(33)}`, 'A room name can be at most 32 characters after the "#"; that one has 33.'],
    ["#dév", 'A room name may contain only letters a-z, digits, "_" and "-" after the "#"; it can\'t contain non-ASCII characters such as "é" (U+00E9).'],
  ])("a bad room name %p is refused with its reason", (name, reason) => {
    const { hub, enter } = makeHub();
    const sam = enter(member("Sam"));
    expect(hub.join(sam, name, 1)).toEqual({ ok: false, error: { type: "error", code: "room-invalid", message: reason } });
    expect(sam.rooms).toHaveLength(1);
  });

  test("a room that looks like another is refused, naming the one that exists", () => {
    const { hub, enter, joinRoom } = makeHub();
    const sam = enter(member("Sam"));
    joinRoom(sam, "#docs");
    const bo = enter(member("Bo"));
    expect(hub.join(bo, "#d0cs", 1)).toMatchObject({
      ok: false,
      error: { code: "room-invalid", message: "#d0cs looks too much like #docs; /join #docs to go there." },
    });
  });

  test("rooms per user and rooms in all are bounded; the default room is always there", () => {
    const { hub, enter, joinRoom } = makeHub({ maxRooms: 3, maxRoomsPerUser: 2 });
    const sam = enter(member("Sam"));
    joinRoom(sam, "#a");
    expect(hub.join(sam, "#b", 1)).toMatchObject({ ok: false, error: { code: "too-many-rooms" } });
    const bo = enter(member("Bo"));
    joinRoom(bo, "#b");
    const cy = enter(member("Cy"));
    expect(hub.join(cy, "#c", 1)).toMatchObject({
      ok: false,
      error: { code: "too-many-rooms", message: "The server has 3 rooms, the most it allows; join one of them." },
    });
    expect(hub.join(cy, "#a", 1)).toMatchObject({ ok: true });
    // Everyone left the default room: it can still be made again, past the bound.
    for (const m of [sam, bo, cy]) hub.part(m, hub.room("#lobby")!, undefined, 1);
    expect(hub.room("#lobby")).toBeUndefined();
    hub.part(cy, hub.room("#a")!, undefined, 1);
    const dee = member("Dee");
    hub.add(dee);
    joinRoom(dee, "#b");
    expect(hub.join(dee, "#lobby", 1)).toMatchObject({ ok: true, joined: true });
  });

  test("a user of another node joins past this node's bounds: its own node applied them", () => {
    const { hub, joinRoom } = makeHub({ maxRooms: 1, maxRoomsPerUser: 1 });
    const zed = Object.assign(member("Zed"), { node: "n2" });
    hub.add(zed);
    joinRoom(zed, "#a");
    joinRoom(zed, "#b");
    expect(zed.rooms.map((r) => r.name)).toEqual(["#a", "#b"]);
  });

  test("/part tells the room with the reason, moves the member's lines to its last room, and an empty room goes with its topic", () => {
    const { hub, enter, joinRoom, say, turn } = makeHub();
    const [sam, ana] = [enter(member("Sam")), enter(member("Ana"))];
    const dev = joinRoom(sam, "#dev");
    joinRoom(ana, "#dev");
    hub.setTopic(dev, "ship it", sam, 1);
    turn();
    sam.got.length = 0;
    ana.got.length = 0;
    expect(hub.part(ana, dev, "lunch", 1)).toBe(true);
    expect(hub.part(ana, dev, undefined, 1)).toBe(false);
    expect(ana.room?.name).toBe("#lobby");
    turn();
    expect(sam.lines()).toEqual(["<-- Ana left #dev: lunch"]);
    expect(ana.got).toEqual([]);
    say(sam, "anyone?");
    turn();
    expect(ana.got).toEqual([]);
    hub.part(sam, dev, undefined, 1);
    expect(hub.room("#dev")).toBeUndefined();
    expect(joinRoom(sam, "#dev").topic).toBeUndefined();
  });

  test("lines reach exactly the room's members: plain in the current room, tagged from another, JSON with the room", () => {
    const { hub, enter, joinRoom, say, turn } = makeHub();
    const [sam, here, away, json, outside] = [
      enter(member("Sam")),
      enter(member("Here")),
      enter(member("Away")),
      enter(member("Jo", "json")),
      enter(member("Out")),
    ];
    for (const m of [sam, here, away, json]) joinRoom(m, "#dev");
    hub.join(away, "#lobby", 1); // in #dev, talking in #lobby
    turn();
    for (const m of [sam, here, away, json, outside]) m.got.length = 0;
    say(sam, "hi");
    turn();
    expect(here.lines()).toEqual(["Sam: hi"]);
    expect(away.lines()).toEqual(["[#dev] Sam: hi"]);
    expect(JSON.parse(json.lines()[0]!)).toEqual({ type: "public", id: expect.any(Number), room: "#dev", from: "Sam", text: "hi", ts: 1 });
    expect(outside.got).toEqual([]);
    expect(sam.got).toEqual([]);
  });

  test("a member of two rooms gets both rooms' lines of a turn in the order they were said", () => {
    const { enter, joinRoom, say, turn } = makeHub();
    const [a, b, both] = [enter(member("A")), enter(member("B")), enter(member("Both"))];
    const dev = joinRoom(b, "#dev");
    joinRoom(both, "#dev");
    turn();
    both.got.length = 0;
    const lobby = a.room!;
    say(a, "1", lobby);
    say(b, "2", dev);
    say(a, "3", lobby);
    say(b, "4", dev);
    turn();
    expect(both.lines()).toEqual(["[#lobby] A: 1", "B: 2", "[#lobby] A: 3", "B: 4"]);
  });

  test("quit leaves every room, and is told once to each person who shared one, in the first they shared", () => {
    const { hub, enter, joinRoom, turn } = makeHub();
    const [sam, ana, bo] = [enter(member("Sam")), enter(member("Ana")), enter(member("Bo"))];
    joinRoom(sam, "#dev");
    joinRoom(ana, "#dev");
    joinRoom(sam, "#ops");
    hub.join(ana, "#lobby", 1);
    turn();
    ana.got.length = 0;
    bo.got.length = 0;
    hub.remove(sam, "quit", 1);
    turn();
    expect(ana.lines()).toEqual(["<-- Sam left the chat (quit)"]); // in #lobby and #dev with Sam: once
    expect(bo.lines()).toEqual(["<-- Sam left the chat (quit)"]);
    expect(hub.room("#ops")).toBeUndefined();
  });

  test("/rooms lists rooms by name with their counts and topics; a prefix finds some; past 100, a summary", () => {
    const { hub, enter, joinRoom } = makeHub();
    const sam = enter(member("Sam"));
    const dev = joinRoom(sam, "#dev");
    hub.setTopic(dev, "ship it", sam, 1);
    expect(hub.roomList(sam)).toEqual({
      type: "rooms",
      rooms: [
        { name: "#dev", count: 1, topic: "ship it" },
        { name: "#lobby", count: 1 },
      ],
      count: 2,
    });
    expect(hub.roomList(sam, "#d")).toMatchObject({ rooms: [{ name: "#dev" }], count: 1, prefix: "#d" });
    for (let i = 0; i < 120; i++) {
      const m = member(`u${i}`);
      hub.add(m);
      joinRoom(m, `#r${String(i).padStart(3, "0")}`);
    }
    const all = hub.roomList(sam);
    expect(all).toMatchObject({ count: 122 });
    expect(all.type === "rooms" && all.rooms).toHaveLength(100);
  });

  test("/users lists the room; /users * everyone online; away members are counted where they are", () => {
    const { hub, enter, joinRoom } = makeHub();
    const [sam, ana, bo] = [enter(member("Sam")), enter(member("Ana")), enter(member("Bo"))];
    joinRoom(sam, "#dev");
    joinRoom(ana, "#dev");
    hub.setAway(ana, "lunch");
    expect(users(hub.room("#dev")!.users())).toEqual({
      type: "users",
      room: "#dev",
      users: ["Ana", "Sam"],
      away: { Ana: "lunch" },
      count: 2,
      awayCount: 1,
    });
    expect(users({ event: hub.users(undefined).event })).toEqual({
      type: "users",
      users: ["Ana", "Bo", "Sam"],
      away: { Ana: "lunch" },
      count: 3,
      awayCount: 1,
    });
    expect(users({ event: hub.users(hub.room("#dev"), "s").event })).toMatchObject({ users: ["Sam"], prefix: "s" });
    hub.remove(bo, "quit", 1);
    expect(hub.users(undefined).event).toMatchObject({ count: 2 });
  });

  test("/users of a big room is a summary, encoded once per change, not once per request", () => {
    const { hub, enter } = makeHub();
    const sam = enter(member("Sam"));
    for (let i = 0; i < 300; i++) enter(member(`u${String(i).padStart(3, "0")}`));
    const lobby = hub.room(hub.lobby)!;
    const first = hub.users(lobby);
    expect(first.event).toMatchObject({ count: 301, awayCount: 0 });
    expect(first.event.type === "users" && first.event.users).toHaveLength(100);
    expect(hub.users(lobby)).toBe(first);
    expect(hub.users(lobby).bytes("json")).toBe(first.bytes("json"));
    hub.setAway(sam, "lunch");
    const away = hub.users(lobby);
    expect(away).not.toBe(first);
    expect(away.event).toMatchObject({ awayCount: 1 });
    enter(member("Bo"));
    expect(hub.users(lobby)).not.toBe(away);
    expect(hub.users(lobby, "u2")).not.toBe(hub.users(lobby, "u2")); // searches are not kept
    expect(hub.users(lobby, "u2").event).toMatchObject({ count: 100 });
  });
});

describe("Hub: delivery in a turn", () => {
  test("a line skips its sender and is encoded once per view", () => {
    const { enter, say, turn } = makeHub();
    const sender = enter(member("Sam"));
    const texts = [enter(member("A")), enter(member("B")), enter(member("C"))];
    const jsons = [enter(member("D", "json")), enter(member("E", "json"))];
    say(sender, "hi");
    expect(texts[0]!.got).toEqual([]); // handed out when the turn ends
    turn();
    expect(sender.got).toEqual([]);
    for (const m of [...texts, ...jsons]) expect(m.got).toHaveLength(1);
    // Same buffer object for everyone in a view: encoded once, not once per recipient.
    expect(new Set(texts.map((m) => m.got[0])).size).toBe(1);
    expect(new Set(jsons.map((m) => m.got[0])).size).toBe(1);
    expect(texts[0]!.text()).toBe("Sam: hi\n");
  });

  test("send reaches exactly one member", () => {
    const { hub, enter } = makeHub();
    const [a, b] = [enter(member("A")), enter(member("B"))];
    hub.send(b, { type: "private", id: "3", from: "A", text: "psst", ts: 1 });
    expect(a.got).toHaveLength(0);
    expect(b.lines()).toEqual(["[pm from A] psst"]);
  });

  test("a turn's lines reach each member as one buffer, the same one for everyone in a view", () => {
    const { enter, say, turn } = makeHub();
    const x = enter(member("X"));
    const [a, b, c] = [enter(member("A")), enter(member("B")), enter(member("C", "json"))];
    for (let i = 0; i < 3; i++) say(x, `line ${i}`);
    turn();
    expect(a.got).toHaveLength(1);
    expect(b.got[0]).toBe(a.got[0]!);
    expect(a.text()).toBe("X: line 0\nX: line 1\nX: line 2\n");
    expect(c.lines().map((l) => JSON.parse(l).text)).toEqual(["line 0", "line 1", "line 2"]);
  });

  test("senders in a turn get everyone's lines but their own, in order", () => {
    const { enter, say, turn } = makeHub();
    const [a, b, c] = [enter(member("A")), enter(member("B")), enter(member("C"))];
    say(a, "1");
    say(b, "2");
    say(a, "3");
    turn();
    expect(a.text()).toBe("B: 2\n");
    expect(b.text()).toBe("A: 1\nA: 3\n");
    expect(c.text()).toBe("A: 1\nB: 2\nA: 3\n");
  });

  test("a turn with lines beyond ASCII is cut for its senders at byte boundaries, in every view", () => {
    const { enter, say, turn } = makeHub();
    const [a, b, c, j] = [enter(member("A")), enter(member("B")), enter(member("C")), enter(member("J", "json"))];
    say(a, "héllo 🎉");
    say(b, "ça va");
    say(a, "日本");
    turn();
    expect(a.text()).toBe("B: ça va\n");
    expect(b.text()).toBe("A: héllo 🎉\nA: 日本\n");
    expect(c.text()).toBe("A: héllo 🎉\nB: ça va\nA: 日本\n");
    expect(j.lines().map((l) => JSON.parse(l).text)).toEqual(["héllo 🎉", "ça va", "日本"]);
  });

  test("joining mid-turn: only what was said after; leaving mid-turn: only what was said before", () => {
    const { hub, enter, say, turn } = makeHub();
    const [x, a, gone] = [enter(member("X")), enter(member("A")), enter(member("Gone"))];
    say(x, "before");
    const late = enter(member("Late"));
    hub.part(gone, gone.room!, undefined, 1);
    say(x, "after");
    turn();
    expect(a.lines()).toEqual(["X: before", "<-- Gone left #lobby", "X: after"]);
    expect(late.lines()).toEqual(["<-- Gone left #lobby", "X: after"]);
    expect(gone.lines()).toEqual(["X: before"]);
  });
});

describe("Hub: devices", () => {
  test("a device attached during a turn gets none of what its rooms said before it in that turn (it would come before its welcome)", () => {
    const { hub, enter, say, turn } = makeHub();
    const ana = enter(member("Ana"));
    const sam = enter(member("Sam"));
    turn();
    ana.got.length = 0;
    say(sam, "before the second device");
    // Another connection of Ana's, attached as a session attaches: with the sequence number of that moment.
    const second = Object.assign(member("Ana-device-2"), { attachedSeq: hub.turns.nextSeq() });
    second.room = ana.room;
    (ana.devices as Device[]).push(second);
    say(sam, "after it came");
    turn();
    expect(second.lines()).toEqual(["Sam: after it came"]);
    expect(ana.lines()).toEqual(["Sam: before the second device", "Sam: after it came"]);
  });
});

