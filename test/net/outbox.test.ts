import { beforeEach, describe, expect, test } from "bun:test";
import { Outbox, OutboxPool, type Writable } from "../../src/net/outbox.ts";
import { Turns } from "../../src/core/turns.ts";

/** A socket that takes at most `room` bytes per write, like a full kernel buffer. */
class TightSocket implements Writable {
  received: number[] = [];
  writes = 0;
  ended = false;
  closed = false;
  constructor(public room: number) {}
  write(data: Uint8Array): number {
    if (this.closed) return -1;
    this.writes++;
    const n = Math.min(this.room, data.length);
    this.received.push(...data.subarray(0, n));
    return n;
  }
  end(): void {
    this.ended = true;
  }
  terminate(): void {
    this.closed = true;
  }
}

const bytes = (...values: number[]) => new Uint8Array(values);

describe("Outbox", () => {
  test("keeps what write() did not accept and sends it, in order, on drain", () => {
    const socket = new TightSocket(2);
    const outbox = new Outbox(socket);
    outbox.send(bytes(1, 2, 3, 4, 5));
    outbox.send(bytes(6, 7));
    expect(socket.received).toEqual([1, 2]);
    expect(outbox.pendingBytes).toBe(5);
    for (let i = 0; i < 10 && outbox.pendingBytes > 0; i++) outbox.drain();
    expect(socket.received).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(outbox.pendingBytes).toBe(0);
  });

  test("nothing overtakes what is already queued, even when the socket has room again", () => {
    const socket = new TightSocket(1);
    const outbox = new Outbox(socket);
    outbox.send(bytes(1, 2));
    socket.room = 100;
    outbox.send(bytes(3));
    expect(socket.received).toEqual([1]);
    outbox.drain();
    expect(socket.received).toEqual([1, 2, 3]);
  });

  test("end() closes only after everything queued has been written", () => {
    const socket = new TightSocket(1);
    const outbox = new Outbox(socket);
    outbox.send(bytes(1, 2, 3));
    outbox.end();
    outbox.send(bytes(9)); // after end: dropped
    expect(socket.ended).toBe(false);
    outbox.drain();
    expect(socket.ended).toBe(false);
    outbox.drain();
    expect(socket.received).toEqual([1, 2, 3]);
    expect(socket.ended).toBe(true);
  });

  test("end() with nothing queued closes at once", () => {
    const socket = new TightSocket(10);
    const outbox = new Outbox(socket);
    outbox.send(bytes(1));
    outbox.end();
    expect(socket.ended).toBe(true);
  });

  test("past its limit the queue is dropped, overflow is reported, then the socket is ended", () => {
    const socket = new TightSocket(0); // a peer that reads nothing
    const events: string[] = [];
    const outbox = new Outbox(socket, 4, {
      outboxOverflowed: () => void events.push(`overflow, ended=${socket.ended}`),
    });
    outbox.send(bytes(1, 2, 3));
    outbox.send(bytes(4));
    expect(events).toEqual([]);
    expect(outbox.pendingBytes).toBe(4);
    outbox.send(bytes(5));
    expect(events).toEqual(["overflow, ended=false"]); // reported before end() can run a close handler
    expect(socket.ended).toBe(true);
    expect(outbox.pendingBytes).toBe(0);
    outbox.send(bytes(6));
    expect(outbox.pendingBytes).toBe(0);
    expect(events).toHaveLength(1);
  });

  test("the last words of a dropped outbox wait for the reader, then the socket is ended", () => {
    const socket = new TightSocket(0);
    const outbox = new Outbox(socket, 4, { outboxOverflowed: (held) => bytes(0xee, held) });
    outbox.send(bytes(1, 2, 3, 4));
    outbox.send(bytes(5)); // over the limit: the 4 held bytes are dropped, the last words wait
    expect(socket.ended).toBe(false);
    expect(outbox.pendingBytes).toBe(2);
    outbox.send(bytes(6)); // closed: nothing more is taken
    socket.room = 100;
    outbox.drain();
    expect(socket.received).toEqual([0xee, 4]);
    expect(socket.ended).toBe(true);
  });

  test("bytes the socket accepted do not count against the limit", () => {
    const socket = new TightSocket(100);
    const outbox = new Outbox(socket, 4, {
      outboxOverflowed() {
        throw new Error("must not overflow");
      },
    });
    for (let i = 0; i < 10; i++) outbox.send(new Uint8Array(50));
    expect(socket.received).toHaveLength(500);
  });

  test("a closed socket (write returns -1) drops the queue instead of growing it", () => {
    const socket = new TightSocket(1);
    const outbox = new Outbox(socket);
    outbox.send(bytes(1, 2));
    socket.closed = true;
    outbox.drain();
    outbox.send(bytes(3, 4));
    expect(outbox.pendingBytes).toBe(0);
    expect(outbox.closed).toBe(true);
  });
});

describe("Outbox with turns", () => {
  // The turn ends when the test says so: no waiting on the event loop.
  let turns = new Turns(() => {});
  beforeEach(() => {
    turns = new Turns(() => {});
  });
  const turn = () => turns.flushHeld();

  test("what is sent in one turn is written once, in order, at the end of the turn", () => {
    const socket = new TightSocket(100);
    const outbox = new Outbox(socket, Number.POSITIVE_INFINITY, undefined, turns);
    for (let i = 1; i <= 5; i++) outbox.send(bytes(i));
    expect(socket.writes).toBe(0);
    expect(outbox.pendingBytes).toBe(5);
    turn();
    expect(socket.writes).toBe(1);
    expect(socket.received).toEqual([1, 2, 3, 4, 5]);
    outbox.send(bytes(6));
    turn();
    expect(socket.writes).toBe(2);
    expect(socket.received).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test("held bytes go behind what the socket has not taken yet", () => {
    const socket = new TightSocket(1);
    const outbox = new Outbox(socket, Number.POSITIVE_INFINITY, undefined, turns);
    outbox.send(bytes(1, 2, 3));
    turn();
    outbox.send(bytes(4));
    socket.room = 100;
    turn();
    expect(socket.received).toEqual([1]); // 2, 3 are queued; 4 may not overtake them
    outbox.drain();
    expect(socket.received).toEqual([1, 2, 3, 4]);
  });

  test("end() writes what is held, then closes, without waiting for the turn", () => {
    const socket = new TightSocket(100);
    const outbox = new Outbox(socket, Number.POSITIVE_INFINITY, undefined, turns);
    outbox.send(bytes(1, 2));
    outbox.end();
    expect(socket.received).toEqual([1, 2]);
    expect(socket.ended).toBe(true);
  });

  test("a turn that holds more than 64 KiB writes as it goes; the limit applies to what the socket refused", () => {
    const socket = new TightSocket(100_000);
    let overflowed = 0;
    const outbox = new Outbox(socket, 1000, { outboxOverflowed: () => void overflowed++ }, turns);
    for (let i = 0; i < 40; i++) outbox.send(new Uint8Array(4000)); // 160 KB in one turn
    expect(socket.writes).toBe(2); // at 64 KiB and again at 128 KiB
    expect(overflowed).toBe(0);
    turn();
    expect(socket.received).toHaveLength(160_000);
    socket.room = 0;
    for (let i = 0; i < 16; i++) outbox.send(new Uint8Array(4000)); // under 64 KiB: held
    expect(overflowed).toBe(0); // held, not refused
    turn();
    expect(overflowed).toBe(1); // refused by the socket, and more than the limit
    expect(socket.ended).toBe(true);
  });

  test("parts handed over for the turn are merged with what is held, by sequence number", () => {
    const socket = new TightSocket(100);
    const outbox = new Outbox(socket, Number.POSITIVE_INFINITY, undefined, turns);
    outbox.send(bytes(5), 5);
    outbox.send(bytes(8), 8);
    outbox.sendTurn([bytes(3), bytes(6), bytes(9)], [3, 6, 9]);
    expect(outbox.pendingBytes).toBe(5);
    turn();
    expect(socket.received).toEqual([3, 5, 6, 8, 9]);
    expect(socket.writes).toBe(1);
  });
});

describe("OutboxPool", () => {
  test("past the total, the outboxes holding the most are dropped until it holds three quarters; the rest go on", () => {
    const log: string[] = [];
    const pool = new OutboxPool(1000, (l) => void log.push(l));
    const dropped: string[] = [];
    const make = (label: string) => {
      const socket = new TightSocket(0);
      const outbox = new Outbox(socket, 10_000, { outboxOverflowed: () => void dropped.push(label) }, undefined, pool);
      return { socket, outbox };
    };
    const [a, b, c] = [make("a"), make("b"), make("c")];
    a.outbox.send(new Uint8Array(500));
    b.outbox.send(new Uint8Array(300));
    c.outbox.send(new Uint8Array(150));
    expect(pool.bytes).toBe(950);
    expect(dropped).toEqual([]);
    c.outbox.send(new Uint8Array(100)); // 1050: over; dropping a (500) leaves 550, under 750
    expect(dropped).toEqual(["a"]);
    expect(pool.bytes).toBe(550);
    expect(a.socket.ended).toBe(true);
    expect(log).toEqual([
      "! output waiting for slow readers passed 1 KiB in all: dropped the 1 connection(s) holding the most (0 KiB)",
    ]);
    b.socket.room = 1000;
    b.outbox.drain(); // what drains leaves the pool
    expect(pool.bytes).toBe(250);
    c.outbox.discard();
    expect(pool.bytes).toBe(0);
  });
});
