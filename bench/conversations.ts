// `bun bench/conversations.ts`: what keeping private conversations costs (issue 32). Writes
// bench/CONVERSATIONS.md with --write.
//
// Two registered users on one server (a history file of the script's own), JSON over bunchat's
// port: Ana sends Sam 20,000 private messages, as fast as the server takes them (flood control
// off), and the run ends when Sam has them all. Measured: the server's CPU for them and the time,
// with --keep-private on (each is kept: the journal before it is delivered, the file within 100 ms,
// both accounts' lists of conversations) and off (delivered only), in turns, three runs each; and
// the history file's growth. Then Sam comes back: the time until his catch-up of those he missed.
//
// Bounded: every wait has a deadline, every loop a count.

import type { Socket } from "bun";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SqliteFile } from "../src/store/sqlite/file.ts";
import { DEFAULT_RETENTION } from "../src/store/history.ts";
import { foldName } from "../src/protocol/names.ts";
import { cpuSeconds, openLines, startServer } from "./shared.ts";

const { values: flags } = parseArgs({ options: { messages: { type: "string", default: "20000" }, runs: { type: "string", default: "3" }, write: { type: "boolean", default: false } } });
const MESSAGES = Number(flags.messages);
const RUNS = Number(flags.runs);
const DEADLINE_MS = 120_000;

/** A JSON connection logged in to `name`: counts what it is sent of one type. */
async function login(port: number, name: string): Promise<{ socket: Socket; count(type: string): number; wait(type: string, n: number): Promise<boolean> }> {
  const counts = new Map<string, number>();
  let wake: (() => void) | undefined;
  const socket = await openLines(port, (line) => {
    const type = /^\{"type":"([a-z-]+)"/.exec(line)?.[1];
    if (type) counts.set(type, (counts.get(type) ?? 0) + 1);
    if (type === "history") counts.set("history-lines", (counts.get("history-lines") ?? 0) + (line.match(/"type":"private/g)?.length ?? 0));
    wake?.();
  });
  socket.write(`{"type":"hello","proto":1}\n${name}\ncorrect-horse\n`);
  const client = {
    socket,
    count: (type: string) => counts.get(type) ?? 0,
    async wait(type: string, n: number) {
      for (const deadline = Date.now() + DEADLINE_MS; client.count(type) < n && Date.now() < deadline; ) {
        await Promise.race([new Promise<void>((r) => (wake = r)), Bun.sleep(50)]);
      }
      return client.count(type) >= n;
    },
  };
  if (!(await client.wait("welcome", 1))) throw new Error(`${name} was not let in`);
  return client;
}

async function run(dir: string, keep: boolean, i: number): Promise<{ cpu: number; seconds: number; bytes: number; catchUp?: { seconds: number; lines: number } }> {
  const path = join(dir, `run${i}-${keep ? "on" : "off"}.sqlite`);
  const file = new SqliteFile({ path, retention: DEFAULT_RETENTION, status: { paused() {}, resumed() {} } });
  const hash = await Bun.password.hash("correct-horse", { algorithm: "argon2id", memoryCost: 1024, timeCost: 1 });
  for (const name of ["Ana", "Sam"]) file.accounts.put(foldName(name), { name, hash, created: Date.now() });
  file.close();
  const server = await startServer(path, ["--keep-private", keep ? "on" : "off"]);
  try {
    const [ana, sam] = [await login(server.port, "Ana"), await login(server.port, "Sam")];
    await Bun.sleep(500);
    const before = statSync(path).size;
    const cpu0 = await cpuSeconds(server.pid);
    const t0 = performance.now();
    for (let sent = 0; sent < MESSAGES; ) {
      const batch = Math.min(500, MESSAGES - sent);
      let lines = "";
      for (let k = 0; k < batch; k++) lines += `/pm Sam message ${sent + k}: the build on main is green again\n`;
      ana.socket.write(lines);
      sent += batch;
      await sam.wait("private", sent - 1000); // at most 1000 on their way
    }
    if (!(await sam.wait("private", MESSAGES))) throw new Error(`Sam had ${sam.count("private")} of ${MESSAGES}`);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = (await cpuSeconds(server.pid)) - cpu0;
    await Bun.sleep(300); // the file has them (100 ms)
    const bytes = statSync(path).size + statSync(`${path}-wal`, { throwIfNoEntry: false })?.size! - before;
    if (!keep) return { cpu, seconds, bytes };
    // Sam leaves, 200 more come, he comes back: shown them, as his catch-up.
    sam.socket.end();
    await Bun.sleep(300);
    for (let k = 0; k < 200; k++) ana.socket.write(`/pm Sam while away ${k}\n`);
    await ana.wait("notice", 200);
    const t1 = performance.now();
    const back = await login(server.port, "Sam");
    await back.wait("history", 1);
    return { cpu, seconds, bytes, catchUp: { seconds: (performance.now() - t1) / 1000, lines: back.count("history-lines") } };
  } finally {
    await server.stop();
  }
}

const dir = mkdtempSync(join(tmpdir(), "bunchat-conversations-"));
const on: Awaited<ReturnType<typeof run>>[] = [];
const off: Awaited<ReturnType<typeof run>>[] = [];
try {
  for (let i = 0; i < RUNS; i++) {
    off.push(await run(dir, false, i));
    on.push(await run(dir, true, i));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const per = (r: { cpu: number }) => ((r.cpu * 1000) / MESSAGES) * 10_000; // ms per 10,000
const list = (rs: { cpu: number }[]) => rs.map((r) => per(r).toFixed(0)).join(" / ");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ratio = median(on.map(per)) / median(off.map(per));
const md = `# What keeping private conversations costs (bun bench/conversations.ts, ${new Date().toISOString().slice(0, 10)})

Two registered users on one server; Ana sends Sam ${MESSAGES} private messages as fast as the server
takes them (flood control off); runs in turns, --keep-private off then on, ${RUNS} of each.

| measured | off (delivered only) | on (kept) |
| --- | ---: | ---: |
| server CPU per 10,000 private messages, each run (ms) | ${list(off)} | ${list(on)} |
| median | ${median(off.map(per)).toFixed(0)} | ${median(on.map(per)).toFixed(0)} (${ratio.toFixed(2)}×) |
| time for all of them, median (s) | ${median(off.map((r) => r.seconds)).toFixed(2)} | ${median(on.map((r) => r.seconds)).toFixed(2)} |
| history file's growth (and its WAL), median | ${(median(off.map((r) => r.bytes)) / 1024).toFixed(0)} KiB | ${(median(on.map((r) => r.bytes)) / 1024).toFixed(0)} KiB |

Then Sam leaves, Ana sends 200 more, and Sam logs in again: his catch-up (the history event of
the conversation) came ${median(on.map((r) => r.catchUp!.seconds * 1000)).toFixed(0)} ms after he connected, with ${on[0]!.catchUp!.lines} lines.
`;
console.log(md);
if (flags.write) await Bun.write(join(import.meta.dir, "CONVERSATIONS.md"), md);
