// One load-generating process of the soak benchmark (bench/soak.ts starts two). It holds its
// share of the clients and talks to the coordinator over IPC:
//   start → joins its healthy and slow clients, starts its churners → "ready"
//   go    → healthy clients send numbered, timestamped lines at random intervals
//   stop  → senders stop → "stopped" with each sender's last sequence number
//   finals (everyone's last numbers) → waits until every healthy client has heard every healthy
//           sender to the end (or 30 s) → "report": lost, out of order, latency histogram.
// Healthy clients read everything; slow clients stop reading; churners come and go, half of them
// vanishing with a reset instead of saying quit.

import type { Socket } from "bun";
import { Outbox } from "../src/net/outbox.ts";
import { LineReader } from "../src/protocol/lines.ts";

import { BUCKET_MS, BUCKETS, type SoakConfig, type WorkerMessage } from "./soak-shared.ts";

const now = () => performance.timeOrigin + performance.now(); // comparable across processes

interface Client {
  name: string;
  socket: Socket<Client>;
  outbox: Outbox;
  reader: LineReader;
  joined: () => void;
  closed: boolean;
  /** Healthy clients count what they hear; churners and slow readers join mid-stream or not at all. */
  counts: boolean;
  /** Healthy senders' last sequence number heard by this client. */
  heard: Map<string, number>;
}

let config: SoakConfig;
const healthy: Client[] = [];
const slow: Client[] = [];
const sent = new Map<string, number>();
const histogram = new Uint32Array(BUCKETS + 1);
let maxLatencyMs = 0;
let deliveries = 0;
let lost = 0;
let reordered = 0;
let churnCycles = 0;
let churnErrors = 0;
let sending = false;
let churning = false;
const timers = new Set<Timer>();

const PUBLIC = /^([A-Za-z0-9_-]+): p (\d+) (\d+\.\d+)$/;

function onLine(client: Client, line: string): void {
  if (line.startsWith("Hi ")) return client.joined();
  if (!client.counts) return;
  const m = PUBLIC.exec(line);
  if (!m) return;
  const [, from, seqText, sentAt] = m;
  deliveries++;
  const ms = now() - Number(sentAt);
  histogram[Math.min(BUCKETS, Math.max(0, Math.floor(ms / BUCKET_MS)))]!++;
  if (ms > maxLatencyMs) maxLatencyMs = ms;
  const seq = Number(seqText);
  const last = client.heard.get(from!) ?? 0;
  if (seq === last + 1) client.heard.set(from!, seq);
  else if (seq > last + 1) {
    lost += seq - last - 1; // a gap: counted lost now, and un-counted if the missing ones show up
    client.heard.set(from!, seq);
  } else {
    reordered++;
    lost--;
  }
}

/** Connections made so far: each goes to the next of the ports. */
let connections = 0;

async function connect(name: string, counts = false): Promise<Client> {
  let joined!: () => void;
  const done = new Promise<void>((resolve) => (joined = resolve));
  const client = { name, closed: false, counts, heard: new Map(), joined } as Client;
  client.reader = new LineReader({ maxBytes: 1 << 20 }, { line: (l) => onLine(client, l), overflow: () => {} });
  client.socket = await Bun.connect<Client>({
    hostname: "127.0.0.1",
    port: config.ports[connections++ % config.ports.length]!,
    socket: {
      open(s) {
        s.data = client;
        client.outbox = new Outbox(s);
        client.outbox.send(new TextEncoder().encode(`${name}\n`));
      },
      data: (s, chunk) => s.data.reader.push(chunk),
      drain: (s) => s.data.outbox.drain(),
      close: (s) => void (s.data.closed = true),
      error: (s) => void (s.data.closed = true),
    },
  });
  const timeout = setTimeout(() => joined(), 30_000);
  await done;
  clearTimeout(timeout);
  return client;
}

function send(client: Client, line: string): void {
  client.outbox.send(new TextEncoder().encode(`${line}\n`));
}

/** Exponentially distributed pauses: senders act independently, like people. */
const pause = (perSecond: number) => (-Math.log(1 - Math.random()) / perSecond) * 1000;

function later(ms: number, action: () => void): void {
  const t = setTimeout(() => {
    timers.delete(t);
    action();
  }, ms);
  timers.add(t);
}

function startSending(client: Client): void {
  const tick = () => {
    if (!sending || client.closed) return;
    const seq = (sent.get(client.name) ?? 0) + 1;
    sent.set(client.name, seq);
    send(client, `p ${seq} ${now().toFixed(3)}`);
    later(pause(config.perClientRate), tick);
  };
  later(pause(config.perClientRate), tick);
}

async function churn(index: number): Promise<void> {
  for (let generation = 0; churning; generation++) {
    try {
      const c = await connect(`c${config.worker}x${index}g${generation}`);
      const life = 1000 + Math.random() * 7000;
      await new Promise<void>((resolve) => later(life, resolve));
      if (generation % 2 === 0)
        c.socket.terminate(); // vanish: a reset, no goodbye
      else {
        send(c, "quit");
        c.outbox.end();
      }
      churnCycles++;
    } catch {
      churnErrors++;
    }
    await new Promise<void>((resolve) => later(200 + Math.random() * 800, resolve));
  }
}

function reply(message: WorkerMessage): void {
  process.send!(message);
}

process.on("message", async (message: { type: string; config?: SoakConfig; finals?: Record<string, number> }) => {
  if (message.type === "start") {
    config = message.config!;
    const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${config.worker}x${i}`);
    // Join in small groups: a real room fills up over time, and each join is announced to all.
    for (const group of chunk(names("h", config.healthy), 50))
      healthy.push(...(await Promise.all(group.map((name) => connect(name, true)))));
    for (const name of names("s", config.slow)) {
      const c = await connect(name);
      c.socket.pause(); // never reads again: its kernel buffer, then its server outbox, fill up
      slow.push(c);
    }
    churning = true;
    for (let i = 0; i < config.churners; i++) void churn(i);
    reply({ type: "ready", joined: healthy.length + slow.length });
  } else if (message.type === "go") {
    sending = true;
    for (const c of healthy) startSending(c);
  } else if (message.type === "stop") {
    sending = false;
    churning = false;
    reply({ type: "stopped", sent: Object.fromEntries(sent) });
  } else if (message.type === "finals") {
    const finals = Object.entries(message.finals!);
    const missing = () =>
      healthy.reduce(
        (sum, c) =>
          c.closed
            ? sum
            : sum + finals.reduce((s, [from, last]) => (from === c.name ? s : s + last - (c.heard.get(from) ?? 0)), 0),
        0,
      );
    const deadline = Date.now() + 30_000;
    while (missing() > 0 && Date.now() < deadline) await Bun.sleep(100);
    // Lost: the gaps seen along the way (less those filled late), plus what never arrived at the end.
    const stillMissing = missing();
    for (const t of timers) clearTimeout(t);
    reply({
      type: "report",
      deliveries,
      lost: lost + stillMissing,
      reordered,
      disconnectedHealthy: healthy.filter((c) => c.closed).length,
      slowDropped: slow.filter((c) => c.closed).length,
      churnCycles,
      churnErrors,
      histogram: sparse(histogram),
      maxLatencyMs,
    });
  }
});

function chunk<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}

function sparse(h: Uint32Array): [number, number][] {
  const out: [number, number][] = [];
  h.forEach((n, i) => n > 0 && out.push([i, n]));
  return out;
}
