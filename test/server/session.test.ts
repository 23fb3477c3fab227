// A session without a socket or a real clock: bytes in, what it wrote out, time moved by hand.
// Registration, flood control and the deadlines that no socket event triggers.

import { describe, expect, test } from "bun:test";
import { Turns } from "../../src/core/turns.ts";
import type { Writable } from "../../src/net/outbox.ts";
import { SERVER_LIMITS, type ServerLimits } from "../../src/protocol/limits.ts";
import { Hub } from "../../src/core/hub.ts";
import { PerAddress } from "../../src/session/per-address.ts";
import { ChatLog } from "../../src/session/log-digest.ts";
import { Session } from "../../src/session/session.ts";
import { native } from "../../src/session/native.ts";
import { fakeClock } from "../helpers/clock.ts";

/** A socket that takes everything and remembers it. */
class FakeSocket implements Writable {
  written = "";
  ended = false;
  write(data: Uint8Array): number {
    this.written += new TextDecoder().decode(data);
    return data.length;
  }
  end(): void {
    this.ended = true;
  }
  terminate(): void {
    this.ended = true;
  }
}

function setup(limits: Partial<ServerLimits> = {}, chatLogPerSecond?: number) {
  const clock = fakeClock();
  const hub = new Hub({ clock, turns: new Turns(() => {}) });
  const all = { ...SERVER_LIMITS, attemptBurst: 100, ...limits };
  const log: string[] = [];
  const env = {
    hub,
    limits: all,
    attempts: new PerAddress(all.attemptBurst, 1000 / all.attemptEveryMs),
    log: (line: string) => void log.push(line),
    logRepeat: (_: unknown, __: string, line: string) => void log.push(line),
    chatLog: new ChatLog((line) => void log.push(line), chatLogPerSecond),
    clock,
    logins: new PerAddress(5, 0.2),
    tls: false,
  };
  /** A connection: `say` sends lines, `lines()` is everything written to it so far (at the end of the turn). */
  const connect = (address = "10.0.0.1") => {
    const socket = new FakeSocket();
    const session = new Session(env, socket, address, 40000, "tcp", native);
    session.greet();
    return {
      session,
      socket,
      say: (...lines: string[]) => session.receive(new TextEncoder().encode(lines.map((l) => `${l}\n`).join(""))),
      lines: () => {
        hub.turns.flushHeld();
        return socket.written.split("\n").filter(Boolean);
      },
    };
  };
  return { clock, hub, log, connect };
}

describe("Session", () => {
  test("registration: refused names are answered and asked again; the last allowed refusal closes", () => {
    const { connect } = setup({ maxNameAttempts: 3 });
    const { say, lines, socket } = connect();
    say("server", "a b", "/users");
    expect(lines().filter((l) => l.startsWith("!"))).toEqual([
      '! The name "server" is reserved: it could be mistaken for the server or for everyone.',
      '! A username may contain only letters A-Z, digits, "_" and "-"; it can\'t contain spaces.',
      "! Choose a username first; commands work once you have joined.",
    ]);
    say("x!", "y!");
    expect(lines().at(-1)).toBe("! 3 names refused; closing the connection.");
    expect(socket.ended).toBe(true);
  });

  test("flood control: past the burst, lines wait and go in order as the budget refills; the sender is told once", () => {
    const { clock, connect } = setup({ burstLines: 3, linesPerSecond: 2 });
    const sam = connect();
    sam.say("Sam");
    const ana = connect("10.0.0.2");
    ana.say("Ana");
    sam.say("1", "2", "3", "4", "5");
    expect(ana.lines().filter((l) => l.startsWith("Sam:"))).toEqual(["Sam: 1", "Sam: 2", "Sam: 3"]);
    expect(sam.lines().filter((l) => l.startsWith("!"))).toEqual([
      "! You are sending faster than 2 lines a second (3 at once); your lines are delayed and sent in order.",
    ]);
    clock.advance(500);
    expect(ana.lines().filter((l) => l.startsWith("Sam:"))).toEqual(["Sam: 1", "Sam: 2", "Sam: 3", "Sam: 4"]);
    clock.advance(500);
    expect(ana.lines().filter((l) => l.startsWith("Sam:")).at(-1)).toBe("Sam: 5");
    expect(sam.lines().filter((l) => l.startsWith("!"))).toHaveLength(1);
  });

  test("the log writes rooms' lines up to its budget a second; a flood past it is counted, summed up once the second is over, and delivered whole", () => {
    const { clock, log, connect } = setup({ linesPerSecond: 0 }, 3);
    const sam = connect();
    sam.say("Sam");
    const ana = connect("10.0.0.2");
    ana.say("Ana");
    sam.say("1", "2", "3", "4", "5");
    ana.say("6");
    const chat = () => log.filter((l) => l.startsWith("[Broadcast message"));
    expect(chat()).toEqual(["[Broadcast message from Sam] 1", "[Broadcast message from Sam] 2", "[Broadcast message from Sam] 3"]);
    expect(ana.lines().filter((l) => l.startsWith("Sam:"))).toEqual(["Sam: 1", "Sam: 2", "Sam: 3", "Sam: 4", "Sam: 5"]);
    clock.advance(1000);
    sam.say("7"); // a new second: written again, after the count of the last one
    expect(log.filter((l) => l.startsWith("[Broadcast message") || l.startsWith("…")).slice(3)).toEqual([
      "… 3 more lines in rooms in the last 1 s, past 3 a second: not logged one by one (the history keeps them)",
      "[Broadcast message from Sam] 7",
    ]);
  });

  test("the registration deadline, on the session's clock: closed with the reason, however much it trickled", () => {
    const { clock, connect } = setup({ registerTimeoutMs: 30_000 });
    const { session, lines, socket } = connect();
    clock.advance(29_000);
    session.receive(new TextEncoder().encode("Sa")); // part of a name, never finished
    session.sweep(clock.now());
    expect(socket.ended).toBe(false);
    clock.advance(1001);
    session.sweep(clock.now());
    expect(lines().at(-1)).toBe("! No username chosen within 30 s; closing the connection.");
    expect(socket.ended).toBe(true);
  });

  test("a silent structured client is pinged, and dropped if it does not answer; its leave is told once", () => {
    const { clock, connect } = setup({ pingIdleMs: 60_000, pingTimeoutMs: 30_000 });
    const ana = connect("10.0.0.2");
    ana.say("Ana");
    const jo = connect();
    jo.say('{"type":"hello","proto":1}', "Jo");
    clock.advance(60_000);
    jo.session.sweep(clock.now());
    expect(jo.lines().at(-1)).toBe('{"type":"ping"}');
    clock.advance(30_000);
    jo.session.sweep(clock.now());
    clock.advance(1000); // the leave's presence window
    expect(JSON.parse(jo.lines().at(-1)!)).toMatchObject({ type: "error", code: "ping-timeout" });
    expect(ana.lines().filter((l) => l.includes("Jo left"))).toEqual(["<-- Jo left the chat (timed out)"]);
  });
});
