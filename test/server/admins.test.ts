// Server admins (--admin): an admin name nobody registered yet is not whoever's registers it first.
// Only the setup code the server logged registers it; admin rights follow the account, on every
// node of a cluster, never a name alone.

import { describe, expect, test } from "bun:test";
import { loggedIn, memoryStore } from "../helpers/accounts.ts";
import { testRedis } from "../helpers/redis.ts";
import { until } from "../helpers/until.ts";
import { setupCodeIn, testNode, testServer } from "../helpers/server.ts";

const adminServer = async (admins: string[]) => {
  const file = memoryStore();
  return testServer({ history: file.history, accounts: file.accounts, tokens: file.tokens, admins, limits: { linesPerSecond: 0 } });
};

describe("an admin name not registered yet", () => {
  test("the log warns with a setup code for it (not for an admin name registered already)", async () => {
    const file = memoryStore();
    file.accounts.put("ana", { name: "Ana", hash: "x", created: 0 });
    const t = await testServer({ history: file.history, accounts: file.accounts, admins: ["Boss", "Ana"] });
    await until(() => setupCodeIn(t.log, "Boss") !== undefined);
    expect(setupCodeIn(t.log, "Boss")).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    expect(t.log.some((l) => l.includes("--admin Ana"))).toBe(false);
  });

  test("a guest who joins as it, or as a look-alike, can't register it, nor become admin; a wrong code is refused", async () => {
    const t = await adminServer(["Boss", "Chief"]);
    const code = await t.setupCode("Boss");
    const boss = await t.join("Boss");
    boss.send("/register correct-horse");
    await boss.seen(/^! Boss is a server admin's name \(--admin\): registering it needs the setup code the server printed in its log\./);
    boss.send("/register correct-horse AAAA-BBBB-CCCC");
    await boss.seen(/^! Boss is a server admin's name \(--admin\): registering it needs the right code:/);
    boss.send("/token new ci");
    await boss.seen(/^! Only server admins can use \/token/);
    const lookalike = await t.join("Ch1ef");
    lookalike.send("/register correct-horse");
    await lookalike.seen(/^! Ch1ef is a server admin's name/);
    lookalike.send(`/register correct-horse ${code}`); // Boss's code is not Chief's
    await lookalike.seen(/^! Ch1ef is a server admin's name \(--admin\): registering it needs the right code:/);
    lookalike.send("/whois Ch1ef");
    await lookalike.seen("-- Ch1ef is a guest, online.");
  });

  test("with the code it registers and is admin once logged in; the code is good once", async () => {
    const t = await adminServer(["Boss"]);
    const code = (await t.setupCode("Boss"))!;
    const boss = await t.join("Boss");
    boss.send(`/register correct-horse ${code.toLowerCase()}`);
    await boss.seen(/^-- Boss is registered/);
    boss.send("/token new ci");
    await boss.seen(/^-- Token \S+ for the bot ci/);
    boss.send("/unregister correct-horse");
    await boss.seen(/^-- Boss is no longer registered/);
    // Given up: a new code is logged, and the old one is spent.
    await until(() => setupCodeIn(t.log, "Boss") !== code);
    boss.send(`/register correct-horse ${code}`);
    await boss.seen(/^! Boss is a server admin's name \(--admin\): registering it needs the right code:/);
    boss.send(`/register correct-horse ${setupCodeIn(t.log, "Boss")}`);
    await boss.seen(/^-- Boss is registered/);
  });
});

describe("admins in a cluster", () => {
  test("a guest named like an admin on one node is no admin on another; the admin logged in is, everywhere", async () => {
    const redis = await testRedis();
    const [a, b] = [await testNode(redis.url, "a", { admins: ["Sam"] }), await testNode(redis.url, "b", { admins: ["Sam"] })];
    const guestSam = await b.join("Sam"); // not registered: a guest
    const kim = await a.join("Kim");
    await until(() => a.server.hub.find("Sam") !== undefined);
    kim.send("/whois Sam");
    await kim.seen(/^-- Sam is a guest/);
    expect(kim.log.all(/a server admin/)).toEqual([]);
    expect(a.server.hub.isAdmin(a.server.hub.find("Sam")!)).toBe(false);
    guestSam.send("quit");
    await guestSam.closed();
    await until(() => a.server.hub.find("Sam") === undefined);
    await loggedIn(b, "Sam");
    await until(() => a.server.hub.find("Sam")?.account === "sam");
    expect(a.server.hub.isAdmin(a.server.hub.find("Sam")!)).toBe(true);
    kim.send("/whois Sam");
    await kim.seen("   a server admin");
  });
});
