// `bun run bench:hostile`: attacks against a real server, measured from outside.
//
//   users-stalled    2000 registered connections from 67 addresses set /away with a 100-character
//                    reason, stop reading, and send /users 4 times a second (issue 11)
//   users-reading    the same with 500 connections that do read everything (issue 11)
//   trickle          500 registered connections each send 4000 one-byte TCP segments, never a newline (issue 11)
//   replay-fill      5000 rooms filled with 21 lines of 4000 bytes, then joined again (issue 27, item 3)
//   http-unfinished  20,000 unfinished HTTP requests to the web port from 2 addresses (item 4)
//   wrong-tokens     12,000 API requests with wrong tokens from 2000 addresses in 6 s (item 6)
//   ws-fragments     5000 WebSockets each holding an unfinished fragmented message (item 9)
//   history-storm    50 users paging /history 200 as fast as the server lets them, defaults on (item 10)
//   typing-storm     500 users of the page's protocol (JSON) in one room, each saying /typing as fast as
//                    its flood budget lets it: at most one "active" every 3 s each is passed on (issue 33)
//   multiline-storm  100 JSON users in one room each sending messages of 100 lines (10 KB) as fast as
//                    flood control lets them (issue 33)
//   upload-storm     60 guests from 60 addresses (guest uploads on): each asks /upload and posts 256 KiB
//                    files as fast as the rate lets it, while others claim 10 GB bodies and others stop
//                    halfway (issue 33); the files directory's size is reported
//
// Meanwhile a bystander on 127.0.0.1 sends /ping every 250 ms: its round trips (p50, p99, max, and
// pings never answered) say whether the server still serves everyone. The server's RSS is sampled
// every 200 ms from /proc, and its log lines are counted. The server runs on core 0, the attacker
// and the bystander on core 1 (taskset, when it is there). Every loop is bounded in count and time.
//
//   bun run bench:hostile                               # all of them; writes bench/HOSTILE.md
//   bun run bench:hostile -- --only trickle --no-write
//   bun run bench:hostile -- --before /path/to/checkout # also against another version, side by side

import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Socket } from "bun";
import { pin } from "./shared.ts";

const { values: flags } = parseArgs({
  options: {
    only: { type: "string" },
    before: { type: "string" },
    seconds: { type: "string", default: "25" },
    "no-write": { type: "boolean", default: false },
    role: { type: "string" },
    port: { type: "string" },
    "web-port": { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});

type Scenario =
  | "users-stalled"
  | "users-reading"
  | "trickle"
  | "replay-fill"
  | "http-unfinished"
  | "wrong-tokens"
  | "ws-fragments"
  | "history-storm"
  | "typing-storm"
  | "multiline-storm"
  | "upload-storm";
interface ScenarioSpec {
  what: string;
  /** The server's flags for it, beyond the host and port. */
  flags: string[];
  /** It needs the web door (its port goes to the attacker). */
  web?: boolean;
  /** It needs a history file of its own. */
  db?: boolean;
  /** The measurement ends when the attacker says "done" (else after --seconds). */
  untilDone?: boolean;
}
/** Flood control and the per-address caps off: to measure what gets through a crowd. */
const LIFTED = ["--flood-rate", "0", "--max-per-ip", "0", "--max-per-net", "0", "--connect-rate", "0", "--max-clients", "10000"];
const SCENARIOS: Record<Scenario, ScenarioSpec> = {
  "users-stalled": {
    what: "2000 connections from 67 addresses, away with 100-character reasons, not reading, /users 4 times a second",
    flags: ["--max-per-net", "0", "--max-clients", "10000"],
  },
  "users-reading": { what: "500 connections that read, away, /users 4 times a second", flags: ["--max-per-net", "0", "--max-clients", "10000"] },
  trickle: { what: "500 connections each sending 4000 one-byte segments, no newline", flags: ["--max-per-net", "0", "--max-clients", "10000"], untilDone: true },
  "replay-fill": {
    what: "250 connections (flood control off) fill 5000 rooms with 21 lines of 4000 bytes each, then each joins 20 of the others' rooms (their lines replayed); history in a file",
    flags: LIFTED,
    db: true,
    untilDone: true,
  },
  "http-unfinished": {
    what: "20,000 connections to the web port from 2 addresses, each an unfinished request (default caps), held 10 s",
    flags: ["--http-port", "0"],
    web: true,
    untilDone: true,
  },
  "wrong-tokens": {
    what: "2000 addresses in 40 /24s each send 6 API requests with a wrong token over 6 s (default caps)",
    flags: ["--http-port", "0"],
    web: true,
    untilDone: true,
  },
  "ws-fragments": {
    what: "5000 WebSockets from 50 addresses (caps off), each sends 60,000 bytes of a message in a fragment that never ends (under the 64 KiB a message may have)",
    flags: [...LIFTED, "--http-port", "0"],
    web: true,
  },
  "history-storm": {
    what: "50 users page /history 200 back and forth through a room of 2000 lines as fast as the server lets them (flood control as shipped); history in a file",
    flags: ["--max-per-net", "0"],
    db: true,
  },
  "typing-storm": {
    what: "500 JSON users (the page's protocol) from 20 addresses in one room, each saying /typing as fast as its flood budget lets it (flood control as shipped): every one of them shows typing to the other 499",
    flags: ["--max-per-net", "0"],
  },
  "multiline-storm": {
    what: "100 JSON users from 20 addresses in one room, each sending messages of 100 lines (10 KB) as fast as its flood budget lets it (flood control as shipped): each reaches the 99 others and the bystander",
    flags: ["--max-per-net", "0"],
  },
  "upload-storm": {
    what: "60 guests from 60 addresses (--guest-uploads on): 20 post 256 KiB files with /upload tickets as fast as the rate lets them (10 a minute), 20 claim 10 GB bodies, 20 stop halfway through 1 MiB; files and history in a directory of their own",
    flags: ["--max-per-net", "0", "--http-port", "0", "--guest-uploads", "on"],
    web: true,
    db: true,
  },
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

if (flags.role !== undefined) await attacker(flags.role as Scenario, Number(flags.port), Number(flags["web-port"] ?? 0));
else await main();

// The attacker: one process holding every hostile connection; says "ready" once all are in,
// then attacks until its stdin closes.

async function attacker(scenario: Scenario, port: number, webPort: number): Promise<void> {
  switch (scenario) {
    case "replay-fill":
      return replayFill(port);
    case "http-unfinished":
      return httpUnfinished(webPort);
    case "wrong-tokens":
      return wrongTokens(webPort);
    case "ws-fragments":
      return wsFragments(webPort);
    case "history-storm":
      return historyStorm(port);
    case "typing-storm":
      return typingStorm(port);
    case "multiline-storm":
      return multilineStorm(port);
    case "upload-storm":
      return uploadStorm(port, webPort);
    default:
      return usersOrTrickle(scenario, port);
  }
}

async function usersOrTrickle(scenario: Scenario, port: number): Promise<void> {
  const n = { "users-stalled": 2000, "users-reading": 500, trickle: 500 }[scenario as string] ?? 0;
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

// The round-3 attackers (issue 27).

/** True once the parent closes our stdin (its way of stopping us). */
function stopSignal(): () => boolean {
  let stop = false;
  void (async () => {
    for await (const _ of Bun.stdin.stream()) {
      // nothing: we only wait for the end
    }
    stop = true;
  })();
  return () => stop;
}

/** The attack is over (says `done` when it ends by itself): the connections are held until the parent stops us. */
async function finish(stopped: () => boolean, clients: readonly Client[], done?: "done"): Promise<void> {
  if (done) console.log(done);
  for (let i = 0; i < 36_000 && !stopped(); i++) await Bun.sleep(100); // an hour at most
  for (const c of clients) c.end();
  process.exit(0);
}

/** A line-protocol connection from `address`: what it reads is kept (the last 64 KiB), and waited on. */
class Client {
  private tail = "";
  closed = false;
  private constructor(private readonly socket: Socket<Client>) {}

  static async open(port: number, address: string, first?: string): Promise<Client> {
    let client: Client | undefined;
    const socket = await Bun.connect<Client>({
      hostname: "127.0.0.1",
      port,
      ...{ localAddress: address }, // not in Bun's types; Peer in test/ uses it too
      socket: {
        data(s, chunk) {
          s.data.tail = (s.data.tail + chunk.toString()).slice(-65536);
        },
        close(s) {
          if (s.data) s.data.closed = true;
        },
      },
    });
    client = new Client(socket);
    socket.data = client;
    if (first !== undefined) socket.write(first);
    return client;
  }

  write(data: string | Uint8Array): void {
    this.socket.write(data);
  }

  /** Waits (bounded) until what it read holds `text`, then forgets what came before it. */
  async until(text: string, timeoutMs = 30_000): Promise<boolean> {
    for (let i = 0; i < timeoutMs / 10; i++) {
      const at = this.tail.indexOf(text);
      if (at >= 0) {
        this.tail = this.tail.slice(at + text.length);
        return true;
      }
      if (this.closed) return false;
      await Bun.sleep(10);
    }
    return false;
  }

  /** The value of the next JSON string field `name` it reads (bounded wait), or undefined. */
  async field(name: string): Promise<string | undefined> {
    if (!(await this.until(`"${name}":"`, 5000))) return undefined;
    const end = this.tail.indexOf('"');
    return end < 0 ? undefined : this.tail.slice(0, end);
  }

  end(): void {
    this.socket.terminate();
  }
}

/** 5000 rooms of 21 lines of 4000 bytes, by 250 connections of 20 rooms each; then each joins 10 others' rooms. */
async function replayFill(port: number): Promise<void> {
  const stopped = stopSignal();
  const filler = "x".repeat(3990);
  console.log("ready");
  const users = await Promise.all(
    Array.from({ length: 250 }, (_, i) => Client.open(port, `127.0.${10 + (i % 5)}.${1 + (i % 50)}`, `fill${i}\n`)),
  );
  await Promise.all(
    users.map(async (u, i) => {
      if (!(await u.until("you are in"))) return;
      for (let r = 0; r < 20 && !stopped(); r++) {
        u.write(`/join #f${i}-${r}\n${Array.from({ length: 21 }, (_, k) => `${k} ${filler}\n`).join("")}/ping ${r}\n`);
        if (!(await u.until(`pong ${r}`, 60_000))) return;
      }
      for (let r = 0; r < 10 && !stopped(); r++) {
        u.write(`/join #f${(i + 1 + r) % 250}-${r}\n/ping again${r}\n`);
        if (!(await u.until(`pong again${r}`, 60_000))) return;
      }
    }),
  );
  return finish(stopped, users, "done");
}

/** 20,000 connections to the web port from 2 addresses, each an unfinished request, 500 at a time. */
async function httpUnfinished(webPort: number): Promise<void> {
  const stopped = stopSignal();
  console.log("ready");
  const held: Client[] = [];
  for (let start = 0; start < 20_000 && !stopped(); start += 500) {
    const batch = await Promise.all(
      Array.from({ length: 500 }, (_, k) =>
        Client.open(webPort, `127.0.20.${1 + ((start + k) % 2)}`, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n").catch(() => undefined),
      ),
    );
    for (const c of batch) if (c) held.push(c);
    await Bun.sleep(10);
  }
  const open = held.filter((c) => !c.closed).length;
  console.error(`http-unfinished: ${open} of ${held.length} connections still open`);
  await Bun.sleep(10_000); // held, the bystander still pinging
  console.error(`http-unfinished: ${held.filter((c) => !c.closed).length} still open 10 s later`);
  return finish(stopped, held, "done");
}

/** 2000 addresses in 40 /24s, 6 API requests each with a wrong token, one a second on a kept-alive connection. */
async function wrongTokens(webPort: number): Promise<void> {
  const stopped = stopSignal();
  const token = `bunchat_000000000000_${"A".repeat(43)}`;
  const request = `GET /api/rooms/lobby/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n\r\n`;
  const clients = (
    await Promise.all(
      Array.from({ length: 2000 }, (_, i) => Client.open(webPort, `127.0.${30 + Math.floor(i / 50)}.${1 + (i % 50)}`).catch(() => undefined)),
    )
  ).filter((c) => c !== undefined);
  console.log("ready");
  for (let round = 0; round < 6 && !stopped(); round++) {
    for (const c of clients) c.write(request);
    await Bun.sleep(1000);
  }
  return finish(stopped, clients, "done");
}

/** 5000 WebSockets from 50 addresses, each 60,000 bytes into a message that never ends. */
async function wsFragments(webPort: number): Promise<void> {
  const stopped = stopSignal();
  const payload = new Uint8Array(60_000).fill(0x71); // "q", masked with zeros: as it is
  const frame = new Uint8Array([0x02, 0x80 | 126, payload.length >> 8, payload.length & 255, 0, 0, 0, 0, ...payload]); // binary, not final
  const handshake = `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  const held: Client[] = [];
  for (let start = 0; start < 5000 && !stopped(); start += 250) {
    const batch = await Promise.all(
      Array.from({ length: 250 }, async (_, k) => {
        const i = start + k;
        const c = await Client.open(webPort, `127.0.${60 + (i % 10)}.${1 + (i % 5)}`, handshake).catch(() => undefined);
        if (c && (await c.until("101 Switching Protocols", 10_000))) c.write(frame);
        return c;
      }),
    );
    for (const c of batch) if (c) held.push(c);
  }
  console.error(`ws-fragments: ${held.filter((c) => !c.closed).length} WebSockets holding a fragment`);
  console.log("ready");
  return finish(stopped, held);
}

/** 2000 lines in the lobby, then 50 users paging /history 200 through them, each as soon as the last answer is in. */
async function historyStorm(port: number): Promise<void> {
  const stopped = stopSignal();
  // 200 fillers of 10 lines each (their flood burst), from 10 addresses.
  const fillers = await Promise.all(Array.from({ length: 200 }, (_, i) => Client.open(port, `127.0.40.${1 + (i % 10)}`, `filler${i}\n`)));
  await Promise.all(
    fillers.map(async (f, i) => {
      if (!(await f.until("you are in"))) return;
      f.write(Array.from({ length: 10 }, (_, k) => `line ${i}.${k} of the history the storm pages through\n`).join(""));
      f.write("/ping filled\n");
      await f.until("pong filled", 60_000);
      f.write("quit\n");
    }),
  );
  const users = await Promise.all(Array.from({ length: 50 }, (_, i) => Client.open(port, `127.0.41.${1 + (i % 5)}`, `pager${i}\n`)));
  for (const u of users) await u.until("you are in");
  console.log("ready");
  await Promise.all(
    users.map(async (u) => {
      for (let n = 0; n < 100_000 && !stopped() && !u.closed; n++) {
        u.write("/history 200\n/ping page\n");
        if (!(await u.until("pong page", 60_000))) return;
        if (u.closed) return;
        // At the start of the room: from the newest again (a part forgets where /history was).
        if (n % 10 === 9) {
          u.write("/part\n/join #lobby\n/ping back\n");
          await u.until("pong back", 60_000);
        }
      }
    }),
  );
  return finish(stopped, users);
}

/**
 * `n` users of the page's protocol (JSON) named `name`0, `name`1… from `addresses` addresses of
 * 127.0.`subnet`.x, 50 connecting at a time; each welcomed (or closed) before they are returned.
 */
async function jsonUsers(port: number, n: number, name: string, subnet: number, addresses: number): Promise<Client[]> {
  const users: Client[] = [];
  for (let start = 0; start < n; start += 50) {
    const batch = Array.from({ length: Math.min(50, n - start) }, (_, k) => Client.open(port, `127.0.${subnet}.${1 + ((start + k) % addresses)}`, `{"type":"hello","proto":1}\n${name}${start + k}\n`));
    users.push(...(await Promise.all(batch)));
  }
  for (const u of users) await u.until('"type":"welcome"');
  return users;
}

async function typingStorm(port: number): Promise<void> {
  const stopped = stopSignal();
  const users = await jsonUsers(port, 500, "typist", 42, 20);
  console.log("ready");
  await Promise.all(
    users.map(async (u) => {
      // Five a second: the flood budget's steady rate; the server passes one on every 3 s.
      for (let n = 0; n < 100_000 && !stopped() && !u.closed; n++) {
        u.write("/typing\n");
        await Bun.sleep(200);
      }
    }),
  );
  return finish(stopped, users);
}

/** 100 users in the lobby each sending 100-line messages (10 KB) at the rate flood control allows. */
async function multilineStorm(port: number): Promise<void> {
  const stopped = stopSignal();
  const users = await jsonUsers(port, 100, "paster", 43, 20);
  console.log("ready");
  const trace = Array.from({ length: 99 }, (_, i) => `  at frame${i} (src/deep/module${i % 7}.ts:${100 + i}:${i % 40}) ${"~".repeat(50)}`).join("\n");
  const line = `${JSON.stringify({ type: "line", text: `Traceback:\n${trace}` })}\n`;
  await Promise.all(
    users.map(async (u) => {
      // A 10 KB message costs the whole byte budget (10 KiB, then 5 KiB a second): one every 2 s is what gets through; the rest wait.
      for (let n = 0; n < 10_000 && !stopped() && !u.closed; n++) {
        u.write(line);
        await Bun.sleep(1000);
      }
    }),
  );
  return finish(stopped, users);
}

/** An HTTP request from `address` on a connection of its own: the answer's status (0: none before the close or 10 s). */
async function rawHttp(port: number, address: string, head: string, body: Uint8Array | undefined, cutAt?: number): Promise<number> {
  const { promise, resolve } = Promise.withResolvers<number>();
  let text = "";
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    ...{ localAddress: address },
    socket: {
      data(_s, chunk) {
        text += chunk.toString("latin1");
        const m = /^HTTP\/1\.1 (\d{3}) /.exec(text);
        if (m && m[1] !== "100") resolve(Number(m[1]));
        else if (m && text.includes("\r\n\r\n", 12)) resolve(Number(/HTTP\/1\.1 (\d{3}) [^1]/.exec(text.slice(12))?.[1] ?? 0) || 0);
      },
      close() {
        resolve(0);
      },
    },
  });
  socket.write(head);
  if (body) socket.write(cutAt === undefined ? body : body.subarray(0, cutAt));
  if (cutAt !== undefined) {
    await Bun.sleep(200);
    socket.terminate(); // gone halfway: its part must not stay on disk
    return 0;
  }
  const status = await Promise.race([promise, Bun.sleep(10_000).then(() => 0)]);
  socket.end();
  return status;
}

/** A multipart body with one file of `size` bytes, and its head (Content-Length) for `path`. */
function uploadRequest(path: string, token: string, size: number, declared?: number): { head: string; body: Uint8Array } {
  const boundary = "bunchatbench";
  const bytes = Buffer.alloc(size, 0x61);
  bytes.write(token.slice(-16)); // each file its own bytes: none is found kept already
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="storm.bin"\r\ncontent-type: application/octet-stream\r\n\r\n`),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const head = `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${token}\r\ncontent-type: multipart/form-data; boundary=${boundary}\r\ncontent-length: ${declared ?? body.length}\r\n\r\n`;
  return { head, body };
}

/** Guests uploading as fast as the rate lets them, claiming huge bodies, or stopping halfway. */
async function uploadStorm(port: number, webPort: number): Promise<void> {
  const stopped = stopSignal();
  const users = await jsonUsers(port, 60, "uploader", 44, 60);
  console.log("ready");
  const statuses: Record<string, number> = {};
  await Promise.all(
    users.map(async (u, i) => {
      const address = `127.0.44.${1 + i}`;
      const kind = i % 3; // 0: whole files; 1: a 10 GB claim; 2: cut off halfway
      for (let n = 0; n < 1000 && !stopped() && !u.closed; n++) {
        u.write("/upload\n");
        if (!(await u.until('"type":"upload"', 10_000))) break;
        const token = await u.field("token");
        if (token === undefined) break;
        const req = uploadRequest("/api/rooms/lobby/files", token, kind === 2 ? 1 << 20 : 256 * 1024, kind === 1 ? 10_000_000_000 : undefined);
        const status = await rawHttp(webPort, address, req.head, kind === 1 ? undefined : req.body, kind === 2 ? (1 << 19) : undefined);
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status === 429) await Bun.sleep(2000);
      }
    }),
  );
  console.error(`upload-storm answers: ${JSON.stringify(statuses)}`);
  return finish(stopped, users);
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
  /** Lines the server logged while it was attacked. */
  logLines: number;
  /** How long the attack ran (ms). */
  tookMs: number;
  /** The files directory at its fullest while attacked, and after (bytes), where files are kept. */
  diskPeak?: number;
  diskAfter?: number;
}

/** Bytes of files under `dir` (0 if it is not there). */
function du(dir: string): number {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true }).reduce((sum, e) => (e.isFile() ? sum + statSync(join(e.parentPath, e.name)).size : sum), 0);
  } catch {
    return 0;
  }
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
  const spec = SCENARIOS[scenario];
  const help = Bun.spawnSync([process.execPath, `${root}/server.ts`, "--help"]).stdout.toString();
  // Flags an older version does not have are left out (with their values).
  const given: string[] = [];
  for (let i = 0; i < spec.flags.length; i += 2) {
    if (help.includes(spec.flags[i]!)) given.push(spec.flags[i]!, spec.flags[i + 1]!);
  }
  // History: a file of its own where the attack is about history; else none (bench/run.ts measures it).
  const dir = mkdtempSync(join(tmpdir(), "bunchat-hostile-"));
  if (help.includes("--db")) given.push("--db", spec.db ? join(dir, "history.sqlite") : "none");
  // Its log goes to a file, as it would to journald or a log file: not a pipe this process must
  // keep up with (a full pipe makes the server's log writes wait).
  const logFile = join(dir, "server.log");
  const server = Bun.spawn([...pin(0), process.execPath, `${root}/server.ts`, "--host", "127.0.0.1", "--port", "0", ...given], {
    stdout: Bun.file(logFile),
    stderr: "inherit",
    cwd: dir,
  });
  const out = logOf(logFile);
  const port = Number(/127\.0\.0\.1:(\d+)/.exec(await out.wait(/listening on 127\.0\.0\.1:\d+/, 10_000))![1]);
  const webPort = spec.web ? Number(/:(\d+)\//.exec(await out.wait(/web door on http:\/\/127\.0\.0\.1:\d+\//, 10_000))![1]) : 0;
  const rss = new RssSampler(server.pid);
  const bystander = await Bystander.join(port);
  const rssBefore = rss.now();
  const hostile = Bun.spawn(
    [...pin(1), process.execPath, import.meta.path, "--role", scenario, "--port", String(port), "--web-port", String(webPort)],
    { stdin: "pipe", stdout: "pipe", stderr: "inherit" },
  );
  const said = lines(hostile.stdout);
  await said.wait("ready", 180_000);
  console.error(`${scenario}: attackers in; measuring ${spec.untilDone ? "until the attack is done" : `for ${seconds} s`}`);
  rss.reset();
  const logBefore = await out.count();
  const started = performance.now();
  bystander.start();
  const filesDir = join(dir, "bunchat-files");
  let diskPeak = 0;
  const disk = spec.web && spec.db ? setInterval(() => (diskPeak = Math.max(diskPeak, du(filesDir))), 500) : undefined;
  if (spec.untilDone) await said.wait("done", 600_000);
  else await Bun.sleep(seconds * 1000);
  const tookMs = performance.now() - started;
  clearInterval(disk);
  const pings = await bystander.stop();
  const rssPeak = rss.peak;
  const rssAfter = rss.now();
  const logLines = (await out.count()) - logBefore;
  const diskAfter = disk ? du(filesDir) : undefined;
  hostile.stdin.end();
  await hostile.exited;
  rss.stop();
  server.kill("SIGKILL");
  await server.exited;
  rmSync(dir, { recursive: true, force: true });
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
    logLines,
    ...(diskAfter !== undefined ? { diskPeak: Math.max(diskPeak, diskAfter), diskAfter } : {}),
    tookMs,
  };
  console.error(JSON.stringify(result));
  return result;
}

function report(results: Result[]): string {
  const mib = (kib: number) => `${Math.round(kib / 1024)} MiB`;
  const ms = (n: number) => (Number.isNaN(n) ? "–" : n < 10 ? `${n.toFixed(1)} ms` : `${Math.round(n)} ms`);
  const rows = results.map(
    (r) =>
      `| ${r.scenario} | ${r.server} | ${(r.tookMs / 1000).toFixed(1)} s | ${r.pings} | ${r.unanswered} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max)} | ${mib(r.rssBefore)} | ${mib(r.rssPeak)} | ${mib(r.rssAfter)} | ${r.logLines} |`,
  );
  return `# Hostile benchmark (bench/hostile.ts)

\`bun run bench:hostile${flags.before ? " -- --before <checkout>" : ""}\`: each server on core 0, the attacker and the bystander on core 1, one after the other in one run.
The bystander sends /ping every ${PING_EVERY_MS} ms (within its flood budget) while the attack runs; an unanswered ping counts as lost.
"log lines": what the server logged while attacked.

${Object.entries(SCENARIOS)
  .map(([id, s]) => `- **${id}**: ${s.what}.`)
  .join("\n")}

| attack | server | attack ran | pings | unanswered | p50 | p99 | max | RSS before | RSS peak | RSS after | log lines |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join("\n")}
${results
  .filter((r) => r.diskAfter !== undefined)
  .map((r) => `\n${r.scenario} (${r.server}): the files directory held at most ${(r.diskPeak! / 1048576).toFixed(1)} MiB while attacked (the files kept, and uploads being written), ${(r.diskAfter! / 1048576).toFixed(1)} MiB after: the files kept (at most 10 a minute from each guest and each address), nothing of the cut-off or refused ones.`)
  .join("")}
`;
}

/** A server's log file: a line waited for, and how many lines it has. */
function logOf(file: string) {
  const read = () => Bun.file(file).text().catch(() => "");
  return {
    async count(): Promise<number> {
      return (await read()).split("\n").length - 1;
    },
    async wait(test: RegExp, timeoutMs: number): Promise<string> {
      for (let i = 0; i < timeoutMs / 50; i++) {
        const line = (await read()).split("\n").find((l) => test.test(l));
        if (line !== undefined) return line;
        await Bun.sleep(50);
      }
      throw new Error(`no line ${String(test)} within ${timeoutMs} ms`);
    },
  };
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
    /** Lines read so far. */
    count: () => seen.length,
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
