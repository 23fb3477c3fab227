// A redis-server of the test's own, on a free loopback port, with nothing saved to disk. It can be
// stopped and started again on the same port (a Redis restart), and is always killed after the test.

import { afterEachTest } from "./cleanup.ts";
import { RedisClient, type Subprocess } from "bun";
import { freePort } from "../../bench/redis.ts";
import { diagnose } from "../../src/cluster/cluster.ts";
import { LineLog } from "./lines.ts";

export interface TestRedis {
  port: number;
  url: string;
  /** Kills it (SIGKILL unless told otherwise): every connection drops and every key is gone. */
  stop(signal?: "SIGKILL" | "SIGTERM"): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  /** SIGSTOP: it holds every connection open and answers nothing (a dead network, from a client's side); SIGCONT: back. */
  freeze(frozen: boolean): void;
  /** One command on a connection of its own. */
  command(name: string, ...args: string[]): Promise<unknown>;
  /** What redis-server has logged so far (every run on this port). */
  log: LineLog;
}

const live = new Set<Subprocess>();
afterEachTest(() => {
  for (const p of live) p.kill("SIGKILL");
  live.clear();
}, true);

/** `args`: more redis-server options, e.g. ["--requirepass", "secret"]. */
export async function testRedis(args: string[] = []): Promise<TestRedis> {
  if (!Bun.which("redis-server")) {
    throw new Error(
      "The cluster tests need redis-server: apt-get install -y redis-server (brew install redis on macOS).",
    );
  }
  const port = freePort();
  const url = `redis://127.0.0.1:${port}`;
  let proc: Subprocess | undefined;
  const log = new LineLog(`redis-server ${port}`);
  const command = async (name: string, ...args: string[]) => {
    const client = new RedisClient(url, { autoReconnect: false, connectionTimeout: 1000 });
    try {
      await client.connect();
      return await client.send(name, args);
    } finally {
      client.close();
    }
  };
  const start = async () => {
    proc = Bun.spawn(
      ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...args],
      { stdout: "pipe", stderr: "inherit" },
    );
    live.add(proc);
    void (async () => {
      for await (const chunk of (proc as Subprocess<"ignore", "pipe">).stdout) log.push(chunk);
    })();
    // Up when it answers anything (a password-protected one answers NOAUTH); bounded: 100 tries, 20 ms apart.
    for (let i = 0; i < 100; i++) {
      const why = await diagnose(url, 500);
      if (why?.startsWith("it ")) return;
      await Bun.sleep(20);
    }
    throw new Error(`redis-server on port ${port} did not start within 2 s`);
  };
  await start();
  return {
    port,
    url,
    start,
    command,
    log,
    freeze(frozen) {
      proc?.kill(frozen ? "SIGSTOP" : "SIGCONT");
    },
    async stop(signal = "SIGKILL") {
      if (!proc) return;
      proc.kill(signal);
      await proc.exited;
      live.delete(proc);
      proc = undefined;
    },
  };
}
