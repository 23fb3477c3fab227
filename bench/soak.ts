// Soak benchmark (not a test): a room of 500 clients chatting for minutes, with a few clients
// that stop reading and a stream of clients that join and vanish. Reports messages lost between
// healthy clients (must be 0), server RSS and CPU over time, and delivery latency percentiles.
//
//   bun run bench:soak                       # 500 clients, 100 lines/s, 120 s
//   bun run bench:soak -- --seconds 600 --write
//   bun run bench:soak -- --nodes 2         # a two-node cluster through a redis-server of its own
//
// The server runs from source on CPU 0, the load generators (two processes) on CPU 1, when
// taskset is available. The server keeps its defaults except the two limits that a load test
// from one address must lift: --max-per-ip 0, --max-per-net 0 and --connect-rate 0. Flood control stays on.

import { cpus, hostname } from "node:os";
import { parseArgs } from "node:util";
import type { Subprocess } from "bun";
import { startRedis } from "./redis.ts";
import { BUCKET_MS, BUCKETS, type SoakConfig, type WorkerMessage } from "./soak-shared.ts";
import { LOAD_TEST_LIFTS } from "../src/flags.ts";
import { pin } from "./shared.ts";

const { values: flags } = parseArgs({
  options: {
    clients: { type: "string", default: "500" },
    slow: { type: "string", default: "5" },
    churners: { type: "string", default: "20" },
    rate: { type: "string", default: "100" },
    seconds: { type: "string", default: "120" },
    nodes: { type: "string", default: "1" },
    write: { type: "boolean", default: false },
    help: { type: "boolean", short: "h" },
  },
});
if (flags.help) {
  console.log(`Usage: bun bench/soak.ts [--clients 500] [--slow 5] [--churners 20] [--rate 100] [--seconds 120] [--nodes 1] [--write]

  --clients   clients in the room at once: healthy ones plus --slow and --churners
  --slow      clients that stop reading right after joining
  --churners  clients that keep joining and vanishing (half reset, half quit)
  --rate      lines per second from all healthy clients together
  --seconds   how long they chat
  --nodes     servers: 1, or a cluster of that many through a redis-server of the soak's own
              (clients are spread over them in turn; RSS and CPU are the nodes' and Redis's sum)
  --write     also write the report to bench/SOAK.md (bench/SOAK-CLUSTER.md with --nodes)`);
  process.exit(0);
}
const count = (name: keyof typeof flags) => {
  const n = Number(flags[name]);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} needs a whole number`);
  return n;
};
const [clients, slowClients, churners, rate, seconds, nodes] = [
  count("clients"),
  count("slow"),
  count("churners"),
  count("rate"),
  count("seconds"),
  Math.max(1, count("nodes")),
];
const healthyClients = clients - slowClients - churners;
if (healthyClients < 2) throw new Error("--clients must leave at least 2 healthy clients");
const WORKERS = 2;
const SAMPLE_MS = 5000;
const root = `${import.meta.dir}/..`;

const children: Subprocess[] = [];
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});

// The server, or a cluster's nodes and their Redis.
const serverLog = { lines: 0, dropped: 0, timedOut: 0 };
const SERVER_FLAGS = ["--host", "127.0.0.1", "--port", "0", "--db", "none", ...LOAD_TEST_LIFTS];

/** Starts one server on CPU 0 and resolves to the port it prints. */
function startServer(extra: string[]): { proc: Subprocess<"ignore", "pipe", "inherit">; port: Promise<number> } {
  const proc = Bun.spawn([...pin(0), process.execPath, `${root}/server.ts`, ...SERVER_FLAGS, ...extra], {
    stdout: "pipe",
    stderr: "inherit",
    env: { ...process.env, NO_COLOR: "1" },
  });
  children.push(proc);
  const port = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the server did not start within 10 s")), 10_000);
    void (async () => {
      let partial = "";
      for await (const chunk of proc.stdout) {
        partial += new TextDecoder().decode(chunk);
        const lines = partial.split("\n");
        partial = lines.pop()!;
        for (const line of lines) {
          serverLog.lines++;
          const m = /listening on 127\.0\.0\.1:(\d+)/.exec(line);
          if (m) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
          if (line.includes("not-reading")) serverLog.dropped++;
          if (line.includes("cluster: left;")) clusterSummaries.push(line.replace(/^\S+ /, ""));
        }
      }
    })();
  });
  return { proc, port };
}

const clusterSummaries: string[] = [];
let redis: Subprocess | undefined;
const extra: string[][] = [[]];
if (nodes > 1) {
  const started = await startRedis(pin(0));
  redis = started.proc;
  children.push(redis);
  extra.length = 0;
  for (let i = 1; i <= nodes; i++) extra.push(["--redis", started.url, "--node-id", `soak${i}`]);
}
const servers = extra.map(startServer);
const ports = await Promise.all(servers.map((s) => s.port));
/** Every process that serves the chat: the nodes and, in a cluster, Redis. */
const serving = [...servers.map((s) => s.proc), ...(redis ? [redis] : [])];

// The load generators.
type Waiter = { type: WorkerMessage["type"]; resolve: (m: WorkerMessage) => void };
const inbox: WorkerMessage[][] = [];
const waiters: Waiter[][] = [];
const workers = Array.from({ length: WORKERS }, (_, w) => {
  inbox[w] = [];
  waiters[w] = [];
  const child = Bun.spawn([...pin(1), process.execPath, `${import.meta.dir}/soak-worker.ts`], {
    stdout: "inherit",
    stderr: "inherit",
    ipc(message: WorkerMessage) {
      const i = waiters[w]!.findIndex((x) => x.type === message.type);
      if (i >= 0) waiters[w]!.splice(i, 1)[0]!.resolve(message);
      else inbox[w]!.push(message);
    },
  });
  children.push(child);
  return child;
});
function receive<T extends WorkerMessage["type"]>(
  w: number,
  type: T,
  timeoutMs: number,
): Promise<Extract<WorkerMessage, { type: T }>> {
  const queued = inbox[w]!.findIndex((m) => m.type === type);
  if (queued >= 0) return Promise.resolve(inbox[w]!.splice(queued, 1)[0] as Extract<WorkerMessage, { type: T }>);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker ${w}: no "${type}" within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    waiters[w]!.push({
      type,
      resolve: (m) => {
        clearTimeout(timer);
        resolve(m as Extract<WorkerMessage, { type: T }>);
      },
    });
  });
}
const all = <T extends WorkerMessage["type"]>(type: T, timeoutMs: number) =>
  Promise.all(workers.map((_, w) => receive(w, type, timeoutMs)));
const share = (n: number, w: number) => Math.floor(n / WORKERS) + (w < n % WORKERS ? 1 : 0);

/** RSS (MiB) and CPU seconds so far of everything serving the chat, from /proc. */
async function serverUsage(): Promise<{ rssMiB: number; cpuSeconds: number }> {
  let rssKiB = 0;
  let ticks = 0;
  for (const proc of serving) {
    const status = await Bun.file(`/proc/${proc.pid}/status`).text();
    rssKiB += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    const stat = (await Bun.file(`/proc/${proc.pid}/stat`).text()).split(") ")[1]!.split(" ");
    ticks += Number(stat[11]) + Number(stat[12]); // utime + stime, fields 14 and 15
  }
  return { rssMiB: rssKiB / 1024, cpuSeconds: ticks / 100 };
}

console.log(
  `soak: ${clients} clients (${healthyClients} healthy, ${slowClients} not reading, ${churners} churning), ` +
    `${rate} lines/s for ${seconds} s, ${nodes > 1 ? `${nodes} nodes on ports ${ports.join(", ")}` : `server on 127.0.0.1:${ports[0]}`}`,
);
const idle = await serverUsage();
const joinStart = performance.now();
workers.forEach((worker, w) => {
  const config: SoakConfig = {
    ports,
    worker: w,
    healthy: share(healthyClients, w),
    slow: share(slowClients, w),
    churners: share(churners, w),
    perClientRate: rate / healthyClients,
  };
  worker.send({ type: "start", config });
});
await all("ready", 120_000);
const joinSeconds = (performance.now() - joinStart) / 1000;
const joined = await serverUsage();
console.log(`joined in ${joinSeconds.toFixed(1)} s; server RSS ${joined.rssMiB.toFixed(1)} MiB`);

for (const worker of workers) worker.send({ type: "go" });
const samples: { t: number; rssMiB: number; cpu: number }[] = [];
let last = joined;
for (let t = SAMPLE_MS; t <= seconds * 1000; t += SAMPLE_MS) {
  await Bun.sleep(Math.min(SAMPLE_MS, seconds * 1000 - (t - SAMPLE_MS)));
  const u = await serverUsage();
  const cpu = (u.cpuSeconds - last.cpuSeconds) / (SAMPLE_MS / 1000);
  samples.push({ t: t / 1000, rssMiB: u.rssMiB, cpu });
  last = u;
  console.log(
    `  ${String(t / 1000).padStart(4)} s  RSS ${u.rssMiB.toFixed(1).padStart(6)} MiB  CPU ${(cpu * 100).toFixed(0).padStart(3)} %`,
  );
}

for (const worker of workers) worker.send({ type: "stop" });
const stopped = await all("stopped", 30_000);
const finals = Object.assign({}, ...stopped.map((s) => s.sent)) as Record<string, number>;
const sentTotal = Object.values(finals).reduce((a, b) => a + b, 0);
for (const worker of workers) worker.send({ type: "finals", finals });
const reports = await all("report", 60_000);
const end = await serverUsage();
// Stopped now, so that a cluster's nodes have said how many envelopes they sent, missed and repeated.
for (const { proc } of servers) proc.kill("SIGTERM");
await Promise.all(servers.map(({ proc }) => proc.exited));
redis?.kill();

const histogram = new Float64Array(BUCKETS + 1);
for (const r of reports) for (const [i, n] of r.histogram) histogram[i]! += n;
const deliveries = reports.reduce((s, r) => s + r.deliveries, 0);
const percentile = (p: number) => {
  let seen = 0;
  const target = deliveries * p;
  for (let i = 0; i <= BUCKETS; i++) {
    seen += histogram[i]!;
    if (seen >= target) return i * BUCKET_MS;
  }
  return Number.NaN;
};
const sum = (key: "lost" | "reordered" | "disconnectedHealthy" | "slowDropped" | "churnCycles" | "churnErrors") =>
  reports.reduce((s, r) => s + r[key], 0);
const rssValues = samples.map((s) => s.rssMiB);
const half = samples.slice(Math.floor(samples.length / 2));
const ms = (x: number) => `${x.toFixed(2)} ms`;

const rows: [string, string][] = [
  ["clients", `${clients}: ${healthyClients} healthy, ${slowClients} not reading, ${churners} churning`],
  ["chat", `${rate} lines/s for ${seconds} s: ${sentTotal} lines sent, ${deliveries} deliveries to healthy clients`],
  [
    "**messages lost (healthy)**",
    `**${sum("lost")}**, out of order ${sum("reordered")}, healthy clients disconnected ${sum("disconnectedHealthy")}`,
  ],
  [
    "latency p50 / p99 / p99.9 / max",
    `${ms(percentile(0.5))} / ${ms(percentile(0.99))} / ${ms(percentile(0.999))} / ${ms(Math.max(...reports.map((r) => r.maxLatencyMs)))}`,
  ],
  [
    "server RSS",
    `idle ${idle.rssMiB.toFixed(1)} MiB, all joined ${joined.rssMiB.toFixed(1)} MiB, during the run ${Math.min(...rssValues).toFixed(1)}–${Math.max(...rssValues).toFixed(1)} MiB, second half ${Math.min(...half.map((s) => s.rssMiB)).toFixed(1)}–${Math.max(...half.map((s) => s.rssMiB)).toFixed(1)} MiB, end ${end.rssMiB.toFixed(1)} MiB`,
  ],
  [
    "server CPU",
    `${((samples.reduce((s, x) => s + x.cpu, 0) / samples.length) * 100).toFixed(0)} % of one core on average`,
  ],
  ["joining", `${clients - churners} clients in ${joinSeconds.toFixed(1)} s (groups of 50 per worker)`],
  ["churn", `${sum("churnCycles")} join/vanish cycles, ${sum("churnErrors")} failed`],
  ...(nodes > 1
    ? [
        ["cluster", `${nodes} nodes; what each logged when it stopped: ${clusterSummaries.join("; ")}`] as [
          string,
          string,
        ],
      ]
    : []),
  [
    "readers that stopped",
    `${sum("slowDropped")} of ${slowClients} dropped by the end (they need ~4 MB of kernel buffer plus the 1 MiB outbox to fill)`,
  ],
];
const table = ["| | |", "| --- | --- |", ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join("\n");
const rssTable = [
  "| t (s) | RSS (MiB) | CPU (% of a core) |",
  "| ---: | ---: | ---: |",
  ...samples.map((s) => `| ${s.t} | ${s.rssMiB.toFixed(1)} | ${(s.cpu * 100).toFixed(0)} |`),
].join("\n");
const machine = `${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, ${hostname()}, Bun ${Bun.version}`;
const report = `# Soak benchmark

${new Date().toISOString().slice(0, 10)} on ${machine}; server pinned to CPU 0, load on CPU 1.
Command: \`bun bench/soak.ts --clients ${clients} --slow ${slowClients} --churners ${churners} --rate ${rate} --seconds ${seconds}\`.
Server flags: \`--max-per-ip 0 --max-per-net 0 --connect-rate 0\` (everything else default, flood control on).${
  nodes > 1
    ? `\n${nodes} nodes in cluster mode with their redis-server, all on CPU 0; clients spread over the nodes in turn. RSS and CPU below are the nodes' and Redis's together.`
    : ""
}

${table}

Server over time:

${rssTable}
`;
console.log(`\n${report}`);
if (flags.write) await Bun.write(`${import.meta.dir}/${nodes > 1 ? "SOAK-CLUSTER.md" : "SOAK.md"}`, report);

for (const w of workers) w.kill();
process.exit(sum("lost") === 0 && sum("disconnectedHealthy") === 0 ? 0 : 1);
