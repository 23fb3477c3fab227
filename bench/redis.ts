// A redis-server of the benchmark's own, for the cluster runs of bench/run.ts and bench/soak.ts.

import type { Subprocess } from "bun";
import { diagnose } from "../src/cluster/cluster.ts";

/** A loopback port nobody listens on right now. */
export function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

/**
 * Starts redis-server on a free loopback port, with nothing saved to disk, behind `prefix` (taskset,
 * to pin it); resolves once it answers (at most 100 tries, 50 ms apart).
 */
export async function startRedis(prefix: string[]): Promise<{ proc: Subprocess; url: string }> {
  const port = freePort();
  const url = `redis://127.0.0.1:${port}`;
  const proc = Bun.spawn(
    [...prefix, "redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdout: "ignore", stderr: "inherit" },
  );
  for (let i = 0; i < 100; i++) {
    if ((await diagnose(url, 500))?.startsWith("it ")) return { proc, url };
    await Bun.sleep(50);
  }
  proc.kill();
  throw new Error(`redis-server on port ${port} did not answer within 5 s`);
}
