// `bun run bench:hostile`: the attacks of issue 11 against a real server, measured from outside.
//
//   users-stalled  2000 registered connections from 67 addresses set /away with a 100-character
//                  reason, stop reading, and send /users 4 times a second for 25 s
//   users-reading  the same with 500 connections that do read everything
//   trickle        500 registered connections each send 4000 one-byte TCP segments, never a newline
//
// Meanwhile a bystander on 127.0.0.1 sends /ping every 250 ms: its round trips (p50, p99, max, and
// pings never answered) say whether the server still serves everyone. The server's RSS is sampled
// every 200 ms from /proc. The server runs on core 0, the attacker and the bystander on core 1
// (taskset, when it is there). Every loop is bounded in count and time.
//
//   bun run bench:hostile                               # all three; writes bench/HOSTILE.md
//   bun run bench:hostile -- --only trickle --no-write
//   bun run bench:hostile -- --before /path/to/checkout # also against another version, side by side

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Socket } from "bun";

const { values: flags } = parseArgs({
  options: {
    only: { type: "string" },
    before: { type: "string" },
    seconds: { type: "string", default: "25" },
    "no-write": { type: "boolean", default: false },
    role: { type: "string" },
    port: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});

type Scenario = "users-stalled" | "users-reading" | "trickle";
const SCENARIOS: Record<Scenario, { connections: number; what: string }> = {
  "users-stalled": {
    connections: 2000,
    what: "2000 connections from 67 addresses, away with 100-character reasons, not reading, /users 4 times a second",
  },
  "users-reading": { connections: 500, what: "500 connections that read, away, /users 4 times a second" },
  trickle: { connections: 500, what: "500 connections each sending 4000 one-byte segments, no newline" },
};
const ADDRESSES = 67;
const REASON = `gone fishing ${"~".repeat(87)}`; // 100 characters
const TRICKLE_BYTES = 4000;
/** The bystander's pings: 4 a second, within the flood budget (5 a second) like any person. */
const PING_EVERY_MS = 250;

if (flags.help) {
  console.log(
    `Usage: bun bench/hostile.ts [--only ${Object.keys(SCENARIOS).join(",")}] [--seconds 25] [--before <checkout>] [--no-write]`,
  );
  process.exit(0);
}

if (flags.role !== undefined) await attacker(flags.role as Scenario, Number(flags.port));
else await main();

// The attacker: one process holding every hostile connection; says "ready" once all are in,
// then attacks until its stdin closes.

async function attacker(scenario: Scenario, port: number): Promise<void> {
  const n = SCENARIOS[scenario].connections;
  const sockets: Socket<{ seen: string; joined: () => void }>[] = [];
  const stalled = scenario === "users-stalled";
  for (let start = 0; start < n; start += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, n - start) }, async (_, k) => {
        const i = start + k;
        const { promise, resolve } = Promise.withResolvers<void>();
        const socket = await Bun.connect<{ seen: string; joined: () => void }>({
          hostname: "127.0.0.1",
          port,
          ...{ localAddress: `127.0.0.${2 + (i % ADDRESSES)}` }, // not in Bun's types; Peer in test/ uses it too
          socket: {
            open(s) {
              s.data = { seen: "", joined: resolve };
            },
            data(s, chunk) {
              if (s.data.seen === "done") return;
              const seen = s.data.seen + chunk.toString();
              if (seen.includes("you are in")) {
                s.data.seen = "done";
                s.data.joined();
              } else s.data.seen = seen.slice(-20); // the phrase may be split across chunks
            },
            close(s) {
              s.data.joined(); // refused or dropped: counted as in, so the run goes on
            },
          },
        });
        socket.write(`x${i}\n`);
        await promise;
        if (scenario !== "trickle") socket.write(`/away ${REASON}\n`);
        sockets.push(socket);
      }),
    );
  }
  if (stalled) for (const s of sockets) s.pause();
  console.log("ready");
  let stop = false;
  void (async () => {
    for await (const _ of Bun.stdin.stream()) {
      // the parent closes our stdin to stop us
    }
    stop = true;
  })();
  if (scenario === "trickle") {
    for (let round = 0; round < TRICKLE_BYTES && !stop; round++) {
      for (const s of sockets) s.write("z");
      await Bun.sleep(1); // each byte its own TCP segment
    }
    console.log("done");
    while (!stop) await Bun.sleep(100);
  } else {
    // Each connection asks 4 times a second, spread over the quarter second.
    for (let tick = 0; !stop && tick < 10 * 60 * 40; tick++) {
      const slice = tick % 10;
      for (let i = slice; i < sockets.length; i += 10) sockets[i]!.write("/users\n");
      await Bun.sleep(25);
    }
  }
  for (const s of sockets) s.terminate();
  process.exit(0);
}

// The bench: server, attacker, bystander, RSS.

interface Result {
  scenario: Scenario;
  /** Which server: "this checkout" or the --before one, with its commit. */
  server: string;
  pings: number;
  unanswered: number;
  p50: number;
  p99: number;
  max: number;
  rssBefore: number;
  rssPeak: number;
  rssAfter: number;
}

async function main(): Promise<void> {
  const seconds = Number(flags.seconds);
  const only = (flags.only?.split(",") ?? Object.keys(SCENARIOS)) as Scenario[];
  const commit = (root: string) =>
    Bun.spawnSync(["git", "-C", root, "rev-parse", "--short", "HEAD"]).stdout.toString().trim();
  const roots = [...(flags.before ? [flags.before] : []), `${import.meta.dir}/..`];
  const results: Result[] = [];
  for (const scenario of only) {
    for (const root of roots) {
      const label = `${root === roots.at(-1) ? "this checkout" : "before"} (${commit(root)})`;
      results.push(await attack(scenario, root, label, seconds));
    }
  }
  const table = report(results);
  console.log(table);
  if (!flags["no-write"]) await Bun.write(`${import.meta.dir}/HOSTILE.md`, table);
}

async function attack(scenario: Scenario, root: string, label: string, seconds: number): Promise<Result> {
  const pin = (core: number) => (Bun.which("taskset") ? ["taskset", "-c", String(core)] : []);
  const help = Bun.spawnSync([process.execPath, `${root}/server.ts`, "--help"]).stdout.toString();
  // The attack came from 67 addresses of one /24: a per-network cap (issue 11) would stop it at the
  // door, so it is lifted here to measure what gets through.
  const lift = help.includes("--max-per-net") ? ["--max-per-net", "0"] : [];
  // History is measured by bench/run.ts; here every version runs without a file.
  if (help.includes("--db")) lift.push("--db", "none");
  const server = Bun.spawn(
    [
      ...pin(0),
      process.execPath,
      `${root}/server.ts`,
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--max-clients",
      "10000",
      ...lift,
    ],
    { stdout: "pipe", stderr: "inherit" },
  );
  const port = await listeningPort(server.stdout);
  const rss = new RssSampler(server.pid);
  const bystander = await Bystander.join(port);
  const rssBefore = rss.now();
  const hostile = Bun.spawn(
    [...pin(1), process.execPath, import.meta.path, "--role", scenario, "--port", String(port)],
    { stdin: "pipe", stdout: "pipe", stderr: "inherit" },
  );
  const said = lines(hostile.stdout);
  await said.wait("ready", 120_000);
  console.error(`${scenario}: attackers in; measuring for ${seconds} s`);
  rss.reset();
  bystander.start();
  if (scenario === "trickle") await said.wait("done", seconds * 1000 + 60_000);
  else await Bun.sleep(seconds * 1000);
  const pings = await bystander.stop();
  const rssPeak = rss.peak;
  const rssAfter = rss.now();
  hostile.stdin.end();
  await hostile.exited;
  rss.stop();
  server.kill("SIGKILL");
  await server.exited;
  const sorted = pings.filter((p) => p >= 0).sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  const result: Result = {
    scenario,
    server: label,
    pings: pings.length,
    unanswered: pings.filter((p) => p < 0).length,
    p50: at(0.5),
    p99: at(0.99),
    max: sorted.at(-1) ?? NaN,
    rssBefore,
    rssPeak,
    rssAfter,
  };
  console.error(JSON.stringify(result));
  return result;
}

function report(results: Result[]): string {
  const mib = (kib: number) => `${Math.round(kib / 1024)} MiB`;
  const ms = (n: number) => (Number.isNaN(n) ? "–" : n < 10 ? `${n.toFixed(1)} ms` : `${Math.round(n)} ms`);
  const rows = results.map(
    (r) =>
      `| ${r.scenario} | ${r.server} | ${r.pings} | ${r.unanswered} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max)} | ${mib(r.rssBefore)} | ${mib(r.rssPeak)} | ${mib(r.rssAfter)} |`,
  );
  return `# Hostile benchmark (bench/hostile.ts)

\`bun run bench:hostile${flags.before ? " -- --before <checkout>" : ""}\`: each server on core 0, the attacker and the bystander on core 1, one after the other in one run.
The bystander sends /ping every ${PING_EVERY_MS} ms (within its flood budget) while the attack runs; an unanswered ping counts as lost.

${Object.entries(SCENARIOS)
  .map(([id, s]) => `- **${id}**: ${s.what}.`)
  .join("\n")}

| attack | server | pings | unanswered | p50 | p99 | max | RSS before | RSS peak | RSS after |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join("\n")}
`;
}

/** The port a server prints as "listening on 127.0.0.1:<port>". */
async function listeningPort(stdout: ReadableStream<Uint8Array>): Promise<number> {
  const out = lines(stdout);
  const line = await out.wait(/listening on 127\.0\.0\.1:\d+/, 10_000);
  return Number(/127\.0\.0\.1:(\d+)/.exec(line)![1]);
}

/** Lines of a stream, and a way to wait for one. */
function lines(stream: ReadableStream<Uint8Array>) {
  const seen: string[] = [];
  let wake = () => {};
  void (async () => {
    let partial = "";
    for await (const chunk of stream) {
      partial += new TextDecoder().decode(chunk);
      const parts = partial.split("\n");
      partial = parts.pop()!;
      seen.push(...parts);
      wake();
    }
  })();
  return {
    async wait(test: string | RegExp, timeoutMs: number): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = seen.find((l) => (typeof test === "string" ? l === test : test.test(l)));
        if (line !== undefined) return line;
        if (Date.now() > deadline) throw new Error(`no line ${String(test)} within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 100);
        });
      }
    },
  };
}

class RssSampler {
  peak = 0;
  private readonly timer: Timer;
  constructor(private readonly pid: number) {
    this.timer = setInterval(() => (this.peak = Math.max(this.peak, this.now())), 200);
  }
  /** KiB, from /proc/<pid>/status. */
  now(): number {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, "utf8");
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    } catch {
      return 0;
    }
  }
  reset(): void {
    this.peak = this.now();
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

/** A user who only pings: the round trip of each /ping, or -1 for one never answered. */
class Bystander {
  private readonly sent = new Map<number, number>();
  private readonly rtts: number[] = [];
  private timer: Timer | undefined;
  private next = 0;
  private buffer = "";

  private constructor(private readonly socket: Socket<undefined>) {}

  static async join(port: number): Promise<Bystander> {
    const { promise, resolve } = Promise.withResolvers<void>();
    let self: Bystander | undefined;
    let joined = false;
    const socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data(_s, chunk) {
          const text = chunk.toString();
          if (!joined && text.includes("you are in")) {
            joined = true;
            resolve();
          }
          self?.read(text);
        },
      },
    });
    socket.write("Bystander\n");
    await promise;
    self = new Bystander(socket);
    return self;
  }

  private read(text: string): void {
    this.buffer += text;
    const parts = this.buffer.split("\n");
    this.buffer = parts.pop()!;
    for (const line of parts) {
      const m = /^pong (\d+)$/.exec(line);
      const at = m ? this.sent.get(Number(m[1])) : undefined;
      if (at === undefined) continue;
      this.sent.delete(Number(m![1]));
      this.rtts.push(performance.now() - at);
    }
  }

  start(): void {
    this.timer = setInterval(() => {
      const k = this.next++;
      this.sent.set(k, performance.now());
      this.socket.write(`/ping ${k}\n`);
    }, PING_EVERY_MS);
  }

  /** Stops pinging, gives the last pings 5 s, and returns every round trip (-1: never answered). */
  async stop(): Promise<number[]> {
    clearInterval(this.timer);
    for (let i = 0; i < 50 && this.sent.size > 0; i++) await Bun.sleep(100);
    this.socket.terminate();
    return [...this.rtts, ...Array<number>(this.sent.size).fill(-1)];
  }
}
