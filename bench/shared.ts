// What bench/run.ts and its load generator (bench/load.ts) say to each other; and what the bench
// scripts share (pinning to a core, percentiles, a server on a history file).

import { connect, type Socket } from "bun";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { LOAD_TEST_LIFTS } from "../src/flags.ts";
import { Cluster } from "../src/cluster/cluster.ts";
import { Hub } from "../src/core/hub.ts";
import { DEFAULT_RETENTION } from "../src/store/history.ts";
import { RedisHistory } from "../src/store/redis/history.ts";
import { RedisAccounts, RedisMarkers, RedisSessions } from "../src/store/redis/records.ts";

const ROOT = join(import.meta.dir, "..");

/**
 * How a client registers and what the server sends around a payload; "mixed": text and JSON in
 * turn; "irc": IRC (NICK, USER, JOIN, PRIVMSG); "mixed-irc": text, JSON and IRC in turn, the IRC
 * users on the second port; "ws": JSON over the web door's WebSocket (/ws), as the browser speaks it.
 */
export type Protocol = "text" | "json" | "ncat" | "mixed" | "irc" | "mixed-irc" | "ws";

export type LoadRequest =
  /**
   * Users connect to `ports` in turn: user i to ports[i % ports.length] (the senders too); with
   * `rooms`, user i then joins room #r<i % rooms>, and sender s talks to its room only.
   */
  | { type: "join"; protocol: Protocol; ports: number[]; users: number; senders: number; batch?: number; rooms?: number }
  /** `window`: deliveries that may be outstanding (lines ahead of the slowest receiver × receivers). */
  /** `giveUpMs`: for a server that cuts lines, how long without a delivery before the window moves on anyway. */
  | { type: "fanout"; senders: number; window: number; ms: number; giveUpMs?: number }
  /** `patienceMs`: how long to wait without a delivery before what is missing is lost (default 500). */
  | { type: "latency"; senders: number; perSecond: number; ms: number; patienceMs?: number }
  | { type: "quit" };

export type LoadReply =
  | { type: "joined"; seconds: number; users: number }
  | {
      type: "fanout";
      sent: number;
      /** Lines each sender could be ahead of the slowest receiver. */
      window: number;
      deliveries: number;
      seconds: number;
      /** Never arrived; arrived late (out of order); arrived twice; arrived cut or glued to another line. */
      lost: number;
      reordered: number;
      duplicated: number;
      corrupted: number;
      closed: number;
    }
  | {
      type: "latency";
      /** Lines sent, over every sender. */
      sent: number;
      deliveries: number;
      lost: number;
      reordered: number;
      duplicated: number;
      corrupted: number;
      p50: number;
      p99: number;
      max: number;
    }
  | { type: "failed"; message: string };

/** A burst's window in lines per sender: `deliveries` outstanding at most, shared by all senders (20 to 2000). */
export function windowLines(deliveries: number, receivers: number, senders: number): number {
  return Math.max(20, Math.min(2000, Math.floor(deliveries / receivers / senders)));
}

/** Runs a process on one core with taskset, when the machine has it (nothing in front otherwise). */
export function pin(core: number): string[] {
  return Bun.which("taskset") ? ["taskset", "-c", String(core)] : [];
}

/** The `p`th percentile (0–100) of ascending `sorted` numbers; NaN for none. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export interface Running {
  /** The server process's id (its CPU time: /proc/<pid>/stat). */
  pid: number;
  port: number;
  httpPort: number;
  rss(): Promise<{ now: number; peak: number }>;
  stop(): Promise<void>;
}

/** The server on the history file `path` (none: a cluster node, `--redis` in `args`), from source, on core 0, with the load-test lifts and `args`; once it says where it listens. */
export async function startServer(path: string | undefined, args: string[] = []): Promise<Running> {
  const proc = Bun.spawn(
    [...pin(0), process.execPath, join(ROOT, "server.ts"), "--host", "127.0.0.1", "--port", "0", "--http-port", "0", ...(path === undefined ? [] : ["--db", path]),
      "--flood-rate", "0", ...LOAD_TEST_LIFTS, "--max-clients", "30000", ...args],
    { stdout: "pipe", stderr: "inherit" },
  );
  const reader = proc.stdout.getReader();
  let started = "";
  for (const deadline = Date.now() + 15_000; Date.now() < deadline && !/web door on http:\/\/127\.0\.0\.1:\d+/.test(started); ) {
    const { value, done } = await reader.read();
    if (done) break;
    started += new TextDecoder().decode(value);
  }
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(started)?.[1]);
  const httpPort = Number(/web door on http:\/\/127\.0\.0\.1:(\d+)/.exec(started)?.[1]);
  if (!port || !httpPort) throw new Error(`the server did not start: ${started}`);
  void (async () => {
    for (;;) if ((await reader.read()).done) return; // the pipe drained
  })();
  return {
    pid: proc.pid,
    port,
    httpPort,
    async rss() {
      const status = await Bun.file(`/proc/${proc.pid}/status`).text();
      const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
      return { now: kib("VmRSS") / 1024, peak: kib("VmHWM") / 1024 };
    },
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}


/**
 * CPU seconds a process has used so far, every thread of it, from each task's schedstat under /proc/<pid>/task
 * (nanoseconds; /proc/<pid>/stat counts 10 ms ticks, ±25 % over a short window at low CPU).
 */
export async function cpuSeconds(pid: number): Promise<number> {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const stat = await Bun.file(`/proc/${pid}/task/${task}/schedstat`)
      .text()
      .catch(() => "0"); // a thread that just ended
    ns += Number(stat.split(" ")[0]);
  }
  return ns / 1e9;
}

/**
 * A connection to bunchat's port, line by line: each line to `onLine`; a JSON client's pings
 * answered (as the bundled client does), so that a long run is not closed for silence.
 */
export function openLines(port: number, onLine: (line: string) => void, closed: () => void = () => {}): Promise<Socket> {
  let buffer = "";
  return connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(socket, data) {
        buffer += data.toString();
        let at: number;
        while ((at = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, at);
          buffer = buffer.slice(at + 1);
          if (line === '{"type":"ping"}') socket.write("\n");
          else onLine(line);
        }
      },
      close: closed,
      error: closed,
    },
  });
}

/**
 * The stores a cluster's nodes share, in the Redis at `url`, written through a node of the bench's
 * own (joined for this, then gone): `fill` puts what a run starts from.
 */
export async function fillRedis(url: string, fill: (stores: { history: RedisHistory; accounts: RedisAccounts; sessions: RedisSessions; markers: RedisMarkers }) => Promise<void>): Promise<void> {
  const cluster = await Cluster.connect({ url, nodeId: "loader", log: () => {} });
  const history = new RedisHistory(cluster, DEFAULT_RETENTION);
  await cluster.join(new Hub({ clustered: true, bus: cluster, history }));
  try {
    await fill({ history, accounts: new RedisAccounts(cluster), sessions: new RedisSessions(cluster), markers: new RedisMarkers(cluster) });
  } finally {
    await cluster.stop();
  }
}
