// The load generator of `bun run bench` (bench/run.ts starts one per server under test, on its own
// core). It holds every client connection and answers the coordinator over IPC:
//   join      connect and register N users (in the server's own way), and put them in R rooms
//             (user i in room i % R: /join #r<i % R>) → how long it took
//   fanout    S senders write as fast as the server takes lines, each at most WINDOW lines ahead
//             of the slowest receiver → deliveries/s, lost, out of order
//   latency   S senders at a fixed total rate → p50/p99/max from send to receipt
//   quit      close everything and exit
// Every payload is "p <sender> <seq> <send time in µs>"; receivers parse it from the raw bytes, so
// what was lost, reordered, duplicated or corrupted (a line cut or glued to another) is counted
// exactly and separately, whatever each server puts around it.

import type { Socket } from "bun";
import { Outbox } from "../src/net/outbox.ts";
import { type LoadReply, type LoadRequest, type Protocol, windowLines } from "./shared.ts";

const NL = 0x0a;
const SP = 0x20;
const QUOTE = 0x22;
const COLON = 0x3a;
const CR = 0x0d;
const P = 0x70;
const encoder = new TextEncoder();
const micros = () => Math.round(performance.now() * 1000);

/** Senders a measurement may have at most (sequence numbers are kept per sender): one in each of 1000 rooms. */
const MAX_SENDERS = 1024;
/** Gaps tracked per receiver and sender; a bigger one is counted lost at once. */
const MAX_GAP = 100_000;

/** Latency histogram: 10 µs buckets up to 1 s, and one for everything slower. */
const BUCKET_US = 10;
const BUCKETS = 100_000;

interface Conn {
  index: number;
  socket: Pick<Socket<Conn>, "terminate">;
  outbox: Pick<Outbox, "send" | "drain" | "pendingBytes">;
  leftover: Uint8Array | undefined;
  /** Parser state inside the current line (see scan), the last two bytes, and the numbers so far. */
  state: number;
  prev: number;
  prev2: number;
  n1: number;
  n2: number;
  n3: number;
  /** Highest sequence number heard from each sender (-1: none yet). */
  last: Int32Array;
  /** Per sender, sequence numbers skipped over and not heard yet: a late one is reordered, not lost. */
  gaps: Map<number, Set<number>> | undefined;
  /** Structured (JSON) mode: protocol "json", and every other user of "mixed". */
  json: boolean;
  /** IRC: protocol "irc", and every third user of "mixed-irc". */
  irc: boolean;
  joined: boolean;
  /** What registration waits for: the welcome, then (with rooms) the answer to its /join. */
  awaiting: "welcome" | "room";
  /** Its room (rooms are numbered), or -1 when the users are not put in rooms. */
  room: number;
  onJoin: (() => void) | undefined;
  closed: boolean;
}

let protocol: Protocol;
/** Rooms the users are in (0: none, everyone hears every sender); sender s talks in room s % rooms. */
let rooms = 0;
/** Whether receiver `r` is meant to hear sender `s`. */
const hears = (r: Conn, s: number) => rooms === 0 || s % rooms === r.room;
/** The server's ports: users are spread over them in turn (a cluster's nodes). */
let ports: number[] = [];
let conns: Conn[] = [];
const stats = {
  deliveries: 0,
  /** Lines a gap was too big to track: lost for good. */
  lost: 0,
  reordered: 0,
  duplicated: 0,
  /** Lines that held a payload but not whole: cut, or glued to another. */
  corrupted: 0,
  measuring: false,
  latency: false,
  maxUs: 0,
  senders: 0,
  /** performance.now() of the latest delivery. */
  lastAt: 0,
};
/** Next sequence number per sender; kept across measurements, so late lines from one can't pass for another's. */
const next = new Int32Array(MAX_SENDERS);
const histogram = new Uint32Array(BUCKETS + 1);
let afterData: (() => void) | undefined;
let pumpScheduled = false;

/** Where a connection's parser is inside the current line. */
const SEEK = 0; // looking for "p " at the line's start or after a space or a quote
const SENDER = 1;
const SEQ = 2;
const SENT = 3;
const SKIP = 4; // payload read, or the line can't hold one: wait for the newline

/**
 * One pass over the bytes, with the parser's state kept on the connection between chunks: no
 * per-line calls, copies or searches. At millions of deliveries a second the load generator, not
 * the server, is otherwise what gets measured.
 */
function scan(conn: Conn, b: Uint8Array): void {
  if (!conn.joined) return scanJoin(conn, b);
  let { state, prev, prev2, n1, n2, n3 } = conn;
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c === NL) {
      if (state === SENT && !conn.json) record(conn, n1, n2, n3);
      else if (state === SENDER || state === SEQ || state === SENT) corrupt();
      state = SEEK;
      prev = prev2 = NL;
      continue;
    }
    switch (state) {
      case SEEK:
        if (c === SP && prev === P && (prev2 === NL || prev2 === SP || prev2 === QUOTE || prev2 === COLON)) {
          state = SENDER;
          n1 = n2 = n3 = 0;
        }
        break;
      case SENDER:
        if (c >= 48 && c <= 57) n1 = n1 * 10 + c - 48;
        else if (c === SP) state = SEQ;
        else {
          state = SKIP;
          corrupt();
        }
        break;
      case SEQ:
        if (c >= 48 && c <= 57) n2 = n2 * 10 + c - 48;
        else if (c === SP) state = SENT;
        else {
          state = SKIP;
          corrupt();
        }
        break;
      case SENT:
        if (c >= 48 && c <= 57) n3 = n3 * 10 + c - 48;
        else {
          // The payload ends the line, or (JSON) the string, or (IRC) at its "\r": anything else is a line cut or glued.
          if ((c === QUOTE && conn.json) || (c === CR && !conn.json)) record(conn, n1, n2, n3);
          else corrupt();
          state = SKIP;
        }
        break;
    }
    prev2 = prev;
    prev = c;
  }
  // Plain stores: per chunk, with a thousand connections, even Object.assign and performance.now()
  // were three quarters of the load generator's time.
  conn.state = state;
  conn.prev = prev;
  conn.prev2 = prev2;
  conn.n1 = n1;
  conn.n2 = n2;
  conn.n3 = n3;
}

/** Notes when deliveries last grew (checked every few ms by the measuring loops, not per chunk). */
let seenDeliveries = 0;
function noteProgress(): void {
  if (stats.deliveries === seenDeliveries) return;
  seenDeliveries = stats.deliveries;
  stats.lastAt = performance.now();
}

/** Before the welcome: whole lines, decoded (a few per connection). */
function scanJoin(conn: Conn, chunk: Uint8Array): void {
  let bytes = chunk;
  if (conn.leftover) {
    bytes = new Uint8Array(conn.leftover.length + chunk.length);
    bytes.set(conn.leftover);
    bytes.set(chunk, conn.leftover.length);
    conn.leftover = undefined;
  }
  let start = 0;
  for (let nl = bytes.indexOf(NL); nl !== -1; nl = bytes.indexOf(NL, start)) {
    const joinedNow = joinLine(conn, bytes, start, nl);
    start = nl + 1;
    if (joinedNow) return scan(conn, bytes.subarray(start)); // the rest is chat
  }
  if (start < bytes.length) conn.leftover = bytes.slice(start);
}

function corrupt(): void {
  if (stats.measuring) stats.corrupted++;
}

function record(conn: Conn, sender: number, seq: number, sent: number): void {
  if (!stats.measuring || conn.index < stats.senders) return; // senders hear each other: not counted
  if (sender >= MAX_SENDERS || !hears(conn, sender)) return corrupt(); // not a delivery: not for it
  const last = conn.last[sender]!;
  if (seq > last + 1) {
    // Skipped over: missing for now; a late arrival is reordered, one that never comes is lost.
    if (seq - last - 1 > MAX_GAP) stats.lost += seq - last - 1;
    else {
      const gaps = (conn.gaps ??= new Map());
      let gap = gaps.get(sender);
      if (!gap) gaps.set(sender, (gap = new Set()));
      for (let k = last + 1; k < seq; k++) gap.add(k);
    }
  } else if (seq <= last) {
    if (!conn.gaps?.get(sender)?.delete(seq)) {
      stats.duplicated++;
      return;
    }
    stats.reordered++;
  }
  if (seq > last) conn.last[sender] = seq;
  stats.deliveries++;
  if (stats.latency) {
    const us = micros() - sent;
    histogram[Math.min(BUCKETS, Math.floor(us / BUCKET_US))]!++;
    if (us > stats.maxUs) stats.maxUs = us;
  }
}

const WELCOME = {
  welcome: { json: encoder.encode('{"type":"welcome"'), text: encoder.encode("Hi "), irc: " 001 " },
  room: { json: encoder.encode('{"type":"room"'), text: encoder.encode("--> You joined #"), irc: " 366 " },
};
const decoder = new TextDecoder();

/** Registration: each server says "you are in" its own way (and bunchat "you joined the room"). True once it has. */
function joinLine(conn: Conn, b: Uint8Array, start: number, end: number): boolean {
  if (conn.irc) {
    // IRC's welcome (001) and end of a channel's names (366): a numeric, after the server's name.
    if (!decoder.decode(b.subarray(start, Math.min(end, start + 200))).includes(WELCOME[conn.awaiting].irc)) return false;
  } else if (protocol !== "ncat") {
    // Compare bytes: a welcome to a room of 10,000 is a 70 KB line, not worth decoding.
    const prefix = conn.json ? WELCOME[conn.awaiting].json : WELCOME[conn.awaiting].text;
    if (end - start < prefix.length) return false;
    for (let i = 0; i < prefix.length; i++) if (b[start + i] !== prefix[i]) return false;
  }
  conn.joined = true;
  conn.onJoin?.();
  return true;
}

/** A connection's state before it has a socket: nothing heard yet, waiting for its welcome. */
function freshConn(index: number, json: boolean, irc: boolean): Conn {
  return {
    index,
    leftover: undefined,
    state: SEEK,
    prev: NL,
    prev2: NL,
    n1: 0,
    n2: 0,
    n3: 0,
    last: new Int32Array(MAX_SENDERS).fill(-1),
    gaps: undefined,
    json,
    irc,
    joined: false,
    awaiting: "welcome",
    room: -1,
    closed: false,
  } as Conn;
}

async function connect(index: number): Promise<Conn> {
  if (protocol === "ws") return connectWs(index);
  const json = protocol === "json" || (protocol === "mixed" && index % 2 === 1) || (protocol === "mixed-irc" && index % 3 === 1);
  const conn = freshConn(index, json, protocol === "irc" || (protocol === "mixed-irc" && index % 3 === 2));
  const joined = new Promise<void>((resolve) => (conn.onJoin = resolve));
  conn.socket = await Bun.connect<Conn>({
    hostname: "127.0.0.1",
    // "mixed-irc": the bunchat users on the first port, the IRC users on the second.
    port: protocol === "mixed-irc" ? ports[conn.irc ? 1 : 0]! : ports[index % ports.length]!,
    socket: {
      open(s) {
        s.data = conn;
        conn.outbox = new Outbox(s);
        const name = `u${index}`;
        if (conn.irc) conn.outbox.send(encoder.encode(`NICK ${name}\r\nUSER ${name} 0 * :${name}\r\n`));
        else if (conn.json) conn.outbox.send(encoder.encode(`{"type":"hello","proto":1}\n${name}\n`));
        else if (protocol !== "ncat") conn.outbox.send(encoder.encode(`${name}\n`));
      },
      data(s, chunk) {
        scan(s.data, chunk);
        schedulePump();
      },
      drain(s) {
        s.data.outbox.drain();
        schedulePump();
      },
      close(s) {
        s.data.closed = true;
      },
      error(s) {
        s.data.closed = true;
      },
    },
  });
  // ncat has no registration: a connection is in at once (it announces it to the others).
  if (protocol === "ncat") {
    conn.joined = true;
    await Bun.sleep(0);
  } else await joined;
  return conn;
}

/** A user of the web door: JSON lines over a WebSocket (binary messages in, one message per batch out). */
async function connectWs(index: number): Promise<Conn> {
  const ws = new WebSocket(`ws://127.0.0.1:${ports[index % ports.length]}/ws`);
  ws.binaryType = "arraybuffer";
  const conn = freshConn(index, true, false);
  conn.socket = { terminate: () => ws.close() };
  conn.outbox = {
    send: (bytes: Uint8Array) => ws.send(bytes as Uint8Array<ArrayBuffer>),
    drain: () => {},
    get pendingBytes() {
      return ws.bufferedAmount;
    },
  };
  const joined = new Promise<void>((resolve) => (conn.onJoin = resolve));
  ws.onmessage = (m) => {
    scan(conn, new Uint8Array(m.data as ArrayBuffer));
    schedulePump();
  };
  ws.onclose = () => (conn.closed = true);
  // The door speaks JSON at once (hello, ask-name): the name is all a user sends.
  ws.onopen = () => ws.send(`u${index}`);
  await joined;
  return conn;
}

function schedulePump(): void {
  if (pumpScheduled || !afterData) return;
  pumpScheduled = true;
  setImmediate(() => {
    pumpScheduled = false;
    afterData?.();
  });
}

/** Sender s's next line: its payload, as a PRIVMSG to its room from an IRC user. */
function payload(s: number): string {
  const line = `p ${s} ${next[s]!++} ${micros()}`;
  return conns[s]!.irc ? `PRIVMSG #r${s % Math.max(1, rooms)} :${line}\r\n` : `${line}\n`;
}

/** Receivers are everyone but the senders (a sender never hears itself). */
const receivers = (senders: number) => conns.slice(senders).filter((c) => !c.closed);

/** The lowest sequence number from `sender` that every receiver meant to hear it has heard. */
function slowest(sender: number, rs: Conn[]): number {
  let min = Number.MAX_SAFE_INTEGER;
  for (const r of rs) if (r.last[sender]! < min && hears(r, sender)) min = r.last[sender]!;
  return min;
}

/** Puts user i in room i % count (/join #r<n>) and waits until each has been answered. */
async function enterRooms(count: number, batch: number): Promise<void> {
  rooms = count;
  for (let i = 0; i < conns.length; i += batch) {
    await Promise.all(
      conns.slice(i, i + batch).map((conn) => {
        conn.room = conn.index % count;
        conn.joined = false;
        conn.awaiting = "room";
        const answered = new Promise<void>((resolve) => (conn.onJoin = resolve));
        conn.outbox.send(encoder.encode(conn.irc ? `JOIN #r${conn.room}\r\n` : `/join #r${conn.room}\n`));
        return answered;
      }),
    );
  }
}

async function fanout(senders: number, windowDeliveries: number, ms: number, giveUpMs = Number.POSITIVE_INFINITY) {
  const rs = receivers(senders);
  // The window is in deliveries: at 1000 users a line is 1000 of them.
  const window = windowLines(windowDeliveries, rs.length, senders);
  const first = Int32Array.from(next);
  const missingBefore = missing(rs); // lost in an earlier measurement: not this one's
  if (senders > MAX_SENDERS) throw new Error(`at most ${MAX_SENDERS} senders`);
  Object.assign(stats, {
    ...{ deliveries: 0, lost: 0, reordered: 0, duplicated: 0, corrupted: 0 },
    ...{ measuring: true, latency: false, senders },
  });
  seenDeliveries = 0;
  const started = performance.now();
  stats.lastAt = started;
  let sending = true;
  // Lines a receiver will never get whole (a server that cuts lines, ncat) would hold the window
  // shut: for such a server, after `giveUpMs` without a delivery what is outstanding is given up on
  // (and counted lost at the end if it never comes). A server that delivers everything is waited
  // for, however long it stalls: the stall is in its time, and nothing it delivers late is lost.
  const givenUp = Int32Array.from(next, (n) => n - 1);
  const pump = () => {
    if (!sending) return;
    const now = performance.now();
    if (now - started >= ms) {
      sending = false;
      return;
    }
    const stalled = now - stats.lastAt > giveUpMs;
    for (let s = 0; s < senders; s++) {
      if (stalled) givenUp[s] = next[s]! - 1;
      const outstanding = next[s]! - 1 - Math.max(slowest(s, rs), givenUp[s]!);
      // Top up in batches of at least half a window, and only once the last batch is written.
      if (outstanding > window / 2 || conns[s]!.outbox.pendingBytes > 0) continue;
      let batch = "";
      for (let k = outstanding; k < window; k++) batch += payload(s);
      conns[s]!.outbox.send(encoder.encode(batch));
    }
  };
  afterData = pump;
  pump();
  // Send for `ms`, then wait until every receiver has every line, or nothing has arrived for 2 s.
  const deadline = started + ms + 10_000;
  while (performance.now() < deadline) {
    await Bun.sleep(5);
    noteProgress();
    if (sending) pump();
    else if (caughtUp(rs) || performance.now() - stats.lastAt > 2000) break;
  }
  afterData = undefined;
  sending = false;
  stats.measuring = false;
  const sent = next.reduce((sum, n, s) => sum + n - first[s]!, 0);
  return {
    sent,
    window,
    deliveries: stats.deliveries,
    seconds: (stats.lastAt - started) / 1000,
    lost: stats.lost + missing(rs) - missingBefore,
    reordered: stats.reordered,
    duplicated: stats.duplicated,
    corrupted: stats.corrupted,
    closed: conns.filter((c) => c.closed).length,
  };
}

/** Lines sent that some receiver has not heard yet (or never will): skipped over, or after its last. */
function missing(rs: Conn[]): number {
  let sum = 0;
  for (const r of rs) {
    for (let s = 0; s < next.length; s++) if (hears(r, s)) sum += next[s]! - 1 - r.last[s]!;
    for (const gap of r.gaps?.values() ?? []) sum += gap.size;
  }
  return sum;
}

function caughtUp(rs: Conn[]): boolean {
  for (let s = 0; s < next.length; s++) if (slowest(s, rs) < next[s]! - 1) return false;
  return true;
}

async function latency(senders: number, perSecond: number, ms: number, patienceMs = 500) {
  const rs = receivers(senders);
  if (rs.length === 0) throw new Error(`${senders} senders leave no one to receive: join more users`);
  histogram.fill(0);
  const missingBefore = missing(rs);
  if (senders > MAX_SENDERS) throw new Error(`at most ${MAX_SENDERS} senders`);
  Object.assign(stats, {
    ...{ deliveries: 0, lost: 0, reordered: 0, duplicated: 0, corrupted: 0 },
    ...{ measuring: true, latency: true, maxUs: 0, senders },
  });
  seenDeliveries = 0;
  const interval = 1000 / perSecond;
  const started = performance.now();
  let sent = 0;
  for (let i = 0; performance.now() - started < ms; i++) {
    const s = i % senders;
    conns[s]!.outbox.send(encoder.encode(payload(s)));
    sent++;
    const due = started + (i + 1) * interval;
    await Bun.sleep(Math.max(0, due - performance.now()));
  }
  const deadline = performance.now() + 10_000;
  stats.lastAt = performance.now();
  while (!caughtUp(rs) && performance.now() < deadline && performance.now() - stats.lastAt < patienceMs) {
    await Bun.sleep(5);
    noteProgress();
  }
  stats.measuring = false;
  if (stats.deliveries === 0) throw new Error("no latency line was delivered");
  const percentile = (p: number) => {
    let seen = 0;
    for (let i = 0; i <= BUCKETS; i++) {
      seen += histogram[i]!;
      // The last bucket holds everything slower than a second: no figure, only "over".
      if (seen >= stats.deliveries * p) return i === BUCKETS ? Number.POSITIVE_INFINITY : (i * BUCKET_US) / 1000;
    }
    return Number.NaN;
  };
  return {
    sent,
    deliveries: stats.deliveries,
    lost: stats.lost + missing(rs) - missingBefore,
    reordered: stats.reordered,
    duplicated: stats.duplicated,
    corrupted: stats.corrupted,
    p50: percentile(0.5),
    p99: percentile(0.99),
    max: stats.maxUs / 1000,
  };
}

function reply(message: LoadReply): void {
  process.send!(message);
}

process.on("message", async (request: LoadRequest) => {
  try {
    if (request.type === "join") {
      protocol = request.protocol;
      ports = request.ports;
      const started = performance.now();
      const batch = request.batch ?? request.users;
      for (let i = conns.length; i < request.users; i += batch) {
        const count = Math.min(batch, request.users - i);
        conns.push(...(await Promise.all(Array.from({ length: count }, (_, k) => connect(i + k)))));
      }
      if (request.rooms) await enterRooms(request.rooms, batch);
      reply({ type: "joined", seconds: (performance.now() - started) / 1000, users: conns.length });
    } else if (request.type === "fanout") {
      reply({ type: "fanout", ...(await fanout(request.senders, request.window, request.ms, request.giveUpMs)) });
    } else if (request.type === "latency") {
      reply({ type: "latency", ...(await latency(request.senders, request.perSecond, request.ms, request.patienceMs)) });
    } else if (request.type === "quit") {
      for (const c of conns) c.socket.terminate();
      conns = [];
      process.exit(0);
    }
  } catch (err) {
    reply({ type: "failed", message: (err as Error).message });
  }
});
