// The store suites (test/store/stores.case.ts) against Redis, called through their interfaces: a
// node of its own (history is written by the node's turn script), and no server.

import { Cluster } from "../../src/cluster/cluster.ts";
import { Hub } from "../../src/core/hub.ts";
import { DEFAULT_RETENTION } from "../../src/store/history.ts";
import { RedisHistory } from "../../src/store/redis/history.ts";
import { RedisAccounts } from "../../src/store/redis/records.ts";
import { afterEachTest } from "../helpers/cleanup.ts";
import { testRedis } from "../helpers/redis.ts";
import { FAST_NODE } from "../helpers/server.ts";
import { accountStoreBehaviour, historyStoreBehaviour, settleBy } from "../store/stores.case.ts";

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

accountStoreBehaviour("Redis", async () => new RedisAccounts((await node()).cluster));
