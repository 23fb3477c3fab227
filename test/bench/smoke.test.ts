// `bun run bench` must keep working: its --quick mode against bunchat alone and as a two-node
// cluster and the C ceiling (10 and 20 users, latency at 20, a storm of 200, no memory case). It checks the harness and that nothing is lost, not any speed: timing targets
// live in bench/, never in tests.

import { expect, test } from "bun:test";

/** The C ceiling needs a C compiler (cc is on the machines this runs on; elsewhere it is left out). */
const ceiling = Bun.which("cc") !== null;
const none = ceiling ? "| 0 | 0 | 0 |" : "| 0 | 0 |";

test("the benchmark runs against bunchat, alone and as 2 nodes, and the C ceiling, in one room and in many, and counts every delivery: none lost", async () => {
  const proc = Bun.spawn(
    [
      process.execPath,
      `${import.meta.dir}/../../bench/run.ts`,
      ...["--quick", "--only", `bunchat-text,${ceiling ? "ceiling," : ""}bunchat-cluster`],
      ...["--users", "10,20", "--latency-users", "20", "--storm-users", "200", "--load-ms", "200", "--no-write"],
    ],
    { stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } },
  );
  const timer = setTimeout(() => proc.kill("SIGKILL"), 90_000);
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  clearTimeout(timer);
  expect(code).toBe(0);
  // Columns: bunchat, the C server batching per turn (compiled with cc for the run), 2 nodes; the
  // bracket is the ratio to the ceiling.
  const cost = ceiling ? /\| \*\*burst, 10 users\*\*: server CPU per million deliveries \| \d+\.\d+ ms \(\d/ : /\| \*\*burst, 10 users\*\*/;
  expect(out).toMatch(cost);
  expect(out).toMatch(/\| \*\*steady, 10 users\*\* \(\d+ lines\/s\): server CPU per million \| \d/);
  // Burst and steady, each run's deliveries checked: nothing lost anywhere.
  expect(out).toContain(`| lost, 10 users (burst / steady) ${none.replaceAll("0", "0 / 0")}`);
  expect(out).toContain(`| lost, 20 users (burst / steady) ${none.replaceAll("0", "0 / 0")}`);
  // The latency phase, with its 10 senders, on connections of its own: every line measured, none lost.
  expect(out).toMatch(/\| latency p50, 20 users, 100 lines\/s \| \d/);
  expect(out).toContain(`| lost in the latency runs ${none}`);
  expect(out).not.toMatch(/: deliveries [^\n]*(out of order|twice|cut or glued)/); // the notes under the table
  // The join storm, and a line through it to everyone.
  expect(out).toMatch(/\| \*\*join storm\*\*: 200 users connect and register at once \| \d/);
  expect(out).toMatch(/\| then one line reaches all of them \| \d/);
  // Many small rooms, alone and as 2 nodes: each line reached its room, and only it.
  expect(out).toMatch(/\| \*\*5 rooms of 20\*\* \(100 users\), 100 lines\/s in all: deliveries\/s \| \d/);
  expect(out).toContain(`| 5 rooms of 20: lost | 0 |${ceiling ? " – |" : ""} 0 |`);
  // Both nodes published, and neither found an envelope missing or repeated.
  expect(out).toMatch(/\| cluster envelopes, 10 users \|( – \|)+ [1-9]\d* sent, 0 missed, 0 repeated \|/);
}, 100_000);

test("the benchmark runs WebSocket users (the web door) and bots posting over the HTTP API: none lost, none refused", async () => {
  const proc = Bun.spawn(
    [
      process.execPath,
      `${import.meta.dir}/../../bench/run.ts`,
      ...["--quick", "--only", "bunchat-ws", "--users", "10,20", "--latency-users", "20", "--load-ms", "200", "--no-write"],
    ],
    { stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } },
  );
  const timer = setTimeout(() => proc.kill("SIGKILL"), 90_000);
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  clearTimeout(timer);
  expect(code).toBe(0);
  expect(out).toMatch(/\| \*\*burst, 20 users\*\*: server CPU per million deliveries \| \d/);
  expect(out).toContain("| lost, 10 users (burst / steady) | 0 / 0 |");
  expect(out).toContain("| lost, 20 users (burst / steady) | 0 / 0 |");
  expect(out).toMatch(/\| \*\*HTTP API\*\*: bots' posts a second \(32 at once, 10 users in the room\) \| [1-9]\d* \|/);
  expect(out).toContain("| HTTP API: posts refused | 0 |");
}, 100_000);

test("the devices soak runs: devices dropped and back under chat, each resuming after the newest line it had; none missed, none twice", async () => {
  const proc = Bun.spawn([process.execPath, `${import.meta.dir}/../../bench/soak-devices.ts`, "--seconds", "5", "--users", "6", "--drop-ms", "300"], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 60_000);
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  clearTimeout(timer);
  expect(out).toMatch(/\| drops \(and comebacks\) \| [1-9]\d* \|/);
  expect(out).toContain("| **missed** | **0** |");
  expect(out).toContain("| **twice** | **0** |");
  expect(code).toBe(0);
}, 70_000);
