// The composition root: a whole server built in the order its parts depend on each other (the
// stores, the bus, the hub on both, then the doors), so that nothing is assigned after it is made.
// server.ts builds its server here from flags, and the tests from their options.

import { Cluster, type ClusterOptions } from "./cluster/cluster.ts";
import type { MemoryBus, MemoryNetwork } from "./cluster/memory.ts";
import { Hub, type HubOptions } from "./core/hub.ts";
import { type ChatServer, historyStatus, type ServerOptions, startServer } from "./doors/server.ts";
import { SERVER_LIMITS } from "./protocol/limits.ts";
import type { Retention } from "./store/history.ts";
import { RedisAccounts, RedisBans, RedisFiles, RedisMarkers, RedisRooms, RedisSessions, RedisTokens } from "./store/redis/records.ts";
import { FILES_DEFAULTS, Files, type FilesConfig } from "./core/files.ts";
import { Blobs } from "./store/blobs.ts";
import { randomText } from "./session/secrets.ts";
import { type FileStore, MemoryFiles } from "./store/files.ts";
import { RedisHistory } from "./store/redis/history.ts";
import { SqliteFile } from "./store/sqlite/file.ts";
import { MemoryHistory } from "./store/memory/history.ts";
import type { SqliteOptions } from "./store/sqlite/history.ts";

/** What the hub keeps, and where. */
export type Stores = Pick<HubOptions, "history" | "accounts" | "bans" | "roomStore" | "tokens" | "markers" | "sessions">;

/** Files shared in rooms: their directory (--files) and bounds; what is known of them is kept with the other stores. */
export type FilesOptions = { dir: string } & Partial<FilesConfig>;

export interface AppConfig extends Omit<ServerOptions, "hub" | "bus">, Stores, Pick<HubOptions, "admins" | "replayOnJoin" | "passwords" | "keepPrivate"> {
  /** Where everyone starts. */
  defaultRoom?: string;
  /**
   * One server's stores in a bun:sqlite file: history, names, bans, rooms' roles and bot tokens.
   * ":memory:" (--db none): the records in an in-memory database, history in MemoryHistory (no
   * search index; bounded by `ringBytes`). Stores given one by one (tests) are used as they are instead.
   */
  sqlite?: Omit<SqliteOptions, "status">;
  /**
   * A node of a cluster: through Redis (its stores there too when `retention` is given), or
   * through memory between servers of one process (tests).
   */
  cluster?: { redis: Omit<ClusterOptions, "log">; retention?: Retention } | { memory: MemoryNetwork; nodeId: string };
  /** Files shared in rooms (none: this server takes no files). */
  files?: FilesOptions;
}

/**
 * The server `config` describes, listening. Rejects with a ClusterError when Redis can't be
 * reached or the node can't join, a HistoryOpenError when the file can't be opened, or the
 * listener's error when a door can't open (the node has then left the cluster again).
 */
export async function buildServer(config: AppConfig): Promise<ChatServer> {
  const { sqlite, cluster, defaultRoom, admins, replayOnJoin, keepPrivate, passwords, history, accounts, bans, roomStore, tokens, markers, sessions, files: filesOptions, ...doors } = config;
  const limits = { ...SERVER_LIMITS, ...config.limits };
  // The hub is made below; history's status reaches it once it is.
  let hub: Hub | undefined;
  const file = sqlite && !cluster ? new SqliteFile({ ...sqlite, status: historyStatus(() => hub!, config.log) }) : undefined;
  const bus: Cluster | MemoryBus | undefined = !cluster
    ? undefined
    : "redis" in cluster
      ? await Cluster.connect({ ...cluster.redis, log: config.log })
      : cluster.memory.node(cluster.nodeId, config.log);
  const stores: Stores =
    bus instanceof Cluster && cluster && "redis" in cluster && cluster.retention
      ? {
          history: new RedisHistory(bus, cluster.retention),
          accounts: new RedisAccounts(bus),
          bans: new RedisBans(bus),
          roomStore: new RedisRooms(bus),
          tokens: new RedisTokens(bus),
          markers: new RedisMarkers(bus),
          sessions: new RedisSessions(bus),
        }
      : file
        ? {
            history:
              sqlite?.path === ":memory:"
                ? new MemoryHistory({
                    retention: sqlite.retention,
                    ...(sqlite.ringBytes !== undefined ? { maxBytes: sqlite.ringBytes } : {}),
                    ...(config.clock ? { clock: config.clock } : {}),
                    onClose: () => file.close(), // the records' database
                  })
                : file.history,
            accounts: file.accounts,
            bans: file.bans,
            roomStore: file.roomStore,
            tokens: file.tokens,
            markers: file.markers,
            sessions: file.sessions,
          }
        : { history, accounts, bans, roomStore, tokens, markers, sessions };
  // Files: what is known of them where the other records are (a cluster's Redis, the SQLite file,
  // or memory for a test's stores), their bytes in the directory given.
  let files: Files | undefined;
  if (filesOptions) {
    const store: FileStore = bus instanceof Cluster ? new RedisFiles(bus) : file ? file.files : new MemoryFiles();
    const { dir, ...bounds } = filesOptions;
    files = new Files(store, new Blobs(dir), { ...FILES_DEFAULTS, ...bounds }, await store.secret(randomText(32)));
  }
  hub = new Hub({
    clustered: bus !== undefined,
    ...(files ? { files } : {}),
    ...(bus ? { bus } : {}),
    ...(config.clock ? { clock: config.clock } : {}),
    defaultRoom,
    maxRooms: limits.maxRooms,
    maxRoomsPerUser: limits.maxRoomsPerUser,
    replayOnJoin,
    keepPrivate,
    admins,
    passwords,
    ...stores,
    ...(config.log ? { log: config.log } : {}),
  });
  if (bus) await bus.join(hub);
  try {
    return startServer({ ...doors, hub, ...(bus ? { bus } : {}) });
  } catch (err) {
    await bus?.stop(); // gives its node id back at once
    hub.history?.close();
    throw err;
  }
}
