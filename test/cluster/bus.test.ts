// The bus behaviour suite (bus.case.ts), against the in-memory bus and against Redis.

import { MemoryNetwork } from "../../src/cluster/memory.ts";
import { testRedis } from "../helpers/redis.ts";
import { FAST_NODE, type TestServer, testServer } from "../helpers/server.ts";
import { busBehaviour, type MakeCluster } from "./bus.case.ts";

/** Short timeouts so a dead node is noticed in about a second. */

/** Nodes of one chat: `start(id)` starts node `id`, and `add` one more later. */
function cluster(start: (id: string) => Promise<TestServer>): MakeCluster {
  return async (count) => {
    let started = 0;
    const add = () => start(`n${++started}`);
    const nodes: TestServer[] = [];
    for (let i = 0; i < count; i++) nodes.push(await add());
    return { nodes, add };
  };
}

busBehaviour(
  "memory",
  async (count) => {
    const network = new MemoryNetwork();
    return cluster((nodeId) => testServer({ limits: { linesPerSecond: 0 }, memory: { network, nodeId } }))(count);
  },
);

busBehaviour("Redis", async (count) => {
  const redis = await testRedis();
  return cluster((nodeId) =>
    testServer({ limits: { linesPerSecond: 0 }, cluster: { url: redis.url, nodeId, ...FAST_NODE } }),
  )(count);
});
