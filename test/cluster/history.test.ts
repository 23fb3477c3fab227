// History in Redis Streams, for a cluster: the shared history suite (test/store/history.case.ts)
// against a node keeping it in Redis, and what only a cluster has: every node replays the same
// lines, those said on other nodes and while a node was down; guests' private messages never in
// Redis, registered users' conversations kept there, changed across nodes, caught up on any node.

import { describe, expect, test } from "bun:test";
import { DEFAULT_RETENTION } from "../../src/store/history.ts";
import { testRedis } from "../helpers/redis.ts";
import { loggedIn, logIn } from "../helpers/accounts.ts";
import type { TestServer } from "../helpers/server.ts";
import { until } from "../helpers/until.ts";
import { testNode } from "../helpers/server.ts";
import { historyBehaviour } from "../store/history.case.ts";

function node(url: string, nodeId: string, replayOnJoin?: number, retention = DEFAULT_RETENTION, flood = false) {
  return testNode(url, nodeId, { redisHistory: retention, replayOnJoin, ...(flood ? { limits: {} } : {}) });
}

/** `name` registers on `t`, and leaves. */
async function register(t: TestServer, name: string): Promise<void> {
  const p = await loggedIn(t, name, "json");
  p.send("quit");
  await p.closed();
}

historyBehaviour("Redis Streams", async (replayOnJoin, flood) => node((await testRedis()).url, "n1", replayOnJoin, DEFAULT_RETENTION, flood));

describe("history in a cluster", () => {
  test("every node replays the same lines: those said on the others, and while it was down", async () => {
    const redis = await testRedis();
    const a = await node(redis.url, "a");
    const sam = await a.join("Sam");
    sam.send("said on a, before b was up");
    await sam.ping();
    const b = await node(redis.url, "b");
    const kim = await b.join("Kim");
    await kim.seen("--- 1 earlier line in #lobby ---");
    await kim.next(/Sam: said on a, before b was up$/);
    kim.send("said on b");
    await sam.seen("Kim: said on b");
    kim.send("quit");
    await b.server.shutdown(); // b is down…
    sam.send("said while b was down");
    await sam.ping();
    const b2 = await node(redis.url, "b"); // …and back
    const lee = await b2.join("Lee", "json");
    expect((await lee.event("history")).events.map((e) => e.text)).toEqual([
      "said on a, before b was up",
      "said on b",
      "said while b was down",
    ]);
    const ana = await a.join("Ana", "json"); // the same on a
    expect((await ana.event("history")).events.map((e) => e.text)).toEqual([
      "said on a, before b was up",
      "said on b",
      "said while b was down",
    ]);
    lee.send("/search said");
    expect((await lee.event("search")).events.map((e) => e.text)).toEqual([
      "said while b was down",
      "said on b",
      "said on a, before b was up",
    ]);
  });

  test("a conversation between registered names on two nodes: kept in Redis, a delete reaches the other node, what came while away is shown on either node", async () => {
    const redis = await testRedis();
    const [a, b] = [await node(redis.url, "a"), await node(redis.url, "b")];
    await register(a, "Ana");
    await register(b, "Sam");
    const ana = await logIn(a, "Ana", "json");
    const sam = await logIn(b, "Sam", "json");
    await until(() => a.server.hub.find("Sam") !== undefined);
    ana.send("/pm Sam across the nodes");
    const sent = await ana.event("private-sent");
    await sam.event("private", (e) => e.text === "across the nodes");
    expect(JSON.stringify(await redis.command("XRANGE", "bunchat:history:@ana sam", "-", "+"))).toContain("across the nodes");
    ana.send(`/delete ${sent.id}`);
    expect(await sam.event("delete")).toMatchObject({ room: "@Ana", id: sent.id, by: "Ana" }); // through the "pm" envelope, to b
    expect(JSON.stringify(await redis.command("XRANGE", "bunchat:history:@ana sam", "-", "+"))).not.toContain("across the nodes");
    sam.send("quit");
    await sam.closed();
    await until(() => a.server.hub.find("Sam") === undefined);
    ana.send("/pm Sam for when you are back");
    await ana.event("notice"); // kept for him
    const back = await logIn(a, "Sam", "json"); // on the other node this time
    expect((await back.event("history", (e) => e.room === "@Ana")).events).toEqual([expect.objectContaining({ type: "private", from: "Ana", text: "for when you are back" })]);
  });

  test("a topic set on one node is shown to joiners on another that had nobody in the room", async () => {
    const redis = await testRedis();
    const [a, b] = [await node(redis.url, "a"), await node(redis.url, "b")];
    const sam = await a.join("Sam");
    sam.send("/join #dev");
    await sam.next(/^In #dev/);
    sam.send("/topic ship on friday");
    await sam.ping();
    const kim = await b.join("Kim");
    kim.send("/join #dev");
    await kim.seen("Topic: ship on friday (set by Sam)");
  });

  test("streams are trimmed to --history-lines; a guest's private messages are never in Redis", async () => {
    const redis = await testRedis();
    const a = await node(redis.url, "a", 20, { linesPerRoom: 100, days: 0 });
    const [sam, ana] = [await a.join("Sam"), await a.join("Ana")];
    for (let i = 0; i < 400; i++) sam.send(`line ${i}`);
    sam.send("/pm Ana zebra-quokka-secret");
    await ana.seen("[pm from Sam] zebra-quokka-secret");
    const length = Number(await redis.command("XLEN", "bunchat:history:#lobby"));
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThan(400); // MAXLEN ~ trims whole nodes of the stream: about 100
    const keys = (await redis.command("KEYS", "*")) as string[];
    let everything = "";
    for (const key of keys) {
      const type = await redis.command("TYPE", key);
      const value =
        type === "stream"
          ? await redis.command("XRANGE", key, "-", "+")
          : type === "hash"
            ? await redis.command("HGETALL", key)
            : type === "set"
              ? await redis.command("SMEMBERS", key)
              : await redis.command("GET", key);
      everything += JSON.stringify(value);
    }
    expect(everything).toContain("line 399"); // the dump works…
    expect(everything).not.toContain("zebra-quokka-secret"); // …and holds no private message
  });
});
