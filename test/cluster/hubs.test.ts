// The hub-level Bus suite (hubs.case.ts) against the in-memory bus and against Redis: two hubs,
// each on its node, and no server.

import { Cluster } from "../../src/cluster/cluster.ts";
import { MemoryNetwork } from "../../src/cluster/memory.ts";
import { Hub } from "../../src/core/hub.ts";
import { afterEachTest } from "../helpers/cleanup.ts";
import { testRedis } from "../helpers/redis.ts";
import { FAST_NODE } from "../helpers/server.ts";
import { hubsBehaviour } from "./hubs.case.ts";

hubsBehaviour("memory", async () => {
  const network = new MemoryNetwork();
  const hub = async (id: string) => {
    const bus = network.node(id);
    const made = new Hub({ clustered: true, bus });
    await bus.join(made);
    return made;
  };
  return [await hub("a"), await hub("b")];
});

hubsBehaviour("Redis", async () => {
  const redis = await testRedis();
  const hub = async (id: string) => {
    const bus = await Cluster.connect({ url: redis.url, nodeId: id, log: () => {}, ...FAST_NODE });
    afterEachTest(() => bus.stop());
    const made = new Hub({ clustered: true, bus });
    await bus.join(made);
    return made;
  };
  return [await hub("a"), await hub("b")];
});
