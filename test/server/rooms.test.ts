// Rooms through real sockets, in both modes: what nc users and structured clients see when some
// use rooms, and every mistake answered to whoever made it, with nothing else changed.

import { describe, expect, test } from "bun:test";
import { testServer } from "../helpers/server.ts";

describe("rooms", () => {
  test("a line goes to the current room only; other rooms' lines carry their room; a plain user sees the lobby as always", async () => {
    const t = await testServer();
    const [sam, ana, bo, jo] = [await t.join("Sam"), await t.join("Ana"), await t.join("Bo"), await t.join("Jo", "json")];
    sam.send("/join #dev");
    await sam.next("--> You joined #dev; your lines go there now.");
    await sam.next("In #dev (1): Sam");
    ana.send("/join #dev");
    await ana.next("In #dev (2): Ana, Sam");
    await sam.next("--> Ana joined #dev"); // online already: she joined the room, not the chat
    jo.send("/join #Dev");
    expect(await jo.event("room")).toMatchObject({ room: "#dev", joined: true, count: 3 });
    jo.send("/join #lobby"); // back to the lobby, still in #dev
    expect(await jo.event("room")).toMatchObject({ room: "#lobby", joined: false });
    sam.send("ship it");
    await ana.next("Sam: ship it");
    expect(await jo.event("public")).toMatchObject({ room: "#dev", from: "Sam", text: "ship it" });
    bo.send("lunch?");
    await sam.next("[#lobby] Bo: lunch?");
    expect(await jo.event("public")).toMatchObject({ room: "#lobby", from: "Bo" });
    await bo.ping();
    expect(bo.log.lines.filter((l) => l.includes("ship it"))).toEqual([]);
    expect(bo.log.lines).toContain("--> Jo joined the chat"); // the lobby as it always read
    expect(t.log).toContain("[Broadcast message from Sam in #dev] ship it");
    expect(t.log).toContain("[Broadcast message from Bo] lunch?");
  });

  test("/invite: the invitee is told who asks and where, the inviter that it reached them, with their away reason", async () => {
    const t = await testServer({ limits: { linesPerSecond: 0 } });
    const [sam, kim, jo] = [await t.join("Sam"), await t.join("Kim"), await t.join("Jo", "json")];
    sam.send("/join #dev");
    await sam.next("In #dev (1): Sam");
    sam.send("/invite kim");
    await sam.next("-- You invited Kim to #dev.");
    await kim.seen("-- Sam invites you to #dev: /join #dev to go there.");
    jo.send("/away lunch");
    await jo.event("away");
    sam.send("/invite Jo #dev");
    expect(await jo.event("invite")).toMatchObject({ type: "invite", from: "Sam", room: "#dev" });
    await sam.next("-- You invited Jo to #dev.");
    await sam.next("Jo is away: lunch");
    kim.send("/join #dev"); // the invite is a way in, as any /join
    await sam.seen("--> Kim joined #dev");
    expect(t.log.join("\n")).not.toContain("invite"); // who invites whom is nobody else's business
  });

  test("/invite refuses what can't be: no name, someone offline, a room one is not in, someone in it already; an ignorer is not told", async () => {
    const t = await testServer({ limits: { linesPerSecond: 0 } });
    const [sam, kim] = [await t.join("Sam"), await t.join("Kim")];
    sam.send("/invite");
    await sam.next(/^! Say whom to invite\. Usage: \/invite <name> \[#room\]/);
    sam.send("/invite Ghost");
    await sam.next('! No user named "Ghost" is online. /users shows who is.');
    sam.send("/invite Kim #dev");
    await sam.next("! You are not in #dev: invite people to a room you are in.");
    sam.send("/invite Kim");
    await sam.next("! Kim is in #lobby already.");
    sam.send("/invite Sam");
    await sam.next("! You are in #lobby already.");
    kim.send("/ignore Sam");
    await kim.next(/^-- You ignore Sam/);
    sam.send("/join #dev");
    await sam.next("In #dev (1): Sam");
    sam.send("/invite Kim");
    await sam.next("-- You invited Kim to #dev."); // as for a private message, the sender is not told
    await kim.ping();
    expect(kim.log.all(/invites you/)).toEqual([]);
  });

  test("/part tells the room; quit leaves every room, told once to each person, however many rooms they shared", async () => {
    const t = await testServer();
    const [sam, ana] = [await t.join("Sam"), await t.join("Ana")];
    for (const p of [sam, ana]) {
      p.send("/join #dev");
      await p.next(/^In #dev/);
    }
    sam.send("/join #ops");
    await sam.next(/^In #ops/);
    sam.send("/part #ops done here");
    await sam.next("<-- You left #ops; your lines go to #dev now.");
    sam.send("/part");
    await sam.next("<-- You left #dev; your lines go to #lobby now.");
    await ana.next("<-- Sam left #dev");
    sam.send("/join #dev");
    await ana.next("--> Sam joined #dev");
    sam.send("quit");
    await ana.seen("<-- Sam left the chat (quit)");
    await ana.ping();
    expect(ana.log.all(/Sam left/)).toEqual(["<-- Sam left #dev", "<-- Sam left the chat (quit)"]); // in #lobby and #dev with Ana: once
  });

  test("/rooms, /topic and /users in a room; a joiner sees the topic; an empty room is gone with its topic", async () => {
    const t = await testServer();
    const [sam, ana] = [await t.join("Sam"), await t.join("Ana", "json")];
    sam.send("/join #dev");
    await sam.next(/^In #dev/);
    sam.send("/topic");
    await sam.next("-- #dev has no topic. /topic <text> sets one.");
    sam.send("/topic release \u001b[31mFriday");
    await sam.next("--- Sam set the topic: release Friday");
    ana.send("/join #dev");
    expect(await ana.event("room")).toMatchObject({ topic: { text: "release Friday", by: "Sam" } });
    ana.send("/rooms");
    expect(await ana.event("rooms")).toEqual({
      type: "rooms",
      rooms: [
        { name: "#dev", count: 2, topic: "release Friday" },
        { name: "#lobby", count: 2 },
      ],
      count: 2,
    });
    sam.send("/users");
    await sam.next("In #dev (2): Ana, Sam");
    sam.send("/users *");
    await sam.next("Online (2): Ana, Sam");
    ana.send("/topic -");
    expect(await ana.event("topic")).toMatchObject({ room: "#dev", text: "", by: "Ana" });
    sam.send("/topic back again");
    await sam.next(/set the topic: back again/);
    for (const p of [sam, ana]) p.send("/part #dev");
    await sam.next(/^<-- You left #dev/);
    await ana.event("parted");
    sam.send("/join #dev");
    await sam.next("In #dev (1): Sam");
    sam.send("/topic");
    await sam.next("-- #dev has no topic. /topic <text> sets one.");
  });

  test("--default-room: everyone starts there", async () => {
    const t = await testServer({ defaultRoom: "#general" });
    const [sam, jo] = [await t.join("Sam"), await t.join("Jo", "json")];
    sam.send("/users");
    await sam.next("In #general (2): Jo, Sam");
    jo.send("/rooms");
    expect(await jo.event("rooms")).toMatchObject({ rooms: [{ name: "#general", count: 2 }] });
  });
});

describe("rooms: bad input gets its reason, and nothing else changes", () => {
  test.each([
    ["/join", '! Say which room. Usage: /join <#room> [key]'],
    ["/join dev", "In #dev (1): Sam"], // the "#" may be left out
    ["/join #no way", "In #no (1): Sam"], // the name ends at the space, as in IRC
    ["/join #caf\u00e9", '! A room name may contain only letters a-z, digits, "_" and "-" after the "#"; it can\'t contain non-ASCII characters such as "é" (U+00E9).'],
    [`/join #${"x".repeat(40)}`, '! A room name can be at most 32 characters after the "#"; that one has 40.'],
    ["/part #nowhere", "! You are not in #nowhere."],
    ["/rooms #a!", "! Room names hold only a-z, 0-9, _ and - after the #, so none starts with that. Usage: /rooms [start of a name]"],
    [`/topic ${"t".repeat(301)}`, "! A topic can be at most 300 characters; that one has 301."],
  ])("%p", async (line, answer) => {
    const t = await testServer();
    const [sam, ana] = [await t.join("Sam"), await t.join("Ana")];
    sam.send(line);
    await sam.next(answer);
    await ana.ping();
    expect(ana.log.lines.filter((l) => l.includes("Sam") && !/joined|^Online/.test(l))).toEqual([]);
  });

  test("in no room: lines, /me and /topic are refused, /users lists everyone, /join gets back", async () => {
    const t = await testServer();
    const sam = await t.join("Sam");
    await t.join("Ana");
    sam.send("/part");
    await sam.next("<-- You left #lobby, and you are in no room now: /join a room to talk.");
    for (const line of ["hello?", "/me waves", "/topic x"]) {
      sam.send(line);
      await sam.next("! You are in no room, so that went nowhere: /join a room (/rooms lists them).");
    }
    sam.send("/part");
    await sam.next("! You are in no room, so there is none to leave: /join one (/rooms lists them)."); // its own words
    sam.send("/users");
    await sam.next("Online (2): Ana, Sam");
    sam.send("/join #lobby");
    await sam.next("In #lobby (2): Ana, Sam");
  });

  test("rooms per user and rooms in all are bounded", async () => {
    const t = await testServer({ limits: { maxRoomsPerUser: 3, maxRooms: 4 } });
    const [sam, ana] = [await t.join("Sam"), await t.join("Ana")];
    sam.send("/join #a");
    sam.send("/join #b");
    sam.send("/join #c");
    await sam.next("! You are in 3 rooms, the most there can be; /part one first.");
    ana.send("/join #c");
    await ana.next(/^In #c/);
    ana.send("/join #d");
    await ana.next("! The server has 4 rooms, the most it allows; join one of them.");
  });

  test("/join in a flood: the joins wait their turn, in order, and the flooder is told once", async () => {
    const t = await testServer({ limits: { burstLines: 5, linesPerSecond: 50 } });
    const sam = await t.join("Sam");
    sam.write(Array.from({ length: 20 }, (_, i) => `/join #r${i}\n`).join(""));
    await sam.next(/^! You are sending faster than 50 lines a second/);
    await sam.next("In #r19 (1): Sam", 5000);
    expect(sam.log.all(/^--> You joined #r\d+/).map((l) => l.match(/#r(\d+)/)![1])).toEqual(
      Array.from({ length: 20 }, (_, i) => String(i)),
    );
    expect(sam.log.all(/faster than/)).toHaveLength(1);
  });
});
