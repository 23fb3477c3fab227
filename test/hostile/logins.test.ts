// 200 connections asking for password hashes at once, with the server's real hashing (argon2id,
// 64 MiB a hash): at most two hashes run at once and 64 wait, the rest are told the server is busy,
// the server's memory stays bounded, and a bystander is answered meanwhile. Guesses at one name
// are stopped before they reach the hashes (5, then one every 5 s: the hostile catalogue), so the
// crowd here registers 200 names.

import { expect, test } from "bun:test";
import type { Socket } from "bun";
import { join } from "node:path";
import { run, serverDir } from "../helpers/binaries.ts";
import { Peer } from "../helpers/peer.ts";
import { until } from "../helpers/until.ts";

const HASHES = 200;
const SERVER = join(import.meta.dir, "../../server.ts");

/** The server process's resident memory, in MiB. */
async function rssMiB(pid: number): Promise<number> {
  const status = await Bun.file(`/proc/${pid}/status`).text();
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

test("200 hashes asked for at once: hashing is bounded (memory, queue), the rest are told to retry, and chat stays responsive", async () => {
  const server = run(
    process.execPath,
    [SERVER, "--host", "127.0.0.1", "--port", "0", "--max-per-ip", "0", "--max-per-net", "0", "--connect-rate", "0"],
    "server",
    {},
    serverDir(), // its history file, accounts included, is the test's own
  );
  const line = await server.out.next(/listening on 127\.0\.0\.1:\d+\b/, 10_000);
  const port = Number(/127\.0\.0\.1:(\d+)/.exec(line)![1]);
  const bystander = await Peer.join(port, "Bystander");
  const sockets: Socket<undefined>[] = [];
  try {
    const before = await rssMiB(server.proc.pid);

    // Each of the 200 joins as a name of its own and registers it at once.
    let outcomes = { registered: 0, busy: 0 };
    for (let i = 0; i < HASHES; i++) {
      let text = "";
      sockets.push(
        await Bun.connect({
          hostname: "127.0.0.1",
          port,
          socket: {
            open: (s) => void s.write(`Crowd${i}\n/register secret-horse-${i}\n`),
            data: (_s, chunk) => {
              text += new TextDecoder().decode(chunk);
              if (text.includes(`-- Crowd${i} is registered`) && !text.includes("#registered")) {
                text += "#registered";
                outcomes = { ...outcomes, registered: outcomes.registered + 1 };
              }
              if (text.includes("! The server is checking many") && !text.includes("#busy")) {
                text += "#busy";
                outcomes = { ...outcomes, busy: outcomes.busy + 1 };
              }
            },
          },
        }),
      );
    }
    // Meanwhile the bystander pings: each answer timed.
    const waits: number[] = [];
    let peak = before;
    for (let i = 0; i < 40 && outcomes.registered + outcomes.busy < HASHES; i++) {
      const start = performance.now();
      await bystander.ping();
      waits.push(performance.now() - start);
      peak = Math.max(peak, await rssMiB(server.proc.pid));
      await Bun.sleep(100);
    }
    await until(() => outcomes.registered + outcomes.busy >= HASHES, 60_000);
    // Every ping was answered (ping() fails past its wait): chat was not starved. How fast (the
    // issue's p99 under 500 ms) is a timing target, measured by the bench's login row, not here.
    expect(waits.length).toBeGreaterThan(0);
    expect(outcomes.busy).toBeGreaterThan(0); // past 2 running and 64 waiting: told to come back
    expect(outcomes.registered).toBeGreaterThanOrEqual(66);
    // Two hashes of 64 MiB at a time, whatever the crowd: not 200 × 64 MiB.
    expect(peak - before).toBeLessThan(400);
    expect(server.err.lines.join("\n")).not.toContain("secret-horse");
    expect(server.out.lines.join("\n")).not.toContain("secret-horse");
  } finally {
    for (const s of sockets) s.end();
    bystander.close();
    server.proc.kill("SIGTERM");
    await server.exited(10_000);
  }
}, 90_000);
