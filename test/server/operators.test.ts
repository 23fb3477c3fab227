// Room operators: the registered user who makes a room owns it; the owner (and admins) make
// operators; operators /kick from the room, /mute in it and lock its topic; nobody acts on an
// admin, nobody ops a guest; roles outlive the room and reach every node of a cluster.

import { describe, expect, test } from "bun:test";
import type { Peer } from "../helpers/peer.ts";
import { loggedIn, memoryStore } from "../helpers/accounts.ts";
import { foldName } from "../../src/protocol/names.ts";
import { testRedis } from "../helpers/redis.ts";
import { until } from "../helpers/until.ts";
import { type TestServer, testNode, testServer } from "../helpers/server.ts";


async function server(admins: string[] = []) {
  const file = memoryStore();
  return testServer({
    history: file.history,
    accounts: file.accounts,
    bans: file.bans,
    roomStore: file.roomStore,
    admins,
    limits: { linesPerSecond: 0 },
  });
}

async function into(p: Peer, room: string) {
  p.send(`/join ${room}`);
  await p.seen(new RegExp(`^In ${room}`));
}

describe("room operators", () => {
  test("the owner ops a registered member; operators mute (told once, lines go nowhere, no /nick out of it) and unmute", async () => {
    const t = await server();
    const sam = await loggedIn(t, "Sam");
    const ana = await loggedIn(t, "Ana");
    const bo = await t.join("Bo");
    for (const p of [sam, ana, bo]) await into(p, "#dev"); // Sam made it: Sam owns it
    sam.send("/op Bo");
    await sam.seen("! Bo is a guest: only registered names can be operators of a room a registered user owns.");
    sam.send("/op Ana");
    await bo.seen("-- Sam made Ana an operator of #dev.");
    bo.send("/whois Ana");
    await bo.seen("   operator of #dev");
    ana.send("/mute Bo 10m");
    await bo.seen("-- Ana muted Bo in #dev for 10m.");
    bo.send("can anyone hear me");
    await bo.next(/^! You are muted in #dev \(until \d{4}-\d\d-\d\d \d\d:\d\d UTC\): that was not sent\.$/); // each time, not only once
    bo.send("/me shouts");
    await bo.next(/^! You are muted in #dev \(until .* UTC\): that was not sent\.$/);
    bo.send("/nick Bo2");
    await bo.seen("! You are muted in #dev: you can't change your name meanwhile.");
    await sam.ping();
    expect(sam.log.lines.filter((l) => l.includes("hear me") || l.includes("shouts"))).toEqual([]);
    expect(t.log.filter((l) => l.includes("hear me") || l.includes("shouts"))).toEqual([]); // nobody heard it: not logged as said
    ana.send("/unmute bo");
    await bo.seen("-- Ana unmuted bo in #dev.");
    bo.send("back");
    await sam.seen("Bo: back");
  });

  test("an operator kicks from the room only; nobody acts on an admin; non-operators are refused", async () => {
    const t = await server(["Zed"]);
    const sam = await loggedIn(t, "Sam");
    const zed = await loggedIn(t, "Zed");
    const bo = await t.join("Bo");
    for (const p of [sam, zed, bo]) await into(p, "#dev");
    bo.send("/kick Sam");
    await bo.seen("! Only a room's operators (and server admins) can use /kick.");
    bo.send("/mute Sam");
    await bo.seen("! Only a room's operators (and server admins) can use /mute.");
    sam.send("/mute Zed");
    await sam.seen("! Zed is a server admin: operators can't act on admins.");
    sam.send("/kick Bo rude");
    await bo.seen("<-- You left #dev; your lines go to #lobby now.");
    await bo.seen("-- You were kicked from #dev by Sam: rude.");
    await zed.seen("<-- Bo left #dev (kicked by Sam: rude)");
    bo.send("/ping still-online");
    await bo.seen("pong still-online"); // still in the chat
  });

  test("an operator locks the topic; roles outlive the room", async () => {
    const t = await server();
    const sam = await loggedIn(t, "Sam");
    const bo = await t.join("Bo");
    for (const p of [sam, bo]) await into(p, "#dev");
    sam.send("/topic lock");
    await bo.seen("-- Sam locked the topic of #dev: only operators may set it.");
    expect(t.log).toContain("! Sam locked the topic of #dev: only operators may set it."); // who did it, in the server's log
    bo.send("/topic mine now");
    await bo.seen("! The topic of #dev is locked: only its operators may set it.");
    for (const p of [sam, bo]) {
      p.send("/part #dev");
      await p.seen(/^<-- You left #dev/);
    }
    await into(bo, "#dev"); // made again, by a guest: still Sam's, still locked
    bo.send("/topic mine now");
    await bo.seen("! The topic of #dev is locked: only its operators may set it.");
  });

  test("in a cluster, roles set on one node hold on the other (changes made on both at once too), and an operator's kick reaches a user of another node", async () => {
    const redis = await testRedis();
    const [a, b] = [await testNode(redis.url, "a"), await testNode(redis.url, "b")];
    const sam = await loggedIn(a, "Sam");
    await into(sam, "#dev");
    const ana = await loggedIn(b, "Ana");
    await into(ana, "#dev");
    const inDev = (t: TestServer, name: string) => {
      const [room, member] = [t.server.hub.room("#dev"), t.server.hub.find(name)];
      return room !== undefined && member !== undefined && room.has(member);
    };
    await until(() => inDev(a, "Ana"));
    sam.send("/op Ana");
    await ana.seen("-- Sam made Ana an operator of #dev.");
    const [x, y] = [await a.join("Xi"), await b.join("Yu")];
    for (const p of [x, y]) await into(p, "#dev");
    await until(() => inDev(a, "Yu") && inDev(b, "Xi"));
    sam.send("/mute Yu"); // both at once: neither overwrites the other's
    ana.send("/mute Xi");
    for (const t of [a, b]) await until(() => Object.keys(t.server.hub.room("#dev")!.roles.muted).sort().join() === [foldName("Xi"), foldName("Yu")].sort().join());
    expect(a.server.hub.room("#dev")!.roles).toEqual(b.server.hub.room("#dev")!.roles);
    const kim = await b.join("Kim");
    await into(kim, "#dev");
    await until(() => inDev(a, "Kim"));
    sam.send("/mute Kim");
    await kim.seen("-- Sam muted Kim in #dev until /unmute.");
    kim.send("hello?");
    await kim.next("! You are muted in #dev (until an operator lifts it): that was not sent.");
    sam.send("/kick Kim");
    await kim.seen("-- You were kicked from #dev by Sam.");
    await sam.seen("<-- Kim left #dev (kicked by Sam)");
    expect(sam.log.lines.filter((l) => l.includes("hello?"))).toEqual([]);
  });

  test("in a cluster, an operator's ban of a guest of another node covers the guest's network, which that node sees", async () => {
    const redis = await testRedis();
    const [a, b] = [await testNode(redis.url, "a"), await testNode(redis.url, "b")];
    const sam = await loggedIn(a, "Sam");
    await into(sam, "#dev");
    const bo = await b.join("Bo");
    await into(bo, "#dev");
    await until(() => a.server.hub.room("#dev")?.has(a.server.hub.find("Bo")!) === true);
    sam.send("/ban Bo 1h");
    await bo.seen("-- You were kicked from #dev by Sam (banned for 1h).");
    for (const t of [a, b]) await until(() => t.server.hub.room("#dev")?.roles.networks?.[foldName("Bo")] === "127.0.0.0/24");
    for (const t of [a, b]) {
      const bob = await t.join(`Bob${t === a ? "a" : "b"}`); // a new name from the same network, either node
      bob.send("/join #dev");
      await bob.seen("! You are banned from #dev by its operators.");
    }
  });
});

test("the default room has no owner: the first registered user in it can't /op or /mute there", async () => {
  const t = await server();
  const sam = await loggedIn(t, "Sam");
  await t.join("Bo");
  sam.send("/mute Bo");
  await sam.seen("! Only a room's operators (and server admins) can use /mute.");
  sam.send("/op Bo");
  await sam.seen("! Only a room's owner (and server admins) can use /op.");
});

test("an operator bans from the room: put out of it, refused on /join (a guest under a new name from its network too), listed; /unban lets back in", async () => {
  const t = await server();
  const sam = await loggedIn(t, "Sam");
  const ana = await loggedIn(t, "Ana");
  const bo = await t.join("Bo");
  for (const p of [sam, bo]) await into(p, "#dev");
  sam.send("/ban Bo 1h flooding");
  await bo.seen("-- Sam banned Bo (and network 127.0.0.0/24) from #dev for 1h: flooding.");
  await bo.seen("-- You were kicked from #dev by Sam (banned for 1h): flooding.");
  bo.send("/join #dev");
  await bo.seen("! You are banned from #dev by its operators.");
  const bob = await t.join("Bob"); // the same network, a new name
  bob.send("/join #dev");
  await bob.seen("! You are banned from #dev by its operators.");
  await into(ana, "#dev"); // registered: judged by her name alone
  sam.send("/bans");
  await sam.seen("-- Banned from #dev (1):");
  await sam.seen(/^-- {3}Bo \(and 127\.0\.0\.0\/24\) until .* UTC$/);
  bo.send("still in the lobby");
  sam.send("/unban Bo");
  await sam.seen("-- Sam lifted the ban on Bo in #dev.");
  await into(bo, "#dev");
  await into(bob, "#dev");
});

test("a guest who makes a room runs it while in it (as on IRC), not once gone, and never a registered owner's room", async () => {
  const t = await server();
  const [bo, kim] = [await t.join("Bo"), await t.join("Kim")];
  await into(bo, "#games"); // made by Bo, a guest
  await into(kim, "#games");
  bo.send("/whois Bo");
  await bo.seen("   operator of #games");
  bo.send("/kick Kim noisy");
  await kim.seen("-- You were kicked from #games by Bo: noisy.");
  await into(kim, "#games");
  bo.send("/part #games");
  await bo.seen(/^<-- You left #games/);
  await into(bo, "#games"); // back, but the room was not made by Bo this time
  bo.send("/kick Kim");
  await bo.seen("! Only a room's operators (and server admins) can use /kick.");
  const sam = await loggedIn(t, "Sam");
  await into(sam, "#dev"); // Sam's, kept
  sam.send("/part #dev");
  await sam.seen(/^<-- You left #dev/);
  await into(bo, "#dev"); // Bo makes it again, but Sam owns it
  await into(kim, "#dev");
  bo.send("/kick Kim");
  await bo.seen("! Only a room's operators (and server admins) can use /kick.");
});
