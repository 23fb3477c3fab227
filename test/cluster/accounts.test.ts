// Registered names in Redis, for a cluster: the shared suite (test/store/accounts.case.ts) against
// a node keeping them in Redis, and a name registered on one node owned on every other at once.

import { describe, expect, test } from "bun:test";
import { testRedis } from "../helpers/redis.ts";
import { until } from "../helpers/until.ts";
import { testNode } from "../helpers/server.ts";
import { loggedIn, logIn } from "../helpers/accounts.ts";
import { accountBehaviour } from "../store/accounts.case.ts";

const node = testNode;

accountBehaviour("Redis", async () => node((await testRedis()).url, "n1"));

describe("registered names in a cluster", () => {
  test("a name registered on one node asks its password on every other, at once", async () => {
    const redis = await testRedis();
    const [a, b] = [await node(redis.url, "a"), await node(redis.url, "b")];
    const sam = await a.join("Sam");
    sam.send("/register correct-horse");
    await sam.seen(/^-- Sam is registered/);
    sam.send("quit");
    await sam.closed();
    await until(() => b.server.hub.find("Sam") === undefined); // b has heard Sam left
    const p = await b.connect();
    p.send("Sam");
    await p.seen(/^Sam is a registered name\. Password/);
    p.send("correct-horse");
    await p.seen(/^Hi Sam, you are in\./);
    p.send("/whois Sam");
    await p.seen("-- Sam is a registered name, online.");
  });

  test("a registered name online on one node: another device of it on another node is piped there, and is one of its devices", async () => {
    const redis = await testRedis();
    const [a, b] = [await node(redis.url, "a"), await node(redis.url, "b")];
    const home = await loggedIn(a, "Sam", "json");
    await until(() => b.server.hub.find("Sam")?.account !== undefined); // b knows Sam is a registered user of a
    const kim = await b.join("Kim", "json");
    // Sam again, on b: asked his password by a (through the cluster), then welcomed as another device of his there.
    const away = await b.connect("json", "Sam on b");
    away.send("Sam");
    await away.event("ask-login");
    away.send("wrong-horse");
    expect(await away.event("error")).toMatchObject({ code: "login-failed" });
    away.send("correct-horse");
    const welcome = await away.event("welcome");
    expect(welcome).toMatchObject({ name: "Sam", rooms: ["#lobby"] });
    expect(a.server.hub.find("Sam")?.devices).toHaveLength(2);
    expect(b.server.hub.find("Sam")?.node).toBe("a"); // still a's user: one member, one join
    // What the piped device says reaches everyone, as Sam's; what is said reaches it; its other device sees it.
    away.send("from the other node");
    await kim.event("public", (e) => e.from === "Sam" && e.text === "from the other node");
    await home.event("public", (e) => e.text === "from the other node");
    kim.send("hello Sam on b");
    await away.event("public", (e) => e.text === "hello Sam on b");
    kim.send("/pm Sam a private word");
    await away.event("private", (e) => e.text === "a private word");
    await home.event("private", (e) => e.text === "a private word");
    // It leaves: only that device goes; nobody is told.
    away.send("/quit");
    await away.event("bye");
    await away.closed();
    await until(() => a.server.hub.find("Sam")?.devices.length === 1);
    await kim.ping();
    expect(kim.log.lines.filter((l) => l.includes('"leave"'))).toEqual([]);
  });

  test("a piped device whose connection drops leaves its home node; one whose home node stops is told so and closed", async () => {
    const redis = await testRedis();
    const [a, b] = [await node(redis.url, "a"), await node(redis.url, "b")];
    await loggedIn(a, "Sam", "json");
    await until(() => b.server.hub.find("Sam")?.account !== undefined);
    const away = await b.connect("json", "Sam on b");
    away.send("Sam");
    await away.event("ask-login");
    away.send("correct-horse");
    await away.event("welcome");
    away.close(); // the connection to b drops: a's session for it goes too
    await until(() => a.server.hub.find("Sam")?.devices.length === 1);
    const again = await b.connect("json", "Sam on b, again");
    again.send("Sam");
    await again.event("ask-login");
    again.send("correct-horse");
    await again.event("welcome");
    await a.server.shutdown(); // a stops: the piped device is told, as a's own are, and closed
    await again.event("shutdown");
    await again.closed();
  });

  test("a second device on the same node of a cluster: its name is its user's already (no claim to lose to itself)", async () => {
    const redis = await testRedis();
    const a = await node(redis.url, "a");
    await loggedIn(a, "Sam", "json");
    await logIn(a, "Sam", "json"); // welcomed (it waits for that), not refused as a name taken
    expect(a.server.hub.find("Sam")?.devices).toHaveLength(2);
  });

  test("an IRC client choosing a registered name online on another node is refused with the reason (IRC devices are not piped)", async () => {
    const redis = await testRedis();
    const a = await node(redis.url, "a");
    const b = await testNode(redis.url, "b", { irc: true });
    await loggedIn(a, "Sam", "json");
    await until(() => b.server.hub.find("Sam")?.account !== undefined);
    const irc = await b.ircConnect("Sam (IRC)");
    irc.send("NICK Sam\r\nUSER u 0 * :Sam");
    await irc.seen(/ 433 \* Sam :Sam is online on another server of this cluster: an IRC client connects to that one for another device of it\.$/);
  });

  test("typing reaches the room's users on the other node, and a person there privately", async () => {
    const redis = await testRedis();
    const [a, b] = [await node(redis.url, "a"), await node(redis.url, "b")];
    const ana = await a.join("Ana", "json");
    const bo = await b.join("Bo", "json");
    await until(() => a.server.hub.find("Bo") !== undefined);
    ana.send("/typing");
    expect(await bo.event("typing")).toMatchObject({ from: "Ana", state: "active", room: "#lobby" });
    ana.send("/typing Bo");
    expect(await bo.event("typing", (e) => e.room === undefined)).toMatchObject({ from: "Ana", state: "active" });
  });

  test("a message of several lines reaches the room on the other node whole, and a person there privately", async () => {
    const redis = await testRedis();
    const [a, b] = [await node(redis.url, "a"), await node(redis.url, "b")];
    const ana = await a.join("Ana", "json");
    const bo = await b.join("Bo", "json");
    const cy = await b.join("Cy");
    await until(() => a.server.hub.find("Cy") !== undefined);
    ana.send(JSON.stringify({ type: "line", text: "one\n  two" }));
    expect((await bo.event("public")).text).toBe("one\n  two");
    await cy.next("Ana: one");
    await cy.next("       two");
    ana.send(JSON.stringify({ type: "line", text: "/pm Bo three\nfour" }));
    expect((await bo.event("private")).text).toBe("three\nfour");
  });

  test("lines sent right behind a name wait for the join's Redis answers (bans and account, history, the claim), then are said", async () => {
    const redis = await testRedis();
    const a = await node(redis.url, "a");
    const kim = await a.join("Kim");
    const p = await a.connect();
    p.write("Sam\nfirst words\nsecond words\n"); // one packet: nothing waits for the welcome
    await p.seen(/^Hi Sam, you are in/);
    await kim.seen("Sam: first words");
    await kim.seen("Sam: second words");
    expect(p.log.lines.filter((l) => l.startsWith("!"))).toEqual([]); // not taken for names
  });
});
