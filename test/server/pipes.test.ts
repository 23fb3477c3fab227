// Connections piped to a user's node (src/doors/pipes.ts), the parts two real nodes can't show at
// will: a home node that never answers the opening, and one that goes.

import { describe, expect, test } from "bun:test";
import type { PipeEvent } from "../../src/cluster/envelope.ts";
import type { NodeBus, PipeHandler } from "../../src/cluster/roster.ts";
import { PIPE_ANSWER_MS, Pipes } from "../../src/doors/pipes.ts";
import type { Session } from "../../src/session/session.ts";

function setUp() {
  const sent: PipeEvent[] = [];
  let handler: PipeHandler | undefined;
  const bus = { node: "b", sendPipe: (e: PipeEvent) => (sent.push(e), true), onPipes: (h: PipeHandler) => void (handler = h) } as unknown as NodeBus;
  const timers: { ms: number; f: () => void }[] = [];
  const pipes = new Pipes(bus, {
    session: () => {
      throw new Error("no session is hosted here");
    },
    released: () => {},
    log: () => {},
    later: (ms, f) => (timers.push({ ms, f }), { cancel() {} }),
  });
  const ended: (string | undefined)[] = [];
  const written: string[] = [];
  const session = {
    mode: "json",
    door: "tcp",
    address: "192.0.2.7",
    peer: "192.0.2.7:5000",
    pipeEnded: (why?: string) => void ended.push(why),
    deliver: (bytes: Uint8Array) => void written.push(new TextDecoder().decode(bytes)),
  } as unknown as Session;
  return { sent, handler: () => handler!, timers, pipes, session, ended, written };
}

describe("piped connections", () => {
  test("the opening names the node, the mode, the door and the address; lines follow; what comes back is written", () => {
    const t = setUp();
    const pipe = t.pipes.open(t.session, "a", "Sam")!;
    expect(t.sent[0]).toMatchObject({ type: "pipe", node: "a", from: "b", op: "open", mode: "json", door: "tcp", address: "192.0.2.7", text: "Sam" });
    pipe.line("correct-horse");
    expect(t.sent[1]).toMatchObject({ op: "line", node: "a", text: "correct-horse", pipe: t.sent[0]!.pipe });
    t.handler().event({ type: "pipe", node: "b", from: "a", pipe: t.sent[0]!.pipe, op: "out", text: '{"type":"welcome"}\n' });
    expect(t.written).toEqual(['{"type":"welcome"}\n']);
    t.timers[0]!.f(); // answered: the deadline passes it by
    expect(t.ended).toEqual([]);
    pipe.close();
    expect(t.sent.at(-1)).toMatchObject({ op: "close", node: "a" });
  });

  test("a home node that does not answer the opening within PIPE_ANSWER_MS: the connection is told and closed, and the pipe closed there", () => {
    const t = setUp();
    t.pipes.open(t.session, "a", "Sam");
    expect(t.timers[0]!.ms).toBe(PIPE_ANSWER_MS);
    t.timers[0]!.f();
    expect(t.ended).toEqual(["The server your name is on (a) did not answer; connect again."]);
    expect(t.sent.at(-1)).toMatchObject({ op: "close", node: "a" });
  });

  test("a home node that is gone: its piped connections are told and closed; another node's are not", () => {
    const t = setUp();
    t.pipes.open(t.session, "a", "Sam");
    t.handler().gone("c");
    expect(t.ended).toEqual([]);
    t.handler().gone("a");
    expect(t.ended).toEqual(["The server your name is on (a) is gone; connect again."]);
  });
});
