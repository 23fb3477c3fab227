// Timers on a clock that is passed in: repeating ones, and a promise raced against a deadline.

import { expect, test } from "bun:test";
import { every, within } from "../../src/net/clock.ts";
import { fakeClock } from "../helpers/clock.ts";

test("every runs at each interval until cancelled", () => {
  const clock = fakeClock();
  const at: number[] = [];
  const timer = every(clock, 250, () => void at.push(clock.now() - 1000));
  clock.advance(1000);
  timer.cancel();
  clock.advance(1000);
  expect(at).toEqual([250, 500, 750, 1000]);
});

test("within gives the promise's value, or the stand-in once the time is up", async () => {
  expect(await within(Promise.resolve("in time"), 1000, "late")).toBe("in time");
  expect(await within(new Promise(() => {}), 5, "late")).toBe("late");
});
