// Server admins (--admin) and /kick: only a registered admin who logged in may kick; everyone in
// the kicked user's rooms is told by whom and why, once; admins can't kick each other; across a
// cluster the user's own server puts them out.

import { describe, expect, test } from "bun:test";
import { loggedIn, memoryStore } from "../helpers/accounts.ts";
import { foldName } from "../../src/protocol/names.ts";
import { testRedis } from "../helpers/redis.ts";
import { until } from "../helpers/until.ts";
import { type TestServer, testNode, testServer } from "../helpers/server.ts";



describe("/kick", () => {
  test("a logged-in admin kicks: the user is told and closed, their rooms are told by whom and why, the log says who did it", async () => {
    const file = memoryStore();
    const t = await testServer({ history: file.history, accounts: file.accounts, admins: ["Sam"], limits: { linesPerSecond: 0 } });
    const sam = await loggedIn(t, "Sam");
    const [bo, cy] = [await t.join("Bo"), await t.join("Cy", "json")];
    for (const p of [bo, cy]) {
      p.send("/join #dev");
      if (p === cy) await p.event("room");
      else await p.seen(/^In #dev/);
    }
    sam.send("/kick bo spamming the channel");
    await bo.seen("! You were kicked from the server by Sam: spamming the channel.");
    await bo.closed();
    await sam.seen("-- Bo was kicked from the server.");
    await sam.seen("<-- Bo left the chat (kicked from the server by Sam: spamming the channel)");
    // Cy shared #lobby and #dev with Bo: told once, from the first.
    const leave = await cy.event("leave");
    expect([leave.room, leave.reason, leave.message]).toEqual(["#lobby", "kicked", "by Sam: spamming the channel"]);
    await cy.ping();
    expect(cy.log.lines.filter((l) => l.includes('"leave"'))).toHaveLength(1);
    expect(t.log).toContain("! Sam kicked Bo from the server: spamming the channel");
  });

  test("refused: not an admin, an admin's name not logged in, an admin as target, nobody by that name", async () => {
    const file = memoryStore();
    const t = await testServer({ history: file.history, accounts: file.accounts, admins: ["Sam", "Ana"], limits: { linesPerSecond: 0 } });
    const guestSam = await t.join("Sam"); // Sam is not registered yet: a guest, not the admin
    const bo = await t.join("Bo");
    guestSam.send("/kick Bo");
    await guestSam.seen(/^! Only a room.s operators \(and server admins\) can use \/kick\./);
    bo.send("/kick Sam");
    await bo.seen(/^! Only a room.s operators \(and server admins\) can use \/kick\./);
    guestSam.send("quit");
    await guestSam.closed();
    const sam = await loggedIn(t, "Sam");
    const ana = await loggedIn(t, "Ana");
    sam.send("/kick Ana");
    await sam.seen("! Ana is a server admin: admins can't kick each other.");
    sam.send("/kick Nobody");
    await sam.seen(/^! No user named "Nobody"/);
    sam.send("/kick");
    await sam.seen(/^! Say whom\./);
    await ana.ping(); // still here
  });

  test("in a cluster, an admin on one node kicks a user of another: their own server puts them out", async () => {
    const redis = await testRedis();
    const [a, b] = [await testNode(redis.url, "a", { admins: ["Sam"] }), await testNode(redis.url, "b", { admins: ["Sam"] })];
    const sam = await loggedIn(a, "Sam");
    const kim = await b.join("Kim");
    await until(() => a.server.hub.find("Kim") !== undefined); // node a has heard of Kim
    sam.send("/kick Kim too loud");
    await kim.seen("! You were kicked from the server by Sam: too loud.");
    await kim.closed();
    await sam.seen("<-- Kim left the chat (kicked from the server by Sam: too loud)");
    // A ban on one node holds on the other at once (Redis keeps it).
    sam.send("/ban Kim 1h");
    await sam.seen("-- Kim banned from the server for 1h.");
    const heard = async (t: TestServer, key: string, network?: string) =>
      ((await t.server.hub.rules.banList()) ?? []).some((ban) => ban.key === key && ban.network === network);
    await until(() => heard(b, foldName("Kim"))); // node b has heard of the ban (a bans event): a join there reads it
    const again = await b.connect();
    again.send("Kim");
    await again.seen(/^! You are banned from this server until .* \(by Sam\)\.$/);
    // A guest online on the other node: banned there with its network, which only that node sees.
    const bo = await b.join("Bo");
    await until(() => a.server.hub.find("Bo") !== undefined);
    sam.send("/ban Bo 1h");
    await bo.seen("! You were kicked from the server by Sam (banned for 1h).");
    await until(() => b.log.some((l) => l === "! the ban on Bo covers its network 127.0.0.0/24 too (it was online here)"));
    for (const t of [a, b]) await until(() => heard(t, foldName("Bo"), "127.0.0.0/24"));
    for (const t of [a, b]) {
      const other = await t.connect();
      other.send("Bob"); // a new name, the same network, either node
      await other.seen(/^! You are banned from this server until .* \(by Sam\)\.$/);
    }
  });
});

describe("/ban", () => {
  const setup = async () => {
    const file = memoryStore();
    const t = await testServer({
      history: file.history,
      accounts: file.accounts,
      bans: file.bans,
      admins: ["Sam"],
      limits: { linesPerSecond: 0, maxPerIp: 0 },
    });
    return { t, file, sam: await loggedIn(t, "Sam") };
  };

  test("a banned guest is put out, and refused again under a new name from the same network (a registered name from it logs in); /unban lifts it", async () => {
    const { t, sam } = await setup();
    (await loggedIn(t, "Ana")).send("quit");
    const bo = await t.join("Bo");
    sam.send("/ban Bo 2h spamming");
    await bo.seen("! You were kicked from the server by Sam (banned for 2h): spamming.");
    await bo.closed();
    await sam.seen("-- Bo and network 127.0.0.0/24 banned from the server for 2h.");
    const again = await t.connect();
    again.send("Bo2"); // a new name, the same network
    await again.seen(/^! You are banned from this server until \d{4}-\d\d-\d\d \d\d:\d\d UTC \(by Sam: spamming\)\.$/);
    await again.closed();
    const ana = await t.connect();
    ana.send("Ana"); // registered: the guest's network ban is not hers
    await ana.seen(/registered name\. Password/);
    ana.send("correct-horse");
    await ana.seen(/^Hi Ana, you are in/);
    sam.send("/bans");
    await sam.seen("-- Bans (1):");
    await sam.seen(/^-- {3}Bo \(and 127\.0\.0\.0\/24\) until .* UTC, by Sam: spamming$/);
    expect(t.log.some((l) => l.startsWith("! Sam banned Bo and network 127.0.0.0/24 for 2h: spamming"))).toBe(true);
    sam.send("/unban bo");
    await sam.seen("-- bo is no longer banned.");
    const back = await t.join("Bo");
    await back.ping();
  });

  test("a registered name is banned by its account (not its network), across a restart of the store; a lapsed ban lets in", async () => {
    const { t, file, sam } = await setup();
    const ana = await loggedIn(t, "Ana");
    sam.send("/ban Ana");
    await ana.seen("! You were kicked from the server by Sam (banned until /unban).");
    await sam.seen("-- Ana banned from the server until /unban.");
    const p = await t.connect();
    p.send("Ana");
    await p.seen(/^! You are banned from this server until an admin lifts it \(by Sam\)\.$/);
    const guest = await t.join("Cy"); // the same network: a registered user's ban does not cover it
    await guest.ping();
    expect(file.bans.list().map((b) => [b.name, b.network])).toEqual([["Ana", undefined]]);
    file.bans.put({ key: "zed", name: "Zed", by: "Sam", at: 0, until: Date.now() - 1 }); // lapsed
    const zed = await t.join("Zed");
    await zed.ping();
  });

  test("only admins ban; not each other, not themselves; a bad duration is read as the reason", async () => {
    const { t, sam } = await setup();
    const bo = await t.join("Bo");
    bo.send("/ban Sam");
    await bo.seen(/^! Only a room.s operators \(and server admins\) can use \/ban\./);
    bo.send("/bans");
    await bo.seen(/^! Only a room.s operators \(and server admins\) can use \/bans\./);
    sam.send("/ban Sam");
    await sam.seen(/^! You can't ban yourself\./);
    sam.send("/ban Bo forever rude");
    await bo.seen("! You were kicked from the server by Sam (banned until /unban): forever rude.");
  });
});
