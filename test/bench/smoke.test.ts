// `bun run bench` must keep working: a short run against bunchat alone and as a two-node cluster
// (10 and 20 users, latency at 20, one run, no memory case). It checks the harness and that nothing is lost, not any speed: timing targets
// live in bench/, never in tests.

import { expect, test } from "bun:test";

/** The C ceiling needs a C compiler (cc is on the machines this runs on; elsewhere it is left out). */
const ceiling = Bun.which("cc") !== null;
const none = ceiling ? "| 0 | 0 | 0 |" : "| 0 | 0 |";

test("the benchmark runs against bunchat, alone and as 2 nodes, and the C ceiling, and counts every delivery: none lost", async () => {
  const proc = Bun.spawn(
    [
      process.execPath,
      `${import.meta.dir}/../../bench/run.ts`,
      ...[
        "--only",
        `bunchat-text,${ceiling ? "ceiling," : ""}bunchat-cluster`,
        "--users",
        "10,20",
        "--latency-users",
        "20",
        "--runs",
        "1",
        "--fanout-ms",
        "200",
        "--no-memory",
        "--no-write",
      ],
    ],
    { stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } },
  );
  const timer = setTimeout(() => proc.kill("SIGKILL"), 60_000);
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  clearTimeout(timer);
  expect(code).toBe(0);
  // Columns: bunchat, the C server batching per turn (compiled with cc for the run), 2 nodes.
  expect(out).toMatch(/\| fan-out, 10 users \(deliveries\/s\) \| \d+(\.\d+)?[kM] \| \d+(\.\d+)?[kM] \(/);
  expect(out).toContain(`| lost, 10 users ${none}`);
  // The latency phase, with its 10 senders, on connections of its own: every line measured, none lost.
  expect(out).toMatch(/\| latency p50, 20 users, 100 lines\/s \| \d/);
  expect(out).toContain(`| lost in the latency runs ${none}`);
  expect(out).not.toMatch(/: deliveries [^\n]*(out of order|twice|cut or glued)/); // the notes under the table
  // Both nodes published, and neither found an envelope missing or repeated.
  expect(out).toMatch(/\| cluster envelopes, 10 users \|( – \|)+ [1-9]\d* sent, 0 missed, 0 repeated \|/);
}, 70_000);
