// `bun run bench`: bunchat side by side with what a user would pick instead, on loopback.
//
// For each server: fan-out throughput at 10, 100 and 1000 users, latency at 1000 users and a
// fixed 100 lines/s, time to connect and register 1000 users, and RSS with 10,000 idle users.
// Each figure is the median of --runs runs (default 3) and a ratio to bunchat (text).
//
// Core 0 runs the server under test, core 1 the load generator (bench/load.ts, one process that
// holds every client), pinned with taskset when it is there. The servers:
//   bunchat (text) and bunchat (JSON)   server.ts with --flood-rate 0 --max-per-ip 0 --max-per-net 0
//                                       --connect-rate 0 --max-clients 20000 (load from one address)
//   ncat --chat                          Debian's ncat; installed with apt-get if missing and root
//   naive Bun                            bench/baselines/naive.ts: one write per line per recipient
//   Python threads                       bench/baselines/chat_server.py: thread per client, sendall
//   Bun, batched per turn                bench/baselines/batched.ts: bytes in, bytes out, per-turn writes;
//                                        Bun's own floor for bunchat's design (no checks, no log)
//   C, batched per turn                  bench/baselines/ceiling.c (cc -O2 at bench time): epoll, one
//                                        writev per client per turn; the ceiling for bunchat's design
//   bunchat, 2 nodes                     two bunchat servers in cluster mode through one redis-server,
//                                        all three on core 0; users (senders too) split between them
//   bunchat (IRC door)                   server.ts with --irc-port: IRC clients (NICK, USER, JOIN, PRIVMSG)
//   bunchat (text + JSON + IRC)          one room of nc, JSON and IRC users in turn
//   bunchat (WebSocket)                  server.ts with --http-port: the browser's JSON over /ws; and bots
//                                        posting over the HTTP API (posts a second, CPU per post), and
//                                        uploading files (MiB a second, server CPU per MiB)
//   ngircd                               Debian's ngircd (a real IRC daemon), limits lifted in its config;
//                                        installed with apt-get if missing and root
//
//   bun run bench                   # everything, about 2 minutes; writes bench/RESULTS.md
//   bun run bench -- --only bunchat-text,ncat --runs 1 --no-write

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { parseArgs } from "node:util";
import type { Subprocess } from "bun";
import { freePort, startRedis } from "./redis.ts";
import { cpuSeconds, type LoadReply, type LoadRequest, type Protocol, windowLines } from "./shared.ts";
import { LOAD_TEST_LIFTS } from "../src/flags.ts";

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    runs: { type: "string" },
    only: { type: "string" },
    "no-write": { type: "boolean", default: false },
    "load-ms": { type: "string" },
    users: { type: "string" },
    "no-memory": { type: "boolean", default: false },
    "latency-users": { type: "string" },
    "storm-users": { type: "string" },
    profile: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (flags.help) {
  console.log(`Usage: bun bench/run.ts [--quick] [--runs 3] [--only <id,id>] [--users 10,100,1000,5000] [--load-ms 1500]
                        [--latency-users 1000] [--storm-users 10000] [--no-memory] [--profile <dir>] [--no-write]
  --quick    what CI's smoke test runs: 10 and 100 users, one short run each, storm of 1000, no memory
Servers (ids): bunchat-text, bunchat-memory, bunchat-json, ceiling, bun-batched, ncat, naive, python, bunchat-cluster`);
  process.exit(0);
}
const QUICK = flags.quick;
const RUNS = Math.max(1, Number(flags.runs ?? (QUICK ? 1 : 3)));
/** How long each burst and each steady run sends. */
const LOAD_MS = Number(flags["load-ms"] ?? (QUICK ? 300 : 1500));
const USERS = (flags.users ?? (QUICK ? "10,100" : "10,100,1000,5000")).split(",").filter(Boolean).map(Number);
const SENDERS = (users: number) => (users <= 10 ? 2 : 4);
/** Deliveries outstanding at most in a burst: lines ahead of the slowest receiver × receivers, over all senders. */
const WINDOW = 1_000_000;
/** A steady chat: lines a second in all, about 500,000 deliveries a second (at most 2000 lines, at least 50). */
const steadyRate = (users: number) => Math.max(50, Math.min(2000, Math.round(500_000 / users)));
const LATENCY = {
  users: Number(flags["latency-users"] ?? (QUICK ? 100 : 1000)),
  senders: 10,
  perSecond: 100,
  ms: QUICK ? 500 : 1000,
};
/**
 * A chat as IRC servers carry it: a tenth of the room talks, a line a second each (IRC servers
 * hold each client to about one line a second: ngircd does), the rest listens. Lines come one at a
 * time, so every server pays a send() per delivery; half the room talking saturated every server
 * alike (ngircd and bunchat at 4 µs a delivery: the cost of send() here).
 */
const CHAT = QUICK ? { users: 100, ms: 1000 } : { users: 1000, ms: 4000 };
const CHAT_TALKERS = CHAT.users / 10;
/**
 * Many small rooms: users in rooms of `size`, one sender in each, `perSecond` lines a second in all;
 * each beside one room of the same size carrying the same lines a second, to tell what a line costs
 * for being in one of many rooms. `key` names their figures.
 */
const ROOM_SHAPES = (
  QUICK
    ? [{ key: "rooms", users: 100, size: 20, perSecond: 100, ms: 500 }]
    : [
        { key: "rooms", users: 1000, size: 20, perSecond: 100, ms: 3000 },
        { key: "smallRooms", users: 10_000, size: 10, perSecond: 1000, ms: 3000 },
      ]
).map((shape) => ({ ...shape, count: shape.users / shape.size }));
/** The idle server's CPU is measured over this long, once its 10,000 users are in and it has settled. */
const IDLE_CPU_MS = QUICK ? 0 : 5000;
const IDLE_USERS = 10_000;
/** Users connecting at once in the join storm (0: no storm). */
const STORM = Number(flags["storm-users"] ?? (QUICK ? 1000 : 10_000));
const MEMORY = !flags["no-memory"] && !QUICK;
const root = `${import.meta.dir}/..`;
const bun = process.execPath;
/** --profile <dir>: bunchat writes a CPU profile (markdown) there when it stops. */
const PROFILE = flags.profile ? ["--cpu-prof-md", `--cpu-prof-dir=${flags.profile}`] : [];
const LIFTED = ["--flood-rate", "0", ...LOAD_TEST_LIFTS, "--max-clients", "20000"];
/** Where bunchat's history files go: a new file for each server, all removed at the end. */
const DB_DIR = mkdtempSync(`${tmpdir()}/bunchat-bench-db-`);
let dbs = 0;
/** As shipped: history in a file of its own (a fresh one per server). */
const dbFile = () => ["--db", `${DB_DIR}/history-${++dbs}.sqlite`];

interface Target {
  id: string;
  label: string;
  protocol: Protocol;
  command: (port: number) => string[];
  /** Prints "listening on 127.0.0.1:<port>" (with port 0) rather than taking a port. */
  printsPort: boolean;
  memory: boolean;
  /** Rooms bigger than this are not run (and the table says why). */
  maxUsers?: { users: number; why: string };
  /** Cuts lines under load (ncat): a burst's senders can't wait for every line to arrive whole. */
  cutsLines?: boolean;
  /** The join storm: how its users register (bunchat: text and JSON in turn); none if not measured. */
  storm?: Protocol;
  /** Cluster mode: this many nodes of `command`, joined through a redis-server of the benchmark's own. */
  nodes?: number;
  /** It has rooms (bunchat): the many-small-rooms figures are measured. */
  rooms?: boolean;
  /** It keeps history (bunchat): before the join storm its room gets REPLAY_LINES lines, replayed to every joiner. */
  history?: boolean;
  /** It has registered names (bunchat): the cost of logging in is measured. */
  logins?: boolean;
  /**
   * bunchat's IRC door: the clients use the IRC port it prints ("irc"), or (mixed rooms) its own
   * port and the IRC port ("both").
   */
  door?: "irc" | "both" | "web";
  /** It has the HTTP API (bunchat's web door): bots' posts a second are measured. */
  api?: boolean;
  /** Its users must join a channel to talk (IRC): everyone joins #r0. */
  channel?: boolean;
}

const TARGETS: Target[] = [
  {
    id: "bunchat-text",
    label: "bunchat (text)",
    protocol: "text",
    command: () => [bun, ...PROFILE, `${root}/server.ts`, "--host", "127.0.0.1", "--port", "0", ...LIFTED, ...dbFile()],
    printsPort: true,
    memory: true,
    storm: "mixed",
    rooms: true,
    history: true,
    logins: true,
  },
  {
    id: "bunchat-memory",
    label: "bunchat (text, --db none)",
    protocol: "text",
    command: () => [bun, ...PROFILE, `${root}/server.ts`, "--host", "127.0.0.1", "--port", "0", ...LIFTED, "--db", "none"],
    printsPort: true,
    memory: false,
    storm: "mixed",
    history: true,
  },
  {
    id: "bunchat-json",
    label: "bunchat (JSON)",
    protocol: "json",
    command: () => [bun, ...PROFILE, `${root}/server.ts`, "--host", "127.0.0.1", "--port", "0", ...LIFTED, ...dbFile()],
    printsPort: true,
    memory: false, // the same server as text mode: 60.2 MiB with 10,000 idle users when measured
  },
  {
    id: "bunchat-ws",
    label: "bunchat (WebSocket)",
    protocol: "ws",
    // Files beside the history file; the upload rate and quota lifted, as flood control is for lines.
    command: () => [bun, ...PROFILE, `${root}/server.ts`, "--host", "127.0.0.1", "--port", "0", "--http-port", "0", ...LIFTED, ...dbFile(), "--admin", API_ADMIN, "--uploads-per-minute", "10000", "--upload-quota", "100000"],
    printsPort: true,
    memory: false,
    door: "web",
    api: true,
  },
  {
    id: "ncat",
    label: "ncat --chat",
    protocol: "ncat",
    command: (port) => ["ncat", "-l", "127.0.0.1", String(port), "--chat", "--max-conns", "20000"],
    printsPort: false,
    memory: false, // select(): at most 1024 descriptors
    maxUsers: { users: 1000, why: "ncat uses select(), which can't watch more than 1024 descriptors" },
    cutsLines: true,
  },
  {
    id: "naive",
    label: "naive Bun",
    protocol: "text",
    command: () => [bun, `${import.meta.dir}/baselines/naive.ts`, "0"],
    printsPort: true,
    memory: false, // Bun's own floor: 25 MiB idle, 1.9 KiB a connection (measured once; not rerun for time)
    maxUsers: { users: 1000, why: "one send() per delivery: joining 5000 and a burst to them outlast the run's time limits" },
  },
  {
    id: "bun-batched",
    label: "Bun, batched per turn",
    protocol: "text",
    command: () => [bun, `${import.meta.dir}/baselines/batched.ts`, "0"],
    printsPort: true,
    memory: false,
  },
  {
    id: "python",
    label: "Python threads",
    protocol: "text",
    command: () => ["python3", `${import.meta.dir}/baselines/chat_server.py`, "0"],
    printsPort: true,
    memory: false, // a thread per client: 10,000 did not register within a minute in a trial
    maxUsers: { users: 1000, why: "a thread per client: 5000 threads take longer to start than the run" },
  },
  {
    id: "ceiling",
    label: "C, batched per turn",
    protocol: "text",
    // Compiled below, before the runs, with the machine's cc.
    command: () => [CEILING, "0"],
    printsPort: true,
    memory: false,
    storm: "text",
  },
  {
    id: "bunchat-irc",
    label: "bunchat (IRC door)",
    protocol: "irc",
    command: () => [bun, ...PROFILE, `${root}/server.ts`, "--host", "127.0.0.1", "--port", "0", "--irc-port", "0", ...LIFTED, ...dbFile()],
    printsPort: true,
    memory: true,
    door: "irc",
    channel: true,
  },
  {
    id: "bunchat-mixed",
    label: "bunchat (text + JSON + IRC in one room)",
    protocol: "mixed-irc",
    command: () => [bun, ...PROFILE, `${root}/server.ts`, "--host", "127.0.0.1", "--port", "0", "--irc-port", "0", ...LIFTED, ...dbFile()],
    printsPort: true,
    memory: false,
    door: "both",
    channel: true,
  },
  {
    id: "ngircd",
    label: "ngircd",
    protocol: "irc",
    command: (port) => ["ngircd", "--nodaemon", "--config", ngircdConfig(port)],
    printsPort: false,
    // It takes about a dozen new connections a second here, from one address or from 250: 10,000
    // idle users would take a quarter of an hour to connect (the run gives up after two minutes).
    memory: false,
    maxUsers: { users: 1000, why: "ngircd accepts about a dozen connections a second here: 5000 take longer than the run allows" },
    channel: true,
  },
  {
    id: "bunchat-cluster",
    label: "bunchat, 2 nodes",
    protocol: "text",
    command: () => [bun, ...PROFILE, `${root}/server.ts`, "--host", "127.0.0.1", "--port", "0", ...LIFTED],
    printsPort: true,
    memory: false,
    nodes: 2,
    rooms: true,
    storm: "mixed",
    history: true,
  },
];

/**
 * ngircd (a real IRC daemon, from apt) on `port`, with its limits lifted as bunchat's are for the
 * benchmark: no connection caps, no DNS or ident lookups, pings that wait as long as the run.
 */
function ngircdConfig(port: number): string {
  const file = `${DB_DIR}/ngircd-${port}.conf`;
  writeFileSync(
    file,
    `[Global]
  Name = bench.ngircd
  Info = bunchat benchmark
  Listen = 127.0.0.1
  Ports = ${port}
[Limits]
  MaxConnections = 0
  MaxConnectionsIP = 0
  MaxJoins = 0
  MaxNickLength = 32
  PingTimeout = 600
  PongTimeout = 600
[Options]
  DNS = no
  Ident = no
  PAM = no
  MorePrivacy = no
`,
  );
  return file;
}

/** bench/baselines/ceiling.c, compiled for this run: the C server that batches per turn, bunchat's ceiling. */
const CEILING = `${tmpdir()}/bunchat-bench-ceiling-${process.pid}`;

const pin = (cpu: number) => (Bun.which("taskset") && cpus().length > 1 ? ["taskset", "-c", String(cpu)] : []);
const children = new Set<Subprocess>();
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(DB_DIR, { recursive: true, force: true });
});

/** One server under test (or a cluster's nodes and their Redis), and what the nodes logged about the cluster. */
interface Running {
  pids: number[];
  ports: number[];
  /** bunchat's own TCP port, when the load uses another door. */
  tcpPort?: number;
  stop(): Promise<void>;
  /** Each node's "cluster: left; envelopes …" line, once stopped. */
  summaries: string[];
  /** A single server's log so far (its admins' setup codes are there). */
  log?(): Promise<string>;
}

async function startTarget(target: Target): Promise<Running> {
  if (!target.nodes) {
    const fixed = target.printsPort ? undefined : freePort();
    const door = target.door === "web" ? "web" : target.door ? "irc" : undefined;
    const { proc, port, doorPort, logFile } = await startProcess(target.command(fixed ?? 0), target.label, fixed, undefined, door);
    const ports = target.door === "irc" || target.door === "web" ? [doorPort!] : target.door === "both" ? [port, doorPort!] : [port];
    const log = () => Bun.file(logFile).text().catch(() => "");
    return { pids: [proc.pid], ports, tcpPort: port, summaries: [], stop: () => stopServer(proc), log };
  }
  const { proc: redis, url } = await startRedis(pin(0));
  children.add(redis);
  const summaries: string[] = [];
  const nodes: { proc: Subprocess; port: number }[] = [];
  for (let i = 1; i <= target.nodes; i++) {
    const args = ["--redis", url, "--node-id", `bench${i}`];
    nodes.push(await startProcess([...target.command(0), ...args], target.label, undefined, (l) => summaries.push(l)));
  }
  return {
    pids: [...nodes.map((n) => n.proc.pid), redis.pid],
    ports: nodes.map((n) => n.port),
    summaries,
    async stop() {
      await Promise.all(nodes.map((n) => stopServer(n.proc)));
      await stopServer(redis);
    },
  };
}

/**
 * Starts a server on core 0 listening on `fixed`, or on the port it prints. Its log goes to a file
 * (as it would to journald or a log file), not a pipe this process must keep reading: a reader
 * that falls behind makes the server's synchronous log writes wait. `onCluster` gets its
 * "cluster: left" line once it has stopped.
 */
async function startProcess(
  command: string[],
  label: string,
  fixed: number | undefined,
  onCluster?: (line: string) => void,
  door?: "irc" | "web",
): Promise<{ proc: Subprocess; port: number; doorPort?: number; logFile: string }> {
  const logFile = `${tmpdir()}/bunchat-bench-${process.pid}-${++logs}.log`;
  const proc = Bun.spawn([...pin(0), ...command], {
    stdin: "ignore",
    stdout: Bun.file(logFile),
    stderr: "inherit",
    env: { ...process.env, NO_COLOR: "1" },
  });
  children.add(proc);
  logRead.set(
    proc,
    proc.exited.then(async () => {
      const summary = /cluster: left; .*/.exec(await Bun.file(logFile).text().catch(() => ""));
      if (summary) onCluster?.(summary[0]);
      await Bun.file(logFile).delete().catch(() => {});
    }),
  );
  if (fixed !== undefined) {
    await waitForPort(fixed);
    return { proc, port: fixed, logFile };
  }
  for (let i = 0; i < 200 && proc.exitCode === null; i++) {
    const log = await Bun.file(logFile).text().catch(() => "");
    const m = /listening on 127\.0\.0\.1:(\d+)/.exec(log);
    const opened = door === "web" ? /web door on http:\/\/127\.0\.0\.1:(\d+)/.exec(log) : /IRC door on 127\.0\.0\.1:(\d+)/.exec(log);
    if (m && (!door || opened)) return { proc, port: Number(m[1]), logFile, ...(door && opened ? { doorPort: Number(opened[1]) } : {}) };
    await Bun.sleep(50);
  }
  throw new Error(`${label} did not start`);
}
let logs = 0;
/** Per server process: its log read (for the cluster summary) and removed, once it has exited. */
const logRead = new WeakMap<Subprocess, Promise<void>>();

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      s.terminate();
      await Bun.sleep(50); // let the server forget the probe before the clients arrive
      return;
    } catch {
      await Bun.sleep(50);
    }
  }
  throw new Error(`nothing listening on 127.0.0.1:${port}`);
}

async function stopServer(proc: Subprocess): Promise<void> {
  proc.kill("SIGTERM");
  const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(3000).then(() => false)]);
  if (!exited) proc.kill("SIGKILL");
  await proc.exited;
  await logRead.get(proc);
  children.delete(proc);
}

function timeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: Timer | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms))),
  ]);
}

/** One load generator process on core 1, spoken to one request at a time. */
function startLoad() {
  let pending: ((reply: LoadReply) => void) | undefined;
  const proc = Bun.spawn([...pin(1), bun, ...PROFILE, `${import.meta.dir}/load.ts`], {
    stdout: "inherit",
    stderr: "inherit",
    ipc(reply: LoadReply) {
      pending?.(reply);
    },
  });
  children.add(proc);
  return {
    async ask<T extends LoadReply["type"]>(request: LoadRequest, ms: number): Promise<Extract<LoadReply, { type: T }>> {
      const reply = await timeout(
        new Promise<LoadReply>((resolve) => {
          pending = resolve;
          proc.send(request);
        }),
        ms,
        `load generator: no answer to "${request.type}" within ${ms / 1000} s`,
      );
      if (reply.type === "failed") throw new Error(reply.message);
      return reply as Extract<LoadReply, { type: T }>;
    },
    pid: proc.pid,
    async quit() {
      proc.send({ type: "quit" } satisfies LoadRequest);
      await Promise.race([proc.exited, Bun.sleep(2000)]);
      proc.kill("SIGKILL");
      children.delete(proc);
    },
  };
}

/** CPU seconds the server (every node and Redis, for a cluster) has used so far. */
async function serverCpu(server: Running): Promise<number> {
  return (await Promise.all(server.pids.map(cpuSeconds))).reduce((a, b) => a + b, 0);
}

/** Cluster envelopes missed and repeated over every node, from the line each logs when it stops. */
function envelopeCounts(summaries: string[]): string {
  let sent = 0;
  let missed = 0;
  let repeated = 0;
  for (const line of summaries) {
    const m = /(\d+) sent, \d+ received, (\d+) missed, (\d+) repeated/.exec(line);
    if (!m) continue;
    sent += Number(m[1]);
    missed += Number(m[2]);
    repeated += Number(m[3]);
  }
  return summaries.length === 0 ? "no summary" : `${sent} sent, ${missed} missed, ${repeated} repeated`;
}

/** Waits until processes have used no CPU for a second (at most `ms`), then 2 s for memory to be returned. */
async function settle(pids: number[], ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  const used = async () => (await Promise.all(pids.map(cpuSeconds))).reduce((a, b) => a + b, 0);
  let last = await used();
  let quiet = 0;
  while (quiet < 2 && performance.now() < deadline) {
    await Bun.sleep(500);
    const now = await used();
    quiet = now - last <= 0.02 ? quiet + 1 : 0;
    last = now;
  }
  await Bun.sleep(2000);
}

async function rssMiB(pid: number): Promise<number> {
  // With taskset in front, the server is taskset's child after exec: same pid.
  const status = await Bun.file(`/proc/${pid}/status`).text();
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

const pct = (x: number) => `${Math.round(x * 100)} %`;

const median = (xs: number[]) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor((s.length - 1) / 2)]!;
};

/** Deliveries out of order, twice, or cut or glued to another line: a note each, when there are any. */
function noteOdd(
  target: Target,
  where: string,
  odd: { reordered: number; duplicated: number; corrupted: number },
): void {
  const parts = [
    odd.reordered > 0 ? `${odd.reordered} out of order` : "",
    odd.duplicated > 0 ? `${odd.duplicated} twice` : "",
    odd.corrupted > 0 ? `${odd.corrupted} cut or glued to another line` : "",
  ].filter(Boolean);
  if (parts.length > 0) notes.add(`${target.label}, ${where}: deliveries ${parts.join(", ")}`);
}

type Figures = Record<string, number | string>;
const results = new Map<string, Figures>();
const notes = new Set<string>();

/** CPU time of the whole machine from /proc/stat, in seconds: busy (all but idle and iowait) and stolen by the hypervisor. */
async function machineCpu(): Promise<{ busy: number; steal: number }> {
  const f = (await Bun.file("/proc/stat").text()).split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f as [number, number, number, number, number, number, number, number];
  return { busy: (user + nice + system + irq + softirq) / 100, steal: (steal ?? 0) / 100 };
}

/** CPU used over a window, in seconds, and by everything else on the machine, in cores. */
interface CpuUsed {
  server: number;
  load: number;
  seconds: number;
  others: number;
}

/** A window of CPU accounting: the server's, the load generator's, and everyone else's on the machine. */
async function cpuWindow(server: Running, loadPid: number): Promise<() => Promise<CpuUsed>> {
  const start = {
    server: await serverCpu(server),
    load: await cpuSeconds(loadPid),
    self: process.cpuUsage(),
    machine: await machineCpu(),
    at: performance.now(),
  };
  return async () => {
    const serverUsed = (await serverCpu(server)) - start.server;
    const loadUsed = (await cpuSeconds(loadPid)) - start.load;
    const self = process.cpuUsage(start.self);
    const machine = await machineCpu();
    const seconds = (performance.now() - start.at) / 1000;
    const mine = serverUsed + loadUsed + (self.user + self.system) / 1e6;
    // Other processes and other tenants of the VM, in cores: what made a repetition noisy.
    const others = Math.max(0, machine.busy - start.machine.busy - mine) + (machine.steal - start.machine.steal);
    return { server: serverUsed, load: loadUsed, seconds, others: others / seconds };
  };
}

/** A repetition is noisy when other processes (or the hypervisor) took this many cores meanwhile. */
const NOISY_CORES = 0.25;

/** One load shape's figures over the repetitions of one room size. */
interface Shape {
  costs: number[];
  rates: number[];
  serverShare: number[];
  loadShare: number[];
  noisy: number[];
  lost: number;
  p50: number[];
  p99: number[];
}
const emptyShape = (): Shape => ({ costs: [], rates: [], serverShare: [], loadShare: [], noisy: [], lost: 0, p50: [], p99: [] });

async function measure(target: Target): Promise<Figures> {
  const figures: Figures = {};
  for (const users of USERS) {
    if (target.maxUsers && users > target.maxUsers.users) {
      figures[`burst${users}`] = figures[`steady${users}`] = "not run";
      notes.add(`${target.label}: not run above ${target.maxUsers.users} users (${target.maxUsers.why})`);
      continue;
    }
    const senders = SENDERS(users);
    const shapes = { burst: emptyShape(), steady: emptyShape() };
    const odd = { reordered: 0, duplicated: 0, corrupted: 0 };
    try {
      // A fresh server and fresh connections for every repetition: nothing carried over.
      for (let run = 0; run < RUNS; run++) {
        const server = await startTarget(target);
        const load = startLoad();
        try {
          const joined = await load.ask<"joined">(
            { type: "join", protocol: target.protocol, ports: server.ports, users, senders, batch: 200, ...(target.channel ? { rooms: 1 } : {}) },
            60_000,
          );
          if (users === 1000) (setups[target.id] ??= []).push(joined.seconds * 1000);
          // Burst: each sender as fast as the server takes lines, a window ahead of the slowest reader.
          let window = await cpuWindow(server, load.pid);
          const burst = await load.ask<"fanout">(
            { type: "fanout", senders, window: WINDOW, ms: LOAD_MS, giveUpMs: target.cutsLines ? 50 : undefined },
            LOAD_MS + 60_000,
          );
          record(shapes.burst, await window(), burst.deliveries, burst.seconds);
          shapes.burst.lost += burst.lost;
          for (const k of ["reordered", "duplicated", "corrupted"] as const) odd[k] += burst[k];
          // Steady: the same senders at a fixed rate, as a busy room chats.
          window = await cpuWindow(server, load.pid);
          const steady = await load.ask<"latency">(
            { type: "latency", senders, perSecond: steadyRate(users), ms: LOAD_MS, patienceMs: 2000 },
            LOAD_MS + 60_000,
          );
          const steadyCpu = await window();
          record(shapes.steady, steadyCpu, steady.deliveries, steadyCpu.seconds);
          shapes.steady.lost += steady.lost;
          shapes.steady.p50.push(steady.p50);
          shapes.steady.p99.push(steady.p99);
          for (const k of ["reordered", "duplicated", "corrupted"] as const) odd[k] += steady[k];
        } finally {
          await load.quit();
          await server.stop();
          if (target.nodes) envelopes.push(server.summaries);
        }
      }
      for (const [name, shape] of Object.entries(shapes)) {
        figures[`${name}${users}`] = median(shape.rates);
        figures[`${name}Cost${users}`] = median(shape.costs);
        figures[`${name}Lost${users}`] = shape.lost;
        const [serverShare, loadShare] = [median(shape.serverShare), median(shape.loadShare)];
        const limit = loadShare >= 0.9 ? " (load-bound)" : serverShare >= 0.9 ? " (server-bound)" : "";
        figures[`${name}Cpu${users}`] = `${pct(serverShare)} / ${pct(loadShare)}${limit}`;
        if (shape.p99.length > 0) figures[`${name}P99${users}`] = median(shape.p99);
        const noisy = shape.noisy.filter((n) => n >= NOISY_CORES);
        if (noisy.length > 0) {
          notes.add(
            `${target.label}, ${users} users, ${name}: ${noisy.length} of ${RUNS} repetitions noisy (other processes took ${noisy.map((n) => n.toFixed(2)).join(", ")} cores)`,
          );
        }
      }
      noteOdd(target, `${users} users`, odd);
      if (target.nodes) figures[`envelopes${users}`] = envelopeCounts(envelopes.splice(0).flat());
    } catch (err) {
      figures[`burst${users}`] = `failed: ${(err as Error).message}`;
      notes.add(`${target.label}, ${users} users: ${(err as Error).message}`);
    }
    console.log(
      `  ${target.label}, ${users} users: burst ${show(figures[`burstCost${users}`], "ms")} per million (${figures[`burstCpu${users}`]}), steady ${show(figures[`steadyCost${users}`], "ms")} per million`,
    );
  }
  if (setups[target.id]) figures.setup = median(setups[target.id]!);
  // Latency on a server and connections of its own: nothing left over from the other runs.
  if (LATENCY.users > 0 && !(target.maxUsers && LATENCY.users > target.maxUsers.users)) {
    await onFreshServer(target, { users: LATENCY.users, senders: LATENCY.senders }, async (_, load) => {
      const p50: number[] = [];
      const p99: number[] = [];
      const max: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const r = await load.ask<"latency">(
          { type: "latency", senders: LATENCY.senders, perSecond: LATENCY.perSecond, ms: LATENCY.ms, patienceMs: 2000 },
          LATENCY.ms + 20_000,
        );
        p50.push(r.p50);
        p99.push(r.p99);
        max.push(r.max);
        figures.latencyLost = Number(figures.latencyLost ?? 0) + r.lost;
        noteOdd(target, "latency", r);
      }
      Object.assign(figures, { p50: median(p50), p99: median(p99), max: median(max) });
    }).catch((err) => {
      figures.p50 = `failed: ${(err as Error).message}`;
      notes.add(`${target.label}, latency: ${(err as Error).message}`);
    });
  }
  if (target.channel || target.id === "bunchat-text") {
    // A tenth of the room talking at a line a second each: a pace an IRC server's flood control allows.
    const r = await pacedChat(target, "chat", { users: CHAT.users, senders: CHAT_TALKERS }, CHAT_TALKERS, CHAT.ms);
    if (typeof r === "string") figures.chatCost = r;
    else Object.assign(figures, { chatCost: r.cost, chatP99: r.p99, chatRate: r.rate, chatLost: r.lost });
    console.log(
      `  ${target.label}, chat of ${CHAT.users} (${CHAT_TALKERS} talking): ${show(figures.chatRate, "rate")} deliveries/s, ${show(figures.chatCost, "ms")} CPU per million, p99 ${show(figures.chatP99, "ms")}, lost ${figures.chatLost}`,
    );
  }
  for (const shape of target.rooms ? ROOM_SHAPES : []) {
    // Many small rooms, as a team uses them: one sender per room, a chat's pace in all; then one
    // room of that size carrying the same lines a second.
    const { key, count, size, perSecond, ms } = shape;
    const many = await pacedChat(target, `${count} rooms`, { users: shape.users, senders: count, rooms: count }, perSecond, ms);
    const one = await pacedChat(target, `one room of ${size}`, { users: size, senders: SENDERS(size) }, perSecond, ms);
    if (typeof many === "string") figures[`${key}Rate`] = many;
    else {
      Object.assign(figures, {
        [`${key}Rate`]: many.rate,
        [`${key}P99`]: many.p99,
        [`${key}Cost`]: many.cost,
        [`${key}Cpu`]: pct(many.share),
        [`${key}Lost`]: many.lost,
        [`${key}Line`]: many.perLine,
      });
    }
    if (typeof one !== "string") figures[`${key}OneLine`] = one.perLine;
    if (typeof many !== "string" && typeof one !== "string") figures[`${key}Ratio`] = `${(many.perLine / one.perLine).toFixed(2)}×`;
    console.log(
      `  ${target.label}, ${count} rooms of ${size}: ${show(figures[`${key}Rate`], "rate")} deliveries/s, p99 ${show(figures[`${key}P99`], "ms")}, server ${figures[`${key}Cpu`]}, ${show(figures[`${key}Line`], "us")} a line (one room of ${size}: ${show(figures[`${key}OneLine`], "us")})`,
    );
  }
  if (target.memory && MEMORY) {
    const server = await startTarget(target);
    const proc = { pid: server.pids[0]! };
    const load = startLoad();
    try {
      await Bun.sleep(500);
      const idle = await rssMiB(proc.pid);
      await load.ask(
        { type: "join", protocol: target.protocol, ports: server.ports, users: IDLE_USERS, senders: 1, batch: 500, ...(target.channel ? { rooms: 1 } : {}) },
        120_000,
      );
      await settle([proc.pid, load.pid], 60_000);
      const full = await rssMiB(proc.pid);
      Object.assign(figures, { rssIdle: idle, rss10k: full, perUser: ((full - idle) * 1024 * 1024) / IDLE_USERS });
      if (IDLE_CPU_MS > 0) {
        // What keeping 10,000 quiet connections costs: the sweep, timers, keepalives.
        const before = await cpuSeconds(proc.pid);
        const at = performance.now();
        await Bun.sleep(IDLE_CPU_MS);
        figures.idleCpu = `${(((await cpuSeconds(proc.pid)) - before) / ((performance.now() - at) / 1000) * 100).toFixed(2)} %`;
      }
    } catch (err) {
      figures.rss10k = `failed: ${(err as Error).message}`;
    } finally {
      await load.quit();
      await server.stop();
    }
    console.log(`  ${target.label}, ${IDLE_USERS} idle: ${show(figures.rss10k, "mib")}`);
  }
  if (target.logins && LOGINS > 0) {
    await tryOnServer(target, "logins", "loginRate", figures, async (server) => {
      const r = await measureLogins(server.ports[0]!, server.pids[0]!);
      Object.assign(figures, { loginRate: r.perSecond, loginRss: r.peakMiB - r.beforeMiB, loginBusy: r.busy, loginPing: r.pingP99 });
    });
    console.log(
      `  ${target.label}, ${LOGINS} logins at once: ${show(figures.loginRate, "count")} a second, RSS +${show(figures.loginRss, "mib")}, ${figures.loginBusy} told busy first, a bystander's /ping p99 ${show(figures.loginPing, "ms")}`,
    );
  }
  if (target.api && API_POSTS > 0) {
    await tryOnServer(target, "API", "apiRate", figures, async (server) => {
      const r = await measureApi(server, server.tcpPort!, server.ports[0]!);
      Object.assign(figures, { apiRate: r.rate, apiCost: r.cost, apiP99: r.p99, apiRefused: r.refused, uploadRate: r.uploadRate, uploadCost: r.uploadCost });
    });
    console.log(
      `  ${target.label}, HTTP API: ${show(figures.apiRate, "count")} posts a second (${API_AT_ONCE} at once), ${show(figures.apiCost, "ms")} server CPU per thousand, p99 ${show(figures.apiP99, "ms")}, ${figures.apiRefused} refused; uploads ${show(figures.uploadRate, "count")} MiB a second, ${show(figures.uploadCost, "ms")} server CPU per MiB`,
    );
  }
  if (target.storm && STORM > 0) {
    const server = await startTarget(target);
    const load = startLoad();
    try {
      if (target.history) await seedHistory(server.ports[0]!);
      const window = await cpuWindow(server, load.pid);
      const joined = await load.ask<"joined">(
        { type: "join", protocol: target.storm, ports: server.ports, users: STORM, senders: 1, batch: STORM },
        120_000,
      );
      figures.storm = joined.seconds * 1000;
      const cpu = await window();
      figures.stormCpu = `${cpu.server.toFixed(1)} s / ${cpu.load.toFixed(1)} s`;
      // Whether they can chat once in: one line from the first user, timed to the last receiver,
      // behind whatever the storm left queued.
      const r = await load.ask<"latency">(
        { type: "latency", senders: 1, perSecond: 1, ms: 1, patienceMs: 30_000 },
        60_000,
      );
      figures.stormLine = r.max;
      figures.stormLost = r.lost;
    } catch (err) {
      figures.storm = `failed: ${(err as Error).message}`;
      notes.add(`${target.label}, join storm: ${(err as Error).message}`);
    } finally {
      await load.quit();
      await server.stop();
    }
    console.log(
      `  ${target.label}, ${STORM} joining at once: ${show(figures.storm, "ms")}, then a line to all in ${show(figures.stormLine, "ms")}; CPU ${figures.stormCpu}`,
    );
  }
  return figures;
}

/**
 * One measurement on a server of its own, stopped whatever happens; if it fails, the figure under
 * `key` says why, and so does a note.
 */
async function tryOnServer(target: Target, what: string, key: string, figures: Figures, measure: (server: Running) => Promise<void>): Promise<void> {
  const server = await startTarget(target);
  try {
    await measure(server);
  } catch (err) {
    figures[key] = `failed: ${(err as Error).message}`;
    notes.add(`${target.label}, ${what}: ${(err as Error).message}`);
  } finally {
    await server.stop();
  }
}

/** The server admin who makes the API measurement's bot token, and the posts it makes, so many at once. */
const API_ADMIN = "apibench";
const API_POSTS = QUICK ? 2000 : 20_000;
const API_AT_ONCE = 32;
const API_LISTENERS = 10;

/**
 * Bots posting over the HTTP API: an admin registers, logs in and makes a token (/token new), with
 * API_LISTENERS users in the default room; then API_POSTS posts, API_AT_ONCE at a time, on kept-alive
 * connections. Posts a second, the server's CPU per thousand, each post's p99, and refusals.
 */
async function measureApi(server: Running, tcpPort: number, httpPort: number): Promise<{ rate: number; cost: number; p99: number; refused: number; uploadRate: number; uploadCost: number }> {
  const password = "correct-horse-battery";
  /** A line session on the TCP port: what it reads goes to `on`, with a way to write a line. */
  const session = (first: string, on: (text: string, write: (line: string) => void) => void) =>
    Bun.connect({
      hostname: "127.0.0.1",
      port: tcpPort,
      socket: {
        open: (s) => void s.write(`${first}\n`),
        data: (s, chunk) => on(new TextDecoder().decode(chunk), (line) => void s.write(`${line}\n`)),
      },
    });
  let registered!: () => void;
  const registering = new Promise<void>((resolve) => (registered = resolve));
  // An admin's name registers with the setup code the server printed in its log.
  const code = /--admin \S+ is not registered: .* \/register <password> (\S+) /.exec((await server.log?.()) ?? "")?.[1] ?? "";
  const guest = await session(API_ADMIN, (text, write) => {
    if (text.includes("you are in")) write(`/register ${password} ${code}`);
    if (text.includes(" is registered")) registered();
  });
  await timeout(registering, 30_000, "the API admin could not register");
  guest.end();
  await Bun.sleep(300);
  let gotToken!: (token: string) => void;
  const tokenMade = new Promise<string>((resolve) => (gotToken = resolve));
  let asked = false;
  const admin = await session(API_ADMIN, (text, write) => {
    if (/Password[ :(]/.test(text)) write(password);
    if (text.includes("you are in") && !asked) (asked = true), write("/token new apibot");
    const m = /bunchat_[0-9a-f]{12}_[A-Za-z0-9_-]{43}/.exec(text);
    if (m) gotToken(m[0]);
  });
  const token = await timeout(tokenMade, 30_000, "no token was made");
  const listeners = [];
  for (let i = 0; i < API_LISTENERS - 1; i++) listeners.push(await session(`apilistener${i}`, () => {}));
  await Bun.sleep(300);
  const url = `http://127.0.0.1:${httpPort}/api/rooms/lobby/messages`;
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const waits: number[] = [];
  let refused = 0;
  let nextPost = 0;
  const window = await cpuWindow(server, process.pid);
  const start = performance.now();
  const worker = async () => {
    while (nextPost < API_POSTS) {
      const n = nextPost++;
      const sent = performance.now();
      const res = await fetch(url, { method: "POST", headers, body: `{"text":"build ${n} passed"}` });
      await res.arrayBuffer();
      if (res.status !== 201) refused++;
      waits.push(performance.now() - sent);
    }
  };
  await timeout(Promise.all(Array.from({ length: API_AT_ONCE }, worker)), 120_000, "the posts did not all finish");
  const seconds = (performance.now() - start) / 1000;
  const used = await window();
  // Files: UPLOADS of UPLOAD_MIB each, UPLOAD_AT_ONCE at a time, as curl -F sends them (each one's
  // first bytes its own, so each is hashed and written, not found kept already).
  const file = new Uint8Array(UPLOAD_MIB << 20);
  for (let i = 0; i < file.length; i += 4096) file[i] = i & 0xff;
  let nextUpload = 0;
  let uploadsRefused = 0;
  const uploadWindow = await cpuWindow(server, process.pid);
  const uploadStart = performance.now();
  const uploader = async () => {
    while (nextUpload < UPLOADS) {
      const n = nextUpload++;
      const bytes = file.slice();
      new DataView(bytes.buffer).setUint32(0, n);
      const form = new FormData();
      form.append("file", new Blob([bytes]), `build-${n}.bin`);
      const res = await fetch(`http://127.0.0.1:${httpPort}/api/rooms/lobby/files`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
      const answer = await res.text();
      if (res.status !== 201 && uploadsRefused++ === 0) console.error(`  an upload was refused: ${res.status} ${answer}`);
    }
  };
  await timeout(Promise.all(Array.from({ length: UPLOAD_AT_ONCE }, uploader)), 120_000, "the uploads did not all finish");
  const uploadSeconds = (performance.now() - uploadStart) / 1000;
  const uploadUsed = await uploadWindow();
  if (uploadsRefused > 0) console.error(`  ${uploadsRefused} uploads refused`);
  for (const s of [admin, ...listeners]) s.end();
  waits.sort((a, b) => a - b);
  const p99 = waits[Math.min(waits.length - 1, Math.floor(waits.length * 0.99))] ?? 0;
  return {
    rate: Math.round(API_POSTS / seconds),
    cost: Math.round(((used.server * 1000) / API_POSTS) * 1000 * 100) / 100,
    p99: Math.round(p99 * 100) / 100,
    refused,
    uploadRate: Math.round(((UPLOADS - uploadsRefused) * UPLOAD_MIB) / uploadSeconds),
    uploadCost: Math.round(((uploadUsed.server * 1000) / ((UPLOADS - uploadsRefused) * UPLOAD_MIB)) * 100) / 100,
  };
}

/** Files uploaded in the API measurement, their size, and how many at once. */
const UPLOADS = QUICK ? 8 : 48;
const UPLOAD_MIB = 4;
const UPLOAD_AT_ONCE = 4;

/** Registered logins at once in the login measurement (each retrying when told the server is busy). */
const LOGINS = QUICK ? 20 : 200;

/**
 * LOGINS names are registered (a connection each, a few at a time as the server hashes them); then
 * LOGINS connections log in to them at once with their password (the server's real argon2id),
 * each sending it again 200 ms after being told the server is busy, until all are in. Logins a
 * second, how many were told busy first, and the server's RSS at its peak.
 */
async function measureLogins(
  port: number,
  pid: number,
): Promise<{ perSecond: number; busy: number; beforeMiB: number; peakMiB: number; pingP99: number }> {
  const password = "correct-horse-battery";
  const names = Array.from({ length: LOGINS }, (_, i) => `loginbench${i}`);
  /** A connection as `name` that hands what it reads to `onText`, with a way to write a line. */
  const session = (name: string, onText: (text: string, write: (line: string) => void) => void) =>
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open: (s) => void s.write(`${name}\n`),
        data: (s, chunk) => onText(new TextDecoder().decode(chunk), (line) => void s.write(`${line}\n`)),
      },
    });
  /** Runs `one` for every name, and resolves once each has called its `done`. */
  const all = async (one: (name: string, done: () => void) => Promise<{ end(): void }>, ms: number, what: string) => {
    let left = names.length;
    let finished!: () => void;
    const over = new Promise<void>((resolve) => (finished = resolve));
    const sockets = [];
    for (const name of names) sockets.push(await one(name, () => --left === 0 && finished()));
    return { sockets, over: timeout(over, ms, what) };
  };
  // Register them all (busy answers are retried), then leave.
  const registering = await all(
    (name, done) => {
      let sent = false;
      return session(name, (text, write) => {
        if (text.includes("you are in") && !sent) (sent = true), write(`/register ${password}`);
        if (text.includes("checking many passwords")) setTimeout(() => write(`/register ${password}`), 200);
        if (text.includes(" is registered")) done();
      });
    },
    120_000,
    "the names were not all registered",
  );
  await registering.over;
  for (const s of registering.sockets) s.end();
  await Bun.sleep(500);
  // A bystander in the chat meanwhile: a /ping every 100 ms, each answer timed.
  const pongs = new Map<string, (ms: number) => void>();
  let bystanderIn!: () => void;
  const joined = new Promise<void>((resolve) => (bystanderIn = resolve));
  const bystander = await session("loginbystander", (text) => {
    if (text.includes("you are in")) bystanderIn();
    for (const m of text.matchAll(/pong (p\d+)/g)) pongs.get(m[1]!)?.(performance.now());
  });
  await timeout(joined, 5000, "the bystander did not get in");
  const pingWaits: Promise<number>[] = [];
  const ping = (i: number) => {
    const sent = performance.now();
    pingWaits.push(timeout(new Promise<number>((resolve) => pongs.set(`p${i}`, (at) => resolve(at - sent))), 60_000, "a ping went unanswered"));
    bystander.write(`/ping p${i}\n`);
  };
  const beforeMiB = await rssMiB(pid);
  let peakMiB = beforeMiB;
  let busy = 0;
  const start = performance.now();
  const logging = await all(
    (name, done) => {
      let toldBusy = false;
      let counted = false;
      return session(name, (text, write) => {
        const isBusy = text.includes("checking many logins");
        if (isBusy && !toldBusy) busy++;
        toldBusy ||= isBusy;
        // Asked for the password: at once, or 200 ms after being told the server is busy.
        if (/Password[ :(]/.test(text)) {
          if (isBusy) setTimeout(() => write(password), 200);
          else write(password);
        }
        if (text.includes("you are in") && !counted) (counted = true), done();
      });
    },
    120_000,
    "the logins did not all get in",
  );
  let finished = false;
  void logging.over.then(() => (finished = true), () => {});
  for (let i = 0; !finished && i < 1200; i++) {
    ping(i);
    peakMiB = Math.max(peakMiB, await rssMiB(pid));
    await Promise.race([logging.over.catch(() => {}), Bun.sleep(100)]);
  }
  await logging.over;
  const seconds = (performance.now() - start) / 1000;
  const waits = (await Promise.all(pingWaits)).sort((a, b) => a - b);
  for (const s of [...logging.sockets, bystander]) s.end();
  const pingP99 = Math.round(waits[Math.min(waits.length - 1, Math.floor(waits.length * 0.99))] ?? 0);
  return { perSecond: Math.round((LOGINS / seconds) * 10) / 10, busy, beforeMiB, peakMiB, pingP99 };
}

/** Lines said before the join storm, so that each of its users is shown them (bunchat's default replay). */
const REPLAY_LINES = 20;

/** One user says REPLAY_LINES lines in the default room and quits. */
async function seedHistory(port: number): Promise<void> {
  let closed!: () => void;
  const done = new Promise<void>((resolve) => (closed = resolve));
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: { data() {}, close: () => closed(), error: () => closed() },
  });
  const lines = Array.from({ length: REPLAY_LINES }, (_, i) => `history line ${i}\n`).join("");
  socket.write(`seeder\n${lines}quit\n`);
  await timeout(done, 10_000, "the history seeder was not let go");
}

/**
 * A server of its own and a load generator with `users` joined (in `rooms`, if given), for one
 * measurement; both are stopped whatever happens.
 */
/**
 * A chat at a fixed pace on a fresh server (`joining`'s senders, `perSecond` lines in all, for
 * `ms`), RUNS times: medians of deliveries a second, p99, server CPU per million deliveries and its
 * share of a core, and what was lost in all; or why it failed (the note says so too).
 */
async function pacedChat(
  target: Target,
  what: string,
  joining: { users: number; senders: number; rooms?: number },
  perSecond: number,
  ms: number,
): Promise<{ rate: number; p99: number; cost: number; share: number; lost: number; perLine: number } | string> {
  const rates: number[] = [];
  const perLine: number[] = [];
  const p99: number[] = [];
  const cost: number[] = [];
  const share: number[] = [];
  let lost = 0;
  try {
    await onFreshServer(target, joining, async (server, load) => {
      for (let run = 0; run < RUNS; run++) {
        const window = await cpuWindow(server, load.pid);
        const r = await load.ask<"latency">({ type: "latency", senders: joining.senders, perSecond, ms, patienceMs: 3000 }, ms + 30_000);
        const cpu = await window();
        rates.push(r.deliveries / cpu.seconds);
        p99.push(r.p99);
        cost.push((cpu.server / r.deliveries) * 1e9);
        perLine.push((cpu.server / r.sent) * 1e6);
        share.push(cpu.server / cpu.seconds);
        lost += r.lost;
        noteOdd(target, what, r);
      }
    });
  } catch (err) {
    notes.add(`${target.label}, ${what}: ${(err as Error).message}`);
    return `failed: ${(err as Error).message}`;
  }
  return { rate: median(rates), p99: median(p99), cost: median(cost), share: median(share), lost, perLine: median(perLine) };
}

async function onFreshServer(
  target: Target,
  joining: { users: number; senders: number; rooms?: number },
  run: (server: Running, load: ReturnType<typeof startLoad>) => Promise<void>,
): Promise<void> {
  const server = await startTarget(target);
  const load = startLoad();
  try {
    const channel = target.channel && joining.rooms === undefined ? { rooms: 1 } : {};
    await load.ask<"joined">({ type: "join", protocol: target.protocol, ports: server.ports, batch: 200, ...joining, ...channel }, 120_000);
    await run(server, load);
  } finally {
    await load.quit();
    await server.stop();
  }
}

/** Adds one repetition's CPU window to a shape: CPU per million deliveries, rate, shares, noise. */
function record(shape: Shape, cpu: CpuUsed, deliveries: number, seconds: number): void {
  shape.costs.push(deliveries > 0 ? (cpu.server / deliveries) * 1e9 : Number.NaN);
  shape.rates.push(seconds > 0 ? deliveries / seconds : Number.NaN);
  shape.serverShare.push(cpu.server / cpu.seconds);
  shape.loadShare.push(cpu.load / cpu.seconds);
  shape.noisy.push(cpu.others);
}

const setups: Record<string, number[]> = {};
/** Cluster nodes' summaries, per repetition, until a room size is done. */
const envelopes: string[][] = [];

function show(value: number | string | undefined, kind: Kind): string {
  if (value === undefined) return "–";
  if (typeof value === "string") return value.length > 40 ? `${value.slice(0, 40)}…` : value;
  if (value === Number.POSITIVE_INFINITY && kind === "ms") return "over 1 s";
  if (!Number.isFinite(value)) return "–";
  switch (kind) {
    case "rate":
      return value >= 1e6 ? `${(value / 1e6).toFixed(2)}M` : `${(value / 1e3).toFixed(0)}k`;
    case "ms":
      return `${value.toFixed(2)} ms`;
    case "us":
      return `${value.toFixed(0)} µs`;
    case "mib":
      return `${value.toFixed(1)} MiB`;
    case "bytes":
      return `${(value / 1024).toFixed(1)} KiB`;
    case "count":
      return String(value);
  }
}

const only = flags.only?.split(",");
// ncat and redis-server come from Debian's packages; install them when they are wanted and we can.
for (const [id, command, pkg] of [
  ["ncat", "ncat", "ncat"],
  ["bunchat-cluster", "redis-server", "redis-server"],
  ["ngircd", "ngircd", "ngircd"],
] as const) {
  const wanted = !only || only.includes(id);
  if (wanted && !Bun.which(command) && process.getuid?.() === 0 && Bun.which("apt-get")) {
    console.log(`installing ${pkg} (apt-get install -y ${pkg})…`);
    Bun.spawnSync(["apt-get", "install", "-y", pkg], { stdout: "ignore", stderr: "ignore" });
  }
}
const NEEDS: Record<string, string> = { ncat: "ncat", python: "python3", ceiling: "cc", "bunchat-cluster": "redis-server", ngircd: "ngircd" };
const chosen = TARGETS.filter((t) => !only || only.includes(t.id));
/** Servers that can't run here: still a column, saying why. */
const skipped = new Map<string, string>();
for (const t of chosen) {
  const needs = NEEDS[t.id];
  if (needs !== undefined && !Bun.which(needs)) skipped.set(t.id, `not run: ${needs} is not installed`);
}
const targets = chosen.filter((t) => !skipped.has(t.id));
const CC = targets.some((t) => t.id === "ceiling") || Bun.which("cc") !== null;
if (targets.some((t) => t.id === "ceiling")) {
  const cc = Bun.spawnSync(["cc", "-O2", "-o", CEILING, `${import.meta.dir}/baselines/ceiling.c`], { stderr: "pipe" });
  if (cc.exitCode !== 0) throw new Error(`cc could not build bench/baselines/ceiling.c: ${cc.stderr.toString()}`);
  process.on("exit", () => void Bun.spawnSync(["rm", "-f", CEILING]));
}

/** What one loopback send() costs here, on the servers' core with the reader on the load's: the latency floor. */
function sendCost(): number | undefined {
  if (!CC) return undefined;
  const binary = `${tmpdir()}/bunchat-bench-send-cost-${process.pid}`;
  const cc = Bun.spawnSync(["cc", "-O2", "-o", binary, `${import.meta.dir}/baselines/send_cost.c`], { stderr: "pipe" });
  if (cc.exitCode !== 0) return undefined;
  const costs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const out = Bun.spawnSync([...pin(0), binary, cpus().length > 1 ? "1" : "0"], { stdout: "pipe" }).stdout.toString();
    costs.push(Number(/(\d+) ns per send/.exec(out)?.[1] ?? Number.NaN));
  }
  Bun.spawnSync(["rm", "-f", binary]);
  return median(costs);
}

const started = performance.now();
const SEND_NS = sendCost();
for (const target of targets) {
  console.log(`${target.label}…`);
  results.set(target.id, await measure(target));
}
const elapsed = (performance.now() - started) / 1000;

// The table: one row per figure, one column per server; in brackets, how many times the C
// ceiling's figure it is, measured in the same run.
const CEIL = results.get("ceiling");
type Kind = "rate" | "ms" | "us" | "mib" | "bytes" | "count";
type Row = { label: string; key: string; kind: Kind; versusCeiling?: boolean };
const perSize = (label: (u: number) => string, key: string, kind: Kind, versusCeiling = false): Row[] =>
  USERS.map((u) => ({ label: label(u), key: `${key}${u}`, kind, versusCeiling }));
const ROWS: Row[] = [
  ...perSize((u) => `**burst, ${u} users**: server CPU per million deliveries`, "burstCost", "ms", true),
  ...perSize((u) => `**steady, ${u} users** (${steadyRate(u)} lines/s): server CPU per million`, "steadyCost", "ms", true),
  ...perSize((u) => `burst, ${u} users: CPU server / load`, "burstCpu", "count"),
  ...perSize((u) => `steady, ${u} users: CPU server / load`, "steadyCpu", "count"),
  ...perSize((u) => `burst, ${u} users: deliveries/s`, "burst", "rate"),
  ...perSize((u) => `steady, ${u} users: p99 from send to receipt`, "steadyP99", "ms"),
  ...perSize((u) => `lost, ${u} users (burst / steady)`, "lost", "count"),
  ...(targets.some((t) => t.nodes) ? perSize((u) => `cluster envelopes, ${u} users`, "envelopes", "count") : []),
  {
    label: `latency p50, ${LATENCY.users} users, ${LATENCY.perSecond} lines/s`,
    key: "p50",
    kind: "ms",
    versusCeiling: true,
  },
  { label: "latency p99", key: "p99", kind: "ms", versusCeiling: true },
  { label: "latency max", key: "max", kind: "ms" },
  { label: "lost in the latency runs", key: "latencyLost", kind: "count" },
  { label: "connect and register 1000 users (200 at a time)", key: "setup", kind: "ms", versusCeiling: true },
  {
    label: `**chat of ${CHAT.users}**, ${CHAT_TALKERS} talking a line a second each: server CPU per million deliveries`,
    key: "chatCost",
    kind: "ms",
  },
  { label: `chat of ${CHAT.users}: deliveries/s`, key: "chatRate", kind: "rate" },
  { label: `chat of ${CHAT.users}: p99 from send to receipt`, key: "chatP99", kind: "ms" },
  { label: `chat of ${CHAT.users}: lost`, key: "chatLost", kind: "count" },
  ...ROOM_SHAPES.flatMap(({ key, count, size, users, perSecond }): Row[] => [
    { label: `**${count} rooms of ${size}** (${users.toLocaleString("en")} users), ${perSecond} lines/s in all: deliveries/s`, key: `${key}Rate`, kind: "rate" },
    { label: `${count} rooms of ${size}: p99 from send to receipt`, key: `${key}P99`, kind: "ms" },
    { label: `${count} rooms of ${size}: server CPU (share of a core)`, key: `${key}Cpu`, kind: "count" },
    { label: `${count} rooms of ${size}: server CPU per million deliveries`, key: `${key}Cost`, kind: "ms" },
    { label: `${count} rooms of ${size}: server CPU per line`, key: `${key}Line`, kind: "us" },
    { label: `one room of ${size}, the same ${perSecond} lines/s: server CPU per line`, key: `${key}OneLine`, kind: "us" },
    { label: `${count} rooms of ${size}: a line's CPU ÷ one room's (goal: at most 2×)`, key: `${key}Ratio`, kind: "count" },
    { label: `${count} rooms of ${size}: lost`, key: `${key}Lost`, kind: "count" },
  ]),
  {
    label: `**join storm**: ${STORM.toLocaleString("en")} users connect and register at once`,
    key: "storm",
    kind: "ms",
    versusCeiling: true,
  },
  { label: "join storm: CPU server / load", key: "stormCpu", kind: "count" },
  { label: "then one line reaches all of them", key: "stormLine", kind: "ms" },
  { label: `**logins**: ${LOGINS} logins to a registered name at once (argon2id): logins a second`, key: "loginRate", kind: "count" },
  { label: "logins: server RSS growth at the peak", key: "loginRss", kind: "mib" },
  { label: "logins: told busy at first (then retried)", key: "loginBusy", kind: "count" },
  { label: "logins: a bystander's /ping p99 meanwhile (goal: under 500 ms)", key: "loginPing", kind: "ms" },
  { label: `**HTTP API**: bots' posts a second (${API_AT_ONCE} at once, ${API_LISTENERS} users in the room)`, key: "apiRate", kind: "count" },
  { label: "HTTP API: server CPU per thousand posts", key: "apiCost", kind: "ms" },
  { label: "HTTP API: p99 of a post", key: "apiP99", kind: "ms" },
  { label: "HTTP API: posts refused", key: "apiRefused", kind: "count" },
  { label: `**uploads**: MiB a second (${UPLOAD_MIB} MiB files, ${UPLOAD_AT_ONCE} at once, multipart as curl -F sends them)`, key: "uploadRate", kind: "count" },
  { label: "uploads: server CPU per MiB", key: "uploadCost", kind: "ms" },
  { label: "RSS idle", key: "rssIdle", kind: "mib" },
  { label: `RSS with ${IDLE_USERS.toLocaleString("en")} idle users`, key: "rss10k", kind: "mib" },
  { label: "per idle user", key: "perUser", kind: "bytes" },
  { label: `server CPU with ${IDLE_USERS.toLocaleString("en")} idle users (share of a core; goal: under 1 %)`, key: "idleCpu", kind: "count" },
];
for (const figures of results.values()) {
  for (const u of USERS) {
    if (figures[`burstLost${u}`] !== undefined) figures[`lost${u}`] = `${figures[`burstLost${u}`]} / ${figures[`steadyLost${u}`] ?? "–"}`;
  }
}
const ratio = (row: Row, value: number | string | undefined) => {
  const c = CEIL?.[row.key];
  if (!row.versusCeiling || typeof value !== "number" || typeof c !== "number" || c === 0) return "";
  const r = value / c;
  return ` (${r >= 10 ? r.toFixed(0) : r.toFixed(1)}×)`;
};
const columns = [...chosen];
const cell = (t: Target, row: Row) => {
  const why = skipped.get(t.id);
  if (why) return why;
  const v = results.get(t.id)?.[row.key];
  return `${show(v, row.kind)}${t.id === "ceiling" ? "" : ratio(row, v)}`;
};
const table = [
  `| | ${columns.map((t) => t.label).join(" | ")} |`,
  `| --- |${columns.map(() => " ---: |").join("")}`,
  ...ROWS.filter((row) => [...results.values()].some((f) => f[row.key] !== undefined)).map(
    (row) => `| ${row.label} | ${columns.map((t) => cell(t, row)).join(" | ")} |`,
  ),
].join("\n");

const floorMs = SEND_NS === undefined ? undefined : ((LATENCY.users - 1) * SEND_NS) / 1e6;
const machine = `${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, Linux, Bun ${Bun.version}`;
const when = new Date().toISOString().slice(0, 16).replace("T", " ");
const report = `# Benchmark results

${when} UTC on ${machine}.
Command: \`bun run bench${QUICK ? " -- --quick" : ""}\` (${RUNS} repetition${RUNS > 1 ? "s" : ""} of each figure, each on a fresh server; the median is shown), ${elapsed.toFixed(0)} s.

${table}

In brackets: how many times the figure of **C, batched per turn** (the ceiling for bunchat's design,
measured in the same run) it is; 1.0× is as cheap as the ceiling.
${SEND_NS === undefined ? "" : `
**One loopback send() costs ${(SEND_NS / 1000).toFixed(1)} µs here** (bench/baselines/send_cost.c, on the servers' core, the
reader on the load's), so a line to ${LATENCY.users} users is ${LATENCY.users - 1} sends: its last reader gets it no sooner
than ${floorMs!.toFixed(1)} ms after it arrives, whoever the server is. That is the floor under the latency rows.
`}
- **Burst**: ${SENDERS(10)} senders at 10 users, ${SENDERS(100)} otherwise, each writing as fast as the server takes lines for
  ${LOAD_MS / 1000} s, never more than ${WINDOW.toLocaleString("en")} deliveries ahead of the slowest receiver in all
  (${USERS.map((u) => `${windowLines(WINDOW, u - SENDERS(u), SENDERS(u))} lines per sender at ${u} users`).join(", ")}). Lines arrive in big
  reads, which favours servers that batch per turn.
- **Steady**: the same senders at a fixed rate in all (${USERS.map((u) => `${steadyRate(u)} lines/s at ${u} users`).join(", ")}:
  about 500,000 deliveries a second, at most 2000 lines), as a busy room chats: most lines are a
  turn of their own.
- **Server CPU per million deliveries** is the headline: the server's CPU seconds (from /proc, user
  and system) over the deliveries of the same window, whoever was the bottleneck. "CPU server /
  load" says which side was busy: **(load-bound)** marks a load generator at 90 % of its core or
  more, **(server-bound)** a server there.
- Every payload carries sender, sequence number and send time, and every line is checked whole, so
  lost (never received), out of order, twice, and cut or glued to another line (not a delivery) are
  counted apart; the last three are listed below when there are any. A server that delivers
  everything is waited for however long it stalls (its time includes the stall); only for ncat,
  which cuts lines, does a burst move on after 50 ms without a delivery. A run ends when every
  receiver has every line, or after 2 s without a delivery.
- **Latency**: ${LATENCY.senders} senders together at ${LATENCY.perSecond} lines/s for ${LATENCY.ms / 1000} s to ${LATENCY.users} users, on a server and connections of
  their own; from the sender's write to each receiver's read, both in the load generator.
- **Many rooms** (bunchat only: the others have one room): ${ROOM_SHAPES.map((r) => `${r.users.toLocaleString("en")} users in ${r.count} rooms of ${r.size}, ${r.perSecond} lines a second in all`).join("; ")};
  each user is in the default room and one of the rooms (\`/join #r<n>\`), one sender in each room,
  for ${(ROOM_SHAPES[0]?.ms ?? 0) / 1000} s; a line reaches its room's other members and nobody else (a line that reached
  anyone else would be counted as cut or glued: not a delivery). Server CPU over the same window.
  Beside each, one room of the same size carrying the same lines a second (2 to 4 senders), on a
  server of its own: the goal is that a line costs at most twice as much for being in one of many rooms.
${MEMORY ? `- **Idle**: with ${IDLE_USERS.toLocaleString("en")} users in and quiet (after the RSS figure), the server's CPU over ${IDLE_CPU_MS / 1000} s.\n` : ""}- **Join storm**: ${STORM.toLocaleString("en")} users connect at once and register (bunchat: half in plain text, half
  structured; the C server: plain text) until each has been welcomed; then one line from the first
  is timed to the last receiver, behind whatever the storm left queued. bunchat's room has ${REPLAY_LINES} lines
  of history first, so each user is also sent them on joining (a "history" block after the welcome).
- **Logins** (bunchat in text mode): ${LOGINS} names are registered, then ${LOGINS} connections log in
  to them at once with the server's real password hashing (argon2id, 64 MiB and about 144 ms a
  hash, 2 at a time, 64 waiting); one told the server is busy sends its password again 200 ms
  later. Logins a second until all are in, how much the server's RSS grew at its peak, and the
  p99 of a bystander's \`/ping\` (one every 100 ms) while they log in.
- **Memory** (bunchat in text mode): server RSS with ${IDLE_USERS.toLocaleString("en")} registered users doing nothing, measured once
  the server and the load generator have been idle for a second, and 2 s more.
- Core 0 runs the server, core 1 the load generator (one process holding every client). The CPU of
  everything else on the machine, and what the hypervisor stole, is recorded for every window; a
  repetition where they took ${NOISY_CORES} of a core or more is listed below as noisy.
- bunchat runs with \`${LIFTED.join(" ")}\`: flood control and the per-address caps would
  otherwise (rightly) stop one address sending this fast. Everything else, sanitising, logging every
  public line, keeping history and the outbox cap included, is as shipped. Its log goes to a file.
- **History**: "bunchat (text)" and "bunchat (JSON)" keep history as shipped, in a SQLite file of
  their own (a new one per server); "bunchat (text, --db none)" keeps it in memory (the same store,
  no file); the 2 nodes keep it in Redis streams.
${[...notes].map((n) => `- ${n}`).join("\n")}

## The servers

- **C, batched per turn** (bench/baselines/ceiling.c, compiled with \`cc -O2\` for the run) does what
  bunchat does, per event-loop turn (one epoll_wait): it reads each ready socket once, collects the
  complete lines, and gives each client one writev of the turn without its own lines, queueing what
  a socket does not take. It batches its join notices per turn too. The ceiling for bunchat's design
  on this machine: what is left between the two is bunchat's own cost.
- **Bun, batched per turn** (bench/baselines/batched.ts) is the least a Bun server can do per line
  with the same per-turn batching: bytes in, bytes out, one write per client per turn, no strings,
  no checks, no log. It is Bun's own floor for this design: what lies between it and the C server
  is the runtime's, what lies between bunchat and it is bunchat's.
- **ncat --chat** forwards whatever one read() returned, prefixed with \`<userN>\`, in one write per
  reader: cheap, but under load a read ends in the middle of a line, so lines are cut and glued to
  the next sender's prefix; those are its "lost". It uses select(), so it can't hold more than 1024
  connections.
- **naive Bun** (bench/baselines/naive.ts) writes each line to each socket separately, one send()
  per delivery, and keeps what a socket did not take for its drain (a first version that is
  correct, not tuned).
- **Python threads** (bench/baselines/chat_server.py): a thread per client, a lock around the client
  list held while a line is written to everyone (so two senders never interleave on one socket),
  sendall, TCP_NODELAY.
- **bunchat (WebSocket)**: the web door (\`--http-port\`), its users speaking JSON over a WebSocket
  at \`/ws\` as the browser client does (Bun's WebSocket client in the load generator), beside
  **bunchat (JSON)**, the same events over plain TCP. Its HTTP API rows: an admin makes a bot
  token, then bots post lines to a room of ${API_LISTENERS} users, ${API_AT_ONCE} posts at a time
  on kept-alive connections.
- **bunchat, 2 nodes**: two bunchat servers in cluster mode and their redis-server, all on core 0
  (the same one core the single server gets), users and senders split between the nodes in turn,
  so most deliveries cross from one node to the other through Redis. Its CPU is both nodes' and
  Redis's. "Cluster envelopes" adds up what the nodes logged when they stopped: envelopes
  published, and ones a node found missing or repeated by their sequence numbers.

## Reading it

- Where bunchat's time goes, and what was done about it: [PROFILES.md](PROFILES.md).

- **Per-turn batching helps whenever lines queue**, not only in bursts: at 1000 users and more a
  line takes milliseconds to reach its last reader, so lines arriving meanwhile share the next
  turn's writes, and the cost per delivery falls as the rate rises.
- **Latency at 1000 users is bounded by send()**: every line is 999 of them, one per reader, whatever
  the server. The floor above is what one core of this machine can do; the honest comparison is
  with the ceiling in the same run, not a fixed number of milliseconds.
`;
console.log(`\n${report}`);
if (!flags["no-write"]) {
  await Bun.write(`${import.meta.dir}/RESULTS.md`, report);
  // The figures the README quotes (scripts/docs.ts renders them), so they can't drift from this run.
  const json = {
    when,
    machine,
    command: `bun run bench${QUICK ? " -- --quick" : ""}`,
    runs: RUNS,
    users: USERS,
    sendNs: SEND_NS,
    floorMs,
    latencyUsers: LATENCY.users,
    storm: STORM,
    idleUsers: IDLE_USERS,
    roomShapes: ROOM_SHAPES.map(({ key, count, size, perSecond }) => ({ key, count, size, perSecond })),
    figures: Object.fromEntries(results),
  };
  await Bun.write(`${import.meta.dir}/results.json`, `${JSON.stringify(json, null, 2)}\n`);
}
process.exit(0);
