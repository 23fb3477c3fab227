// Registered names in Redis, for a cluster: the shared suite (test/store/accounts.case.ts) against
// a node keeping them in Redis, and a name registered on one node owned on every other at once.

import { describe, expect, test } from "bun:test";
import { testRedis } from "../helpers/redis.ts";
import { until } from "../helpers/until.ts";
import { testNode } from "../helpers/server.ts";
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

  test("a registered name online on one node: another device of it on another node is refused with the reason (devices share a server for now)", async () => {
    const redis = await testRedis();
    const [a, b] = [await node(redis.url, "a"), await node(redis.url, "b")];
    const sam = await a.join("Sam");
    sam.send("/register correct-horse");
    await sam.seen(/^-- Sam is registered/);
    await until(() => b.server.hub.find("Sam")?.account !== undefined); // b knows Sam is a registered user of a
    const p = await b.connect();
    p.send("Sam");
    await p.seen(/^! Sam is online on another server of this cluster: connect to that one for another device of it/);
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
