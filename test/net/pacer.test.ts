// The pacer that the server's sessions and the bundled client share, on a clock that moves only
// when told to.

import { describe, expect, test } from "bun:test";
import { FloodBudget } from "../../src/net/bucket.ts";
import { Pacer, type PacerHost } from "../../src/net/pacer.ts";
import { fakeClock } from "../helpers/clock.ts";

/** Lines paced by a flood budget of `burst` lines and `perSecond` after: what went, and when. */
function paced(burst: number, perSecond: number) {
  const clock = fakeClock();
  const budget = new FloodBudget(burst, perSecond, clock.now());
  const went: [string, number][] = [];
  let drained = 0;
  const host: PacerHost<string> = {
    paceWait: (line, now) => budget.wait(line.length, now),
    paceTake: (line, now) => budget.take(line.length, now),
    paced: (line) => void went.push([line, clock.now() - 1000]),
    paceDrained: () => void drained++,
  };
  const pacer = new Pacer(host, clock);
  return { clock, pacer, went, drained: () => drained };
}

describe("Pacer", () => {
  test("lines go at once while the budget allows, then one by one as it refills, in order", () => {
    const { clock, pacer, went, drained } = paced(3, 10);
    for (const line of ["a", "b", "c", "d", "e"]) pacer.push(line);
    expect(went).toEqual([
      ["a", 0],
      ["b", 0],
      ["c", 0],
    ]);
    expect(pacer.length).toBe(2);
    clock.advance(1000);
    expect(went.slice(3)).toEqual([
      ["d", 100],
      ["e", 200],
    ]);
    expect(drained()).toBe(1); // the backlog is over once
  });

  test("a hold stops everything behind it until released; released with nothing waiting, it says so", () => {
    const { pacer, went, drained } = paced(10, 10);
    pacer.hold("claim");
    pacer.push("a");
    pacer.push("b");
    expect(went).toEqual([]);
    expect(pacer.holding("claim")).toBe(true);
    pacer.release("claim");
    expect(went.map(([l]) => l)).toEqual(["a", "b"]);
    pacer.hold("answer");
    pacer.release("answer");
    expect(drained()).toBe(2);
  });

  test("two holds: both must be released", () => {
    const { pacer, went } = paced(10, 10);
    pacer.hold("offline");
    pacer.hold("answer");
    pacer.push("a");
    pacer.release("answer");
    expect(went).toEqual([]);
    pacer.release("offline");
    expect(went.map(([l]) => l)).toEqual(["a"]);
  });

  test("one reason held twice (a wait begun while answering another) goes on only after both releases", () => {
    const { pacer, went } = paced(10, 10);
    pacer.hold("answer");
    pacer.push("a");
    pacer.hold("answer"); // the first answer came, and asked for a second one
    pacer.release("answer");
    expect(went).toEqual([]);
    expect(pacer.holding("answer")).toBe(true);
    pacer.release("answer");
    pacer.release("answer"); // one too many: nothing to release
    expect(went.map(([l]) => l)).toEqual(["a"]);
    expect(pacer.held).toBe(false);
  });

  test("clear forgets what waits and its timer", () => {
    const { clock, pacer, went } = paced(1, 1);
    pacer.push("a");
    pacer.push("b");
    pacer.clear();
    clock.advance(5000);
    expect(went.map(([l]) => l)).toEqual(["a"]);
    pacer.push("c");
    expect(went.map(([l]) => l)).toEqual(["a", "c"]);
  });
});
