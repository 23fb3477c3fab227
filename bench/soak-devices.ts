// `bun bench/soak-devices.ts`: devices that drop and come back, under chat, for minutes (issue 32).
// Writes bench/SOAK-DEVICES.md with --write.
//
// Registered users, each on two devices (JSON over bunchat's port), all in three rooms; half of
// them always on. A few talkers say lines in the rooms at a steady rate. All along, a device picked
// at random every `--drop-ms` is cut off (its socket closed without a word) and comes back after
// 0.2 to 3 s: it logs in again, joins its rooms again if its user left them, and asks each room for
// what came after the newest line it had (`/history #room after <id>`, as the terminal client does),
// paging on while there is more; the replays a join shows are not counted (they overlap what it has).
//
// Counted, for every device: each line said in its rooms from the start (an observer that never
// drops sees them all) must have reached it exactly once, live or in an answer: 0 missed, 0 twice.
// (Lines said while an answer is on its way come both live and in it: that overlap, which a client
// drops by id as the terminal client does, is not counted twice; a line sent twice otherwise is.)
//
// Bounded: every wait has a deadline, every loop a count.

import type { Socket } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SqliteFile } from "../src/store/sqlite/file.ts";
import { DEFAULT_RETENTION } from "../src/store/history.ts";
import { foldName } from "../src/protocol/names.ts";
import type { Account } from "../src/store/accounts.ts";
import { fillRedis, openLines, pin, startServer } from "./shared.ts";
import { startRedis } from "./redis.ts";

const { values: flags } = parseArgs({
  options: {
    users: { type: "string", default: "20" },
    seconds: { type: "string", default: "300" },
    rate: { type: "string", default: "30" },
    "drop-ms": { type: "string", default: "500" },
    nodes: { type: "string", default: "1" },
    write: { type: "boolean", default: false },
    help: { type: "boolean", short: "h" },
  },
});
if (flags.help) {
  console.log(`Usage: bun bench/soak-devices.ts [--users 20] [--seconds 300] [--rate 30] [--drop-ms 500] [--write]

  --users    registered users, two devices each (half of them always on)
  --seconds  how long the chat and the drops go on
  --rate     lines per second, from the talkers, over the three rooms
  --drop-ms  one device dropped this often (it comes back 0.2-3 s later)
  --nodes    1, or 2: a cluster through a redis-server of the soak's own; each device connects to
             either node in turn (one of a user's devices on another node than its user is piped there)
  --write    also write the report to bench/SOAK-DEVICES.md`);
  process.exit(0);
}
const whole = (key: "users" | "seconds" | "rate" | "drop-ms") => {
  const n = Number(flags[key]);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${key} needs a whole number above 0`);
  return n;
};
const [USERS, SECONDS, RATE, DROP_MS] = [whole("users"), whole("seconds"), whole("rate"), whole("drop-ms")];
const NODES = flags.nodes === "2" ? 2 : 1;
const ROOMS = ["#lobby", "#dev", "#ops"];
const TALKERS = 3;
const DEADLINE_MS = 30_000;
const TRACE = 200;

type Event = { type: string; [key: string]: unknown };

/** A JSON connection to bunchat's port: its events, one at a time, to `on`. */
function open(port: number, on: (e: Event) => void, closed: () => void): Promise<Socket> {
  return openLines(port, (line) => line.startsWith("{") && on(JSON.parse(line) as Event), closed);
}

/** Ids by room: what one device was sent, and how many came twice. */
class Received {
  readonly ids = new Map<string, Set<string>>(ROOMS.map((r) => [r, new Set()]));
  /** The newest id of each room, for /history … after. */
  readonly newest = new Map<string, string>();
  twice = 0;

  add(room: string, id: unknown): void {
    const set = this.ids.get(room);
    if (!set || (typeof id !== "string" && typeof id !== "number")) return;
    const key = String(id);
    if (set.has(key)) this.twice++;
    set.add(key);
    this.newest.set(room, key); // lines come in order, live and in answers
  }
}

class Device {
  readonly got = new Received();
  socket: Socket | undefined;
  connected = false;
  reconnects = 0;
  /** What happened to it lately (the last TRACE entries): told for a device that missed lines, with SOAK_DEBUG set. */
  private readonly traced: string[] = [];
  trace(entry: string): void {
    this.traced.push(entry);
    if (this.traced.length > TRACE) this.traced.shift();
  }
  get traceText(): string {
    return this.traced.join("\n");
  }
  /** An answer to `/history … after` is being waited for in each of these rooms: live lines wait too, so that order holds. */
  private readonly resuming = new Set<string>();
  private readonly held = new Map<string, Event[]>();

  constructor(
    readonly user: string,
    private readonly port: number,
  ) {}

  async connect(resume: boolean): Promise<void> {
    this.connected = false;
    let welcomed!: () => void;
    const welcome = new Promise<void>((resolve) => (welcomed = resolve));
    const socket = await open(this.port, (e) => this.on(e, welcomed, resume), () => (this.connected = false));
    this.socket = socket;
    socket.write('{"type":"hello","proto":1}\n');
    socket.write(`${this.user}\ncorrect-horse\n`);
    await Promise.race([welcome, Bun.sleep(DEADLINE_MS)]);
    if (!this.connected) throw new Error(`${this.user} was not welcomed back`);
  }

  private on(e: Event, welcomed: () => void, resume: boolean): void {
    switch (e.type) {
      case "welcome": {
        this.connected = true;
        this.trace(`welcome rooms=${JSON.stringify(e.rooms)} newest=${JSON.stringify([...this.got.newest])} resume=${resume}`);
        const rooms = (e.rooms as string[]) ?? [];
        for (const room of ROOMS) {
          if (!rooms.includes(room)) this.socket!.write(`/join ${room}\n`);
          const newest = this.got.newest.get(room);
          if (resume && newest !== undefined) {
            this.resuming.add(room);
            this.socket!.write(`/history ${room} after ${newest}\n`);
          }
        }
        return welcomed();
      }
      case "public": {
        const room = e.room as string;
        if (this.resuming.has(room)) {
          const held = this.held.get(room);
          if (held) held.push(e);
          else this.held.set(room, [e]);
          return;
        }
        return this.got.add(room, e.id);
      }
      case "history": {
        if (e.after === undefined) return; // a replay on joining: what it holds, we had or will be answered
        const room = e.room as string;
        const evs = e.events as Event[];
        this.trace(`answer ${room} after ${String(e.after)}: ${evs.length} lines ${String(evs[0]?.id)}..${String(evs.at(-1)?.id)} more=${String(e.more)} held=${this.held.get(room)?.length ?? 0}`);
        for (const line of e.events as Event[]) if (line.type === "public") this.got.add(room, line.id);
        const events = e.events as Event[];
        if (e.more === true && events.length > 0) return void this.socket!.write(`/history ${room} after ${String(events[events.length - 1]!.id)}\n`);
        this.resuming.delete(room);
        // Lines that came live meanwhile: those the answer held already are the overlap a client drops by id.
        for (const live of this.held.get(room) ?? []) if (!this.got.ids.get(room)?.has(String(live.id))) this.got.add(room, live.id);
        this.held.delete(room);
        return;
      }
      case "error":
        if (e.code !== "not-in-room") console.error(`${this.user}: ${String(e.message)}`);
        return;
    }
  }

  drop(): void {
    this.trace(`drop newest=${JSON.stringify([...this.got.newest])}`);
    this.connected = false;
    this.socket?.terminate();
  }
}

/** `count` users registered (in a new history file, or in Redis for a cluster), half of them always on (one hash for all). */
async function prepare(path: string, redis: string | undefined): Promise<string[]> {
  const hash = await Bun.password.hash("correct-horse", { algorithm: "argon2id", memoryCost: 1024, timeCost: 1 });
  const names = Array.from({ length: USERS }, (_, u) => `user${String(u).padStart(3, "0")}`);
  const account = (name: string, u: number): Account => (u % 2 === 0 ? { name, hash, created: Date.now(), alwaysOn: true } : { name, hash, created: Date.now() });
  if (redis !== undefined) {
    await fillRedis(redis, async ({ accounts }) => void (await Promise.all(names.map((name, u) => accounts.put(foldName(name), account(name, u))))));
    return names;
  }
  const file = new SqliteFile({ path, retention: DEFAULT_RETENTION, status: { paused() {}, resumed() {} } });
  names.forEach((name, u) => file.accounts.put(foldName(name), account(name, u)));
  file.close();
  return names;
}

const dir = mkdtempSync(join(tmpdir(), "bunchat-soak-devices-"));
const path = join(dir, "bunchat.sqlite");
const redis = NODES === 2 ? await startRedis(pin(1)) : undefined;
const names = await prepare(path, redis?.url);
const servers = redis ? await Promise.all(["a", "b"].map((n) => startServer(undefined, ["--max-devices", "2", "--redis", redis.url, "--node-id", n]))) : [await startServer(path, ["--max-devices", "2"])];
const server = servers[0]!;
try {
  // The observer (a guest that never drops) in every room: what was said.
  const truth = new Received();
  let observerUp = false;
  const observer = await open(server.port, (e) => {
    if (e.type === "welcome") observerUp = true;
    if (e.type === "public") truth.add(e.room as string, e.id);
  }, () => {});
  observer.write('{"type":"hello","proto":1}\nobserver\n');
  for (let i = 0; i < 500 && !observerUp; i++) await Bun.sleep(10);
  for (const room of ROOMS) observer.write(`/join ${room}\n`);
  // A user's two devices on either node in turn (with two nodes: one on each).
  const devices = names.flatMap((n) => [new Device(n, servers[0]!.port), new Device(n, servers[servers.length - 1]!.port)]);
  for (const d of devices) await d.connect(false);
  const talkers = await Promise.all(
    Array.from({ length: TALKERS }, async (_, t) => {
      // Talker t talks in room t (its current room once it has joined it).
      const s = await open(server.port, () => {}, () => {});
      s.write(`{"type":"hello","proto":1}\ntalker${t}\n`);
      await Bun.sleep(200);
      s.write(`/join ${ROOMS[t % ROOMS.length]}\n`);
      return s;
    }),
  );
  await Bun.sleep(1000); // everyone in every room before the first line
  // A first line in each room, that every device has before any drop: where a comeback asks "after" from.
  for (const t of talkers) t.write("the soak starts\n");
  await Bun.sleep(1000);
  const started = performance.now();
  const end = started + SECONDS * 1000;
  let said = 0;
  let drops = 0;
  const comebacks: Promise<void>[] = [];
  let nextDrop = started + DROP_MS;
  for (let tick = 0; performance.now() < end && tick < SECONDS * 1000; tick++) {
    // Lines at RATE a second, from the talkers in turn, over the rooms in turn.
    const due = Math.floor(((performance.now() - started) / 1000) * RATE);
    for (; said < due; said++) talkers[said % TALKERS]!.write(`line ${said}\n`);
    if (performance.now() >= nextDrop) {
      nextDrop += DROP_MS;
      const up = devices.filter((d) => d.connected);
      const victim = up[Math.floor(Math.random() * up.length)];
      if (victim) {
        drops++;
        victim.drop();
        const away = 200 + Math.random() * 2800;
        comebacks.push(
          Bun.sleep(away).then(() => {
            victim.reconnects++;
            return victim.connect(true);
          }),
        );
      }
    }
    await Bun.sleep(1);
  }
  await Promise.all(comebacks);
  await Bun.sleep(2000); // the last lines and answers arrive
  let missed = 0;
  let twice = 0;
  let expected = 0;
  for (const d of devices) {
    twice += d.got.twice;
    for (const room of ROOMS) {
      const want = truth.ids.get(room)!;
      const have = d.got.ids.get(room)!;
      expected += want.size;
      for (const id of want) {
        if (have.has(id)) continue;
        missed++;
        if (process.env.SOAK_DEBUG && missed === 1) console.error(`missed ${room} ${id} by ${d.user} (reconnects ${d.reconnects}, connected ${d.connected}, newest ${d.got.newest.get(room)})\n${d.traceText}`);
      }
    }
  }
  const lines = ROOMS.reduce((n, r) => n + truth.ids.get(r)!.size, 0);
  const report = [
    `# Devices dropping and coming back under chat (bun bench/soak-devices.ts, ${new Date().toISOString().slice(0, 10)})`,
    "",
    `${USERS} registered users on 2 devices each (${devices.length} devices, half the users always on), in ${ROOMS.length} rooms; ${TALKERS} talkers at ${RATE} lines/s for ${SECONDS} s;`,
    ...(NODES === 2 ? ["on two nodes of a cluster (a user's two devices on either node: the one not on its user's node piped there), the talkers and the observer on the first;"] : []),
    `a device dropped every ${DROP_MS} ms, back 0.2-3 s later, resuming with \`/history #room after <id>\`.`,
    "",
    "| measured | |",
    "| --- | ---: |",
    `| lines said (the observer's count) | ${lines} |`,
    `| drops (and comebacks) | ${drops} |`,
    `| lines each device should have had, in all | ${expected} |`,
    `| **missed** | **${missed}** |`,
    `| **twice** | **${twice}** |`,
    "",
  ].join("\n");
  console.log(report);
  if (flags.write) await Bun.write(join(import.meta.dir, NODES === 2 ? "SOAK-DEVICES-CLUSTER.md" : "SOAK-DEVICES.md"), report);
  for (const d of devices) d.drop();
  for (const t of talkers) t.terminate();
  observer.terminate();
  if (missed > 0 || twice > 0 || lines === 0) process.exitCode = 1;
} finally {
  await Promise.all(servers.map((s) => s.stop()));
  redis?.proc.kill();
  rmSync(dir, { recursive: true, force: true });
}
