import { describe, expect, test } from "bun:test";
import { Turns } from "../../src/core/turns.ts";

describe("Turns", () => {
  test("the end of a turn runs the hooks (and hooks they add) before any holder writes", () => {
    const scheduled: (() => void)[] = [];
    const turns = new Turns((run) => void scheduled.push(run));
    const order: string[] = [];
    turns.hold({ flush: () => void order.push("holder") });
    turns.beforeWrite(() => {
      order.push("hook");
      turns.beforeWrite(() => void order.push("hook added by a hook"));
    });
    expect(scheduled).toHaveLength(1); // one end of turn, however many take part
    scheduled[0]!();
    expect(order).toEqual(["hook", "hook added by a hook", "holder"]);
  });

  test("the commit runs after the hooks; when it says its writer writes a turn later (Redis), the turn's bytes wait a turn", () => {
    const scheduled: (() => void)[] = [];
    const turns = new Turns((run) => void scheduled.push(run));
    const order: string[] = [];
    let later = false;
    turns.beforeBytes(() => {
      order.push("commit");
      return later;
    });
    turns.hold({ flush: () => void order.push("holder") });
    turns.beforeWrite(() => void order.push("hook"));
    scheduled.shift()!();
    expect(order).toEqual(["hook", "commit", "holder"]); // a file's journal: written now, bytes go now
    order.length = 0;
    later = true;
    turns.hold({ flush: () => void order.push("holder") });
    scheduled.shift()!();
    expect(order).toEqual(["commit"]); // handed to Redis's client: the bytes wait…
    expect(scheduled).toHaveLength(1);
    scheduled.shift()!();
    expect(order).toEqual(["commit", "holder"]); // …for the next turn of the loop, when it has written
  });

  test("two servers in one process keep their own order and their own turns", () => {
    const a = new Turns(() => {});
    const b = new Turns(() => {});
    expect([a.nextSeq(), a.nextSeq(), b.nextSeq()]).toEqual([1, 2, 1]);
    let flushed = 0;
    a.hold({ flush: () => void flushed++ });
    b.flushHeld();
    expect(flushed).toBe(0);
    a.flushHeld();
    expect(flushed).toBe(1);
  });

  test("holders with the same parts share one joined buffer", () => {
    const turns = new Turns(() => {});
    const parts = [new Uint8Array([1]), new Uint8Array([2])];
    const first = turns.join(parts, 2);
    expect([...first]).toEqual([1, 2]);
    expect(turns.join([...parts], 2)).toBe(first);
  });
});
