// Starts a real server on 127.0.0.1:0 for one test, and always stops it.

import { afterEach } from "bun:test";
import { type ChatServer, type ServerOptions, startServer } from "../../src/server/server.ts";
import { Peer } from "./peer.ts";

export interface TestServer {
  server: ChatServer;
  port: number;
  /** The server's log lines so far. */
  log: string[];
  /** Peers opened through this helper are closed after the test. */
  join(name: string, mode?: "text" | "json", answerPings?: boolean): Promise<Peer>;
  connect(mode?: "text" | "json", label?: string): Promise<Peer>;
}

const running: { server: ChatServer; peers: Peer[] }[] = [];

afterEach(async () => {
  for (const { server, peers } of running.splice(0)) {
    for (const p of peers) p.close();
    await server.shutdown();
  }
});

export function testServer(options: Pick<ServerOptions, "limits" | "sweepMs" | "password"> = {}): TestServer {
  const log: string[] = [];
  const server = startServer({ host: "127.0.0.1", port: 0, log: (l) => void log.push(l), ...options });
  const peers: Peer[] = [];
  running.push({ server, peers });
  const track = (p: Peer) => (peers.push(p), p);
  return {
    server,
    port: server.port,
    log,
    join: async (name, mode, answerPings) =>
      track(await Peer.join(server.port, name, mode, answerPings, options.password)),
    connect: async (mode, label) => track(await Peer.connect(server.port, mode, label)),
  };
}
