// The store suites (test/store/stores.case.ts) against Redis, called through their interfaces: a
// node of its own (history is written by the node's turn script), and no server.

import { describe, expect, test } from "bun:test";
import { Cluster } from "../../src/cluster/cluster.ts";
import type { MessageId } from "../../src/protocol/events.ts";
import { Hub } from "../../src/core/hub.ts";
import { DEFAULT_RETENTION } from "../../src/store/history.ts";
import { RedisHistory } from "../../src/store/redis/history.ts";
import { RedisAccounts, RedisMarkers, RedisSessions } from "../../src/store/redis/records.ts";
import { afterEachTest } from "../helpers/cleanup.ts";
import { keepIn } from "../helpers/kept.ts";
import { testRedis } from "../helpers/redis.ts";
import { FAST_NODE } from "../helpers/server.ts";
import { accountStoreBehaviour, historyStoreBehaviour, markerStoreBehaviour, messageStoreBehaviour, conversationStoreBehaviour, sessionStoreBehaviour, settleBy } from "../store/stores.case.ts";

/** A node joined on a hub of its own, its history in Redis; stopped after the test. */
async function node() {
  const redis = await testRedis();
  const cluster = await Cluster.connect({ url: redis.url, nodeId: "store", log: () => {}, ...FAST_NODE });
  const history = new RedisHistory(cluster, DEFAULT_RETENTION);
  await cluster.join(new Hub({ clustered: true, bus: cluster, history }));
  afterEachTest(() => cluster.stop());
  return { cluster, history };
}

historyStoreBehaviour("Redis", async () => {
  const { history } = await node();
  return { store: history, settle: settleBy(history) };
});

messageStoreBehaviour("Redis", async () => {
  const { history } = await node();
  return { store: history, settle: settleBy(history) };
});
conversationStoreBehaviour("Redis", async () => {
  const { history } = await node();
  return { store: history, settle: settleBy(history) };
});

accountStoreBehaviour("Redis", async () => new RedisAccounts((await node()).cluster));

markerStoreBehaviour("Redis", async () => new RedisMarkers((await node()).cluster));

sessionStoreBehaviour("Redis", async () => new RedisSessions((await node()).cluster));

describe("Redis history: line ids", () => {
  test("two nodes give ids that never collide; each line is kept under its own, and read back with it", async () => {
    const redis = await testRedis();
    const nodes = await Promise.all(
      ["a", "b"].map(async (nodeId) => {
        const cluster = await Cluster.connect({ url: redis.url, nodeId, log: () => {}, ...FAST_NODE });
        const history = new RedisHistory(cluster, DEFAULT_RETENTION);
        await cluster.join(new Hub({ clustered: true, bus: cluster, history }));
        afterEachTest(() => cluster.stop());
        return history;
      }),
    );
    const [a, b] = nodes as [RedisHistory, RedisHistory];
    const ids = new Set<MessageId>();
    for (let i = 0; i < 50; i++) {
      for (const [store, name] of [[a, "Ana"], [b, "Bo"]] as const) ids.add(keepIn(store, { type: "public", room: "#dev", from: name, text: `${name} ${i}`, ts: i }).id);
    }
    expect(ids.size).toBe(100);
    await settleBy(a)("#dev", 100);
    const kept = await a.recent("#dev", 100);
    // Every line comes back with the id it was said with, whichever node said it, in the stream's order.
    expect(new Set(kept.map((k) => k.event.id))).toEqual(ids);
    expect(kept.filter((k) => k.event.text.startsWith("Ana")).map((k) => k.event.text)).toEqual(Array.from({ length: 50 }, (_, i) => `Ana ${i}`));
  });

  test("a line whose id would not come after its stream's newest (two nodes, one millisecond) is kept after it, with its own id", async () => {
    const { history } = await node();
    const later = { type: "public", id: `${Date.now() + 60_000}-5`, room: "#dev", from: "Bo", text: "from the future", ts: 1 } as const;
    history.keep(later);
    await settleBy(history)("#dev", 1);
    const behind = keepIn(history, { type: "public", room: "#dev", from: "Ana", text: "said at the same time", ts: 2 });
    await settleBy(history)("#dev", 2);
    const kept = await history.recent("#dev", 2);
    expect(kept.map((k) => [k.event.id, k.event.text])).toEqual([
      [later.id, "from the future"],
      [behind.id, "said at the same time"],
    ]);
    expect(kept[1]!.id).not.toBe(behind.id); // stored under the stream's next id
  });
});
