// Starts a real server on 127.0.0.1:0 for one test, and always stops it.

import { afterEachTest } from "./cleanup.ts";
import type { ClusterOptions } from "../../src/cluster/cluster.ts";
import type { MemoryNetwork } from "../../src/cluster/memory.ts";
import { type AppConfig, buildServer } from "../../src/app.ts";
import { DEFAULT_RETENTION, type Retention } from "../../src/store/history.ts";
import { Passwords } from "../../src/core/passwords.ts";

/** Hashes cheap enough for tests (argon2id with 1 MiB, one pass): the server's own take 144 ms each. */
export const TEST_PASSWORDS = new Passwords({ algorithm: "argon2id", memoryCost: 1024, timeCost: 1 });
import type { ChatServer } from "../../src/doors/server.ts";
import { Peer, type PeerTls } from "./peer.ts";
import { until } from "./until.ts";
import { foldName } from "../../src/protocol/names.ts";

export interface TestServer {
  server: ChatServer;
  port: number;
  /** The server's log lines so far. */
  log: string[];
  /** Peers opened through this helper are closed after the test. */
  join(name: string, mode?: "text" | "json", answerPings?: boolean): Promise<Peer>;
  connect(mode?: "text" | "json", label?: string): Promise<Peer>;
  /**
   * With `irc`: an IRC client registered as `nick` (asking for `caps` first, if any), once it has
   * the end of the MOTD.
   */
  irc(nick: string, caps?: string[]): Promise<Peer>;
  /** With `irc`: a raw connection to the IRC port (with `tls` too: `secure`, to the IRC TLS port). */
  ircConnect(label?: string, secure?: boolean): Promise<Peer>;
  /** With `tls`, how peers reach it (the test CA); undefined for plain TCP. */
  peerTls?: PeerTls;
  /** For a name given as an admin and not registered yet: the setup code the server logged for it. */
  setupCode(name: string): Promise<string | undefined>;
}

const running: { server: ChatServer; peers: Peer[] }[] = [];

afterEachTest(async () => {
  for (const { server, peers } of running.splice(0)) {
    for (const p of peers) p.close();
    await server.shutdown();
  }
});

export type TestServerOptions = Pick<
  AppConfig,
  "limits" | "sweepMs" | "password" | "logWindowMs" | "defaultRoom" | "now" | "clock" | "history" | "replayOnJoin" | "keepPrivate" | "accounts" | "admins" | "bans" | "roomStore" | "tokens" | "markers" | "sessions" | "webHosts" | "files"
> & {
  tls?: boolean;
  /** Open the IRC door too (a free port). */
  irc?: boolean;
  /** Open the web door too (a free port): the page, the WebSocket, the API. */
  http?: boolean;
  /** A node of a cluster through this Redis (its log goes to the server's). */
  cluster?: Omit<ClusterOptions, "log">;
  /** A node of a cluster of servers in this process, through memory. */
  memory?: { network: MemoryNetwork; nodeId: string };
  /** With `cluster`: history in that Redis, kept so (RedisHistory). */
  redisHistory?: Retention;
};

/** A cluster node's timings for tests: a dead node is noticed within 1 s, Redis tried again within 100 ms. */
export const FAST_NODE = { nodeTimeoutMs: 1000, retryMaxMs: 100 };

/** A node of a cluster through the Redis at `url`, with its history, names, bans and roles there; no flood limit. */
export function testNode(url: string, nodeId: string, options: TestServerOptions = {}): Promise<TestServer> {
  return testServer({ limits: { linesPerSecond: 0 }, cluster: { url, nodeId, ...FAST_NODE }, redisHistory: DEFAULT_RETENTION, ...options });
}

/** The test certificate (test/fixtures/tls): signed by the test CA for localhost and 127.0.0.1. */
export async function testTls() {
  const dir = `${import.meta.dir}/../fixtures/tls`;
  return {
    server: { cert: await Bun.file(`${dir}/server.pem`).text(), key: await Bun.file(`${dir}/server.key`).text() },
    ca: await Bun.file(`${dir}/ca.pem`).text(),
    other: { cert: await Bun.file(`${dir}/other.pem`).text(), key: await Bun.file(`${dir}/other.key`).text() },
  };
}

export async function testServer(options: TestServerOptions = {}): Promise<TestServer> {
  const log: string[] = [];
  const certs = options.tls ? await testTls() : undefined;
  const server = await buildServer({
    host: "127.0.0.1",
    port: 0,
    log: (l) => void log.push(l),
    ...options,
    // Every test peer comes from 127.0.0.1: a test that refuses a few names (name races, say) must
    // not trip the per-address slowdown it is not about. Tests of that limit set it themselves.
    limits: { attemptBurst: 1000, ...options.limits },
    tls: certs?.server,
    ...(options.irc ? { ircPort: 0, ...(certs ? { ircTlsPort: 0 } : {}) } : {}),
    ...(options.http ? { httpPort: 0 } : {}),
    cluster: options.cluster
      ? { redis: options.cluster, ...(options.redisHistory ? { retention: options.redisHistory } : {}) }
      : options.memory && { memory: options.memory.network, nodeId: options.memory.nodeId },
    passwords: TEST_PASSWORDS,
  });
  const peerTls = certs ? { ca: certs.ca } : undefined;
  const peers: Peer[] = [];
  running.push({ server, peers });
  const track = (p: Peer) => (peers.push(p), p);
  return {
    server,
    port: server.port,
    log,
    peerTls,
    setupCode: async (name) => {
      if (!options.admins?.some((admin) => foldName(admin) === foldName(name))) return undefined;
      let code: string | undefined;
      await until(() => (code = setupCodeIn(log, name)) !== undefined);
      return code;
    },
    join: async (name, mode, answerPings) =>
      track(await Peer.join(server.port, name, mode, { answerPings, password: options.password, tls: peerTls })),
    connect: async (mode, label) => track(await Peer.connect(server.port, mode, label, { tls: peerTls })),
    ircConnect: async (label = "irc", secure = false) =>
      track(
        secure
          ? await Peer.connect(server.ircTlsPort ?? 0, "text", label, { tls: peerTls })
          : await Peer.connect(ircPort(server), "text", label),
      ),
    irc: async (nick, caps = []) => {
      const p = track(await Peer.connect(ircPort(server), "text", nick));
      if (caps.length > 0) p.send(`CAP LS 302\r\nCAP REQ :${caps.join(" ")}`);
      p.send(`NICK ${nick}\r\nUSER ${nick} 0 * :${nick}`);
      if (caps.length > 0) {
        await p.seen(/ CAP \S+ ACK /);
        p.send("CAP END");
      }
      await p.seen(/^:bunchat (376|422) /);
      return p;
    },
  };
}

/** The newest setup code the log gives for `name`, an admin name not registered. */
export function setupCodeIn(log: readonly string[], name: string): string | undefined {
  const pattern = new RegExp(`^! --admin ${name} is not registered: .* /register <password> (\\S+) `, "i");
  for (let i = log.length - 1; i >= 0; i--) {
    const code = pattern.exec(log[i]!)?.[1];
    if (code) return code;
  }
  return undefined;
}

function ircPort(server: ChatServer): number {
  if (server.ircPort === undefined) throw new Error("testServer({ irc: true }) opens the IRC door");
  return server.ircPort;
}
