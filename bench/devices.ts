// `bun bench/devices.ts`: one account on many devices, measured (issue 32). Writes bench/DEVICES.md.
//
// Catch-up: 1000 registered users, each in 5 of 50 rooms, each with a read marker in each of its rooms and a
// page session; then 40 lines said in every room after the markers (200 missed lines a user). The
// history file is made here, then the server starts on it (as after a restart). All 1000 pages
// reconnect at once over the WebSocket: `/resume <token>`, then `/join` each of their 5 rooms, as
// the page does. Measured: the time until every user has been shown what it missed in all 5 rooms
// (and has said a line), the server's RSS at its peak, and a bystander's /ping round trips meanwhile.
//
// Two devices each: 9000 registered users come in through the WebSocket with one session each, and
// the server's RSS is read once they are all in and it has settled; then each comes in again with a
// second session (another device of the same user), and it is read again. The goal is that the
// second 9000 connections cost less than the first (one member, two outboxes). 9000, not 10,000:
// this machine lets a process hold 20,000 sockets, and the crowd's end holds them all.
//
// The server runs on core 0 (taskset, when it is there), the crowd here; flood control and the
// per-address caps are lifted (LOAD_TEST_LIFTS): one machine plays a thousand. Bounded: every wait
// has a deadline, every loop a count.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteFile } from "../src/store/sqlite/file.ts";
import { DEFAULT_RETENTION } from "../src/store/history.ts";
import { newSession } from "../src/session/secrets.ts";
import { foldName } from "../src/protocol/names.ts";
import { fillRedis, openLines, percentile, pin, startServer } from "./shared.ts";
import { startRedis } from "./redis.ts";

const ROOMS = 50;
const ROOMS_EACH = 5;
const MISSED_PER_ROOM = 40; // 5 rooms × 40 = 200 lines a user missed
const CATCH_UP_USERS = 1000;
const DEVICE_USERS = 9000;
const DEADLINE_MS = 60_000;

const room = (i: number) => `#room${String(i).padStart(2, "0")}`;
const roomsOf = (u: number) => Array.from({ length: ROOMS_EACH }, (_, k) => room((u * ROOMS_EACH + k) % ROOMS));
const name = (u: number) => `user${String(u).padStart(4, "0")}`;
const markerAt = Date.now() - 3_600_000;

/** A history file as a server left it: `users` accounts (one hash for all: a login with the password is not what is measured), `sessions` page sessions each (their tokens, by user), and for `rooms` > 0 markers in each user's rooms with `missed` lines said in every room after them. */
async function prepare(path: string, users: number, sessions: number, rooms: boolean): Promise<string[][]> {
  const file = new SqliteFile({ path, retention: DEFAULT_RETENTION, status: { paused() {}, resumed() {} } });
  const hash = await Bun.password.hash("correct-horse", { algorithm: "argon2id", memoryCost: 1024, timeCost: 1 });
  const tokens: string[][] = [];
  for (let u = 0; u < users; u++) {
    const key = foldName(name(u));
    file.accounts.put(key, { name: name(u), hash, created: markerAt });
    tokens.push(
      Array.from({ length: sessions }, () => {
        const made = newSession(key, Date.now());
        file.sessions.put(made.record);
        return made.text;
      }),
    );
    if (rooms) for (const r of roomsOf(u)) file.markers.set(key, r, markerAt);
  }
  if (rooms) {
    const history = file.history;
    for (let i = 0; i < MISSED_PER_ROOM; i++) {
      for (let r = 0; r < ROOMS; r++) {
        history.keep({ type: "public", id: history.nextId(), room: room(r), from: "deploy", text: `line ${i} of ${room(r)}: the build is green`, ts: markerAt + 1000 + i, bot: true });
      }
    }
    history.flush();
  }
  file.close();
  return tokens;
}

/** A bystander on bunchat's port, asking /ping every 20 ms until stopped: its round trips. */
async function bystander(port: number): Promise<{ stop(): Promise<number[]> }> {
  const pings: number[] = [];
  let waiting: ((line: string) => void) | undefined;
  let on = true;
  const socket = await openLines(port, (line) => waiting?.(line));
  socket.write("bystander\n");
  await Bun.sleep(300);
  const run = (async () => {
    for (let i = 0; on && i < 5000; i++) {
      const token = `p${i}`;
      const at = performance.now();
      const answered = new Promise<void>((resolve) => (waiting = (line) => line === `pong ${token}` && resolve()));
      socket.write(`/ping ${token}\n`);
      await Promise.race([answered, Bun.sleep(5000)]);
      pings.push(performance.now() - at);
      await Bun.sleep(20);
    }
    socket.end();
  })();
  return {
    async stop() {
      on = false;
      await run;
      return pings;
    },
  };
}

/**
 * A page at `httpPort` signing in with `token` (as /ws?echo=1: its own lines come back), then
 * `joined` with what it was sent so far, once welcomed; `next(test)` the first event passing it.
 */
function page(httpPort: number, token: string, label: string): Promise<{ ws: WebSocket; send(line: string): void; until<T>(pick: (e: Record<string, unknown>) => T | undefined): Promise<T> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${httpPort}/ws?echo=1`);
    let pending = "";
    const pickers = new Set<(e: Record<string, unknown>) => boolean>();
    const timer = setTimeout(() => (ws.close(), reject(new Error(`${label}: not in within ${DEADLINE_MS} ms`))), DEADLINE_MS);
    const handle = {
      ws,
      send: (line: string) => ws.send(line),
      until<T>(pick: (e: Record<string, unknown>) => T | undefined): Promise<T> {
        return new Promise<T>((done, fail) => {
          const t = setTimeout(() => fail(new Error(`${label}: waited ${DEADLINE_MS} ms`)), DEADLINE_MS);
          const picker = (e: Record<string, unknown>) => {
            const got = pick(e);
            if (got === undefined) return false;
            clearTimeout(t);
            done(got);
            return true;
          };
          pickers.add(picker);
        });
      },
    };
    ws.onmessage = (m) => {
      pending += String(m.data);
      let at: number;
      while ((at = pending.indexOf("\n")) >= 0) {
        const e = JSON.parse(pending.slice(0, at)) as Record<string, unknown>;
        pending = pending.slice(at + 1);
        if (e.type === "ask-name") ws.send(`/resume ${token}`);
        else if (e.type === "welcome") {
          clearTimeout(timer);
          resolve(handle);
        } else if (e.type === "error") {
          clearTimeout(timer);
          ws.close();
          reject(new Error(`${label}: ${String(e.code)}: ${String(e.message)}`));
        }
        for (const picker of pickers) if (picker(e)) pickers.delete(picker);
      }
    };
    ws.onerror = () => reject(new Error(`${label}: the WebSocket failed`));
  });
}

/** Catch-up on one server (a history file) or two nodes (`redis`: the same data in Redis): the table's rows and what did not work. */
async function catchUp(dir: string, redis?: string): Promise<{ rows: string[][]; failures: string[] }> {
  const path = join(dir, "catchup.sqlite");
  const tokens = redis === undefined ? await prepare(path, CATCH_UP_USERS, 1, true) : await prepareRedis(redis);
  const servers = redis === undefined ? [await startServer(path, ["--max-devices", "2"])] : await Promise.all(["a", "b"].map((node) => startServer(undefined, ["--max-devices", "2", "--redis", redis, "--node-id", node])));
  const watcher = await bystander(servers[0]!.port);
  const rss = async () => (await Promise.all(servers.map((s) => s.rss()))).reduce((sum, r) => ({ now: sum.now + r.now, peak: sum.peak + r.peak }), { now: 0, peak: 0 });
  const before = await rss();
  let peak = before.peak;
  const sampler = setInterval(async () => (peak = Math.max(peak, (await rss()).peak)), 100);
  const at = performance.now();
  const comeBack = async (u: number): Promise<number> => {
    const p = await page(servers[u % servers.length]!.httpPort, tokens[u]![0]!, name(u));
    const want = new Set(roomsOf(u));
    let missed = 0;
    const caughtUp = p.until((e) => {
      if (e.type !== "history" || typeof e.room !== "string" || !want.has(e.room) || e.since === undefined) return undefined;
      missed += Array.isArray(e.events) ? e.events.length : 0;
      want.delete(e.room);
      return want.size === 0 ? true : undefined;
    });
    for (const r of roomsOf(u)) p.send(`/join ${r}`);
    await caughtUp;
    const said = p.until((e) => (e.type === "public" && e.from === name(u) ? true : undefined));
    p.send(`back, ${name(u)} here`);
    await said;
    return missed;
  };
  const results = await Promise.allSettled(Array.from({ length: CATCH_UP_USERS }, (_, u) => comeBack(u)));
  const seconds = (performance.now() - at) / 1000;
  clearInterval(sampler);
  const pings = (await watcher.stop()).sort((a, b) => a - b);
  peak = Math.max(peak, (await rss()).peak);
  await Promise.all(servers.map((s) => s.stop()));
  const fine = results.filter((r): r is PromiseFulfilledResult<number> => r.status === "fulfilled");
  const missed = fine.reduce((n, r) => n + r.value, 0);
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => String(r.reason.message));
  const servers_ = servers.length === 1 ? "server" : "both nodes'";
  return {
    rows: [
      ["users back, each shown what it missed in its 5 rooms and chatting", `${fine.length} of ${CATCH_UP_USERS}`, "all"],
      ["lines shown as missed, in all (the ones said before, and the crowd's own said meanwhile)", String(missed), `at least ${CATCH_UP_USERS * ROOMS_EACH * MISSED_PER_ROOM}`],
      ["time until the last was caught up and had said a line", `${seconds.toFixed(2)} s`, "under 5 s"],
      [`${servers_} RSS: before, and at its peak`, `${before.now.toFixed(1)} MiB, ${peak.toFixed(1)} MiB`, "peak under 400 MB"],
      ["bystander /ping round trips meanwhile: median, p99, most", `${percentile(pings, 50).toFixed(1)} ms, ${percentile(pings, 99).toFixed(1)} ms, ${pings.at(-1)?.toFixed(1)} ms (${pings.length} pings)`, "p99 under 500 ms"],
    ],
    failures,
  };
}

/**
 * The same users, sessions, markers and missed lines as prepare() makes, in Redis, written through
 * the stores a node uses (a node of the script's own, joined just for this, then gone): the tokens.
 */
async function prepareRedis(url: string): Promise<string[][]> {
  const tokens: string[][] = [];
  await fillRedis(url, async ({ history, accounts, sessions, markers }) => {
    const hash = await Bun.password.hash("correct-horse", { algorithm: "argon2id", memoryCost: 1024, timeCost: 1 });
    for (let u = 0; u < CATCH_UP_USERS; u++) {
      const key = foldName(name(u));
      const made = newSession(key, Date.now());
      await Promise.all([accounts.put(key, { name: name(u), hash, created: markerAt }), sessions.put(made.record), ...roomsOf(u).map((r) => markers.set(key, r, markerAt))]);
      tokens.push([made.text]);
    }
    for (let i = 0; i < MISSED_PER_ROOM; i++) {
      for (let r = 0; r < ROOMS; r++) {
        history.keep({ type: "public", id: history.nextId(), room: room(r), from: "deploy", text: `line ${i} of ${room(r)}: the build is green`, ts: markerAt + 1000 + i, bot: true });
      }
      await Bun.sleep(5); // a turn each: the node's script writes them
    }
    for (let r = 0; r < ROOMS; r++) {
      for (let tries = 0; tries < 200 && (await history.recent(room(r), MISSED_PER_ROOM)).length < MISSED_PER_ROOM; tries++) await Bun.sleep(25);
    }
  });
  return tokens;
}

/** Two devices each: RSS with one connection a user, then with two. */
async function twoDevices(dir: string): Promise<{ rows: string[][]; failures: string[] }> {
  const path = join(dir, "devices.sqlite");
  const tokens = await prepare(path, DEVICE_USERS, 2, false);
  const server = await startServer(path, ["--max-devices", "2"]);
  await Bun.sleep(500);
  const empty = await server.rss();
  const settle = () => Bun.sleep(3000);
  const come = async (device: 0 | 1) => {
    const results = await Promise.allSettled(Array.from({ length: DEVICE_USERS }, (_, u) => page(server.httpPort, tokens[u]![device]!, `${name(u)} device ${device + 1}`)));
    return results.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => String(r.reason.message));
  };
  const failures = await come(0);
  await settle();
  const one = await server.rss();
  failures.push(...(await come(1)));
  await settle();
  const two = await server.rss();
  await server.stop();
  const first = one.now - empty.now;
  const second = two.now - one.now;
  return {
    rows: [
      ["server RSS with nobody in", `${empty.now.toFixed(1)} MiB`, ""],
      [`… with ${DEVICE_USERS} users, one connection each`, `${one.now.toFixed(1)} MiB (+${first.toFixed(1)} MiB, ${((first * 1024) / DEVICE_USERS).toFixed(1)} KiB a user)`, ""],
      [`… with each of them on a second device (${DEVICE_USERS * 2} connections)`, `${two.now.toFixed(1)} MiB (+${second.toFixed(1)} MiB, ${((second * 1024) / DEVICE_USERS).toFixed(1)} KiB a device)`, ""],
      ["two devices each ÷ one device each (RSS)", `${(two.now / one.now).toFixed(2)}×`, "under 2×"],
    ],
    failures,
  };
}

const dir = mkdtempSync(join(tmpdir(), "bunchat-devices-"));
let caught: Awaited<ReturnType<typeof catchUp>>;
let caughtOnTwo: Awaited<ReturnType<typeof catchUp>>;
let devices: Awaited<ReturnType<typeof twoDevices>>;
try {
  caught = await catchUp(dir);
  const redis = await startRedis(pin(1));
  try {
    caughtOnTwo = await catchUp(dir, redis.url);
  } finally {
    redis.proc.kill();
  }
  devices = await twoDevices(dir);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const table = (rows: string[][]) => ["| figure | measured | goal |", "| --- | --- | --- |", ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
const notIn = (failures: string[]) => (failures.length > 0 ? `\nDid not work (${failures.length}): ${[...new Set(failures)].slice(0, 5).join("; ")}\n` : "");
const md = `# One account on many devices, measured (issue 32)

\`bun bench/devices.ts\`, on this 2-core shared machine, the server on core 0 (a history file made by
the script, then the server started on it, as after a restart).

## Coming back: the cost of catch-up

${CATCH_UP_USERS} registered users, each in ${ROOMS_EACH} of ${ROOMS} rooms with a read marker in each; ${MISSED_PER_ROOM} lines said in every
room after the markers (${ROOMS_EACH * MISSED_PER_ROOM} missed lines a user); then all of them come back at once over the WebSocket with
their pages' sessions (\`/resume\`), join their rooms and are shown what they missed since their markers,
and each says a line. A bystander on bunchat's port asks \`/ping\` every 20 ms meanwhile.

${table(caught.rows)}
${notIn(caught.failures)}
The same on two nodes of a cluster (users on either in turn, the bystander on the first; the history,
accounts, sessions and markers in a redis-server of the script's own, pinned to the other core):

${table(caughtOnTwo.rows)}
${notIn(caughtOnTwo.failures)}
Catch-ups take turns (src/core/keeping.ts, CatchUpTurns): at most 10 ms of them in one turn of the
event loop, the rest in line. Before that, the same run took 1.76 s and peaked at 188 MiB, but the
bystander's /ping waited 0.9 s behind one turn that held the whole crowd (median 229 ms).

## Two devices each

${DEVICE_USERS} registered users sign in over the WebSocket with one page session each; then each signs in again
with a second (another device of the same user: one member, in the same rooms, one more outbox).
${DEVICE_USERS}, not 10,000: this machine lets one process hold 20,000 sockets, and the crowd's end holds them all.

${table(devices.rows)}
${notIn(devices.failures)}
Measured on one server. In a cluster a user's devices are on its server: one that signs in on another is passed through to it (src/doors/pipes.ts).
`;
await Bun.write(join(import.meta.dir, "DEVICES.md"), md);
console.log(md);
process.exit(caught.failures.length + caughtOnTwo.failures.length + devices.failures.length > 0 ? 1 : 0);
