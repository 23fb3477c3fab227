// The client's reconnection backoff: 1, 2, 4… s up to 30 s, each ±50 %.

import { expect, test } from "bun:test";
import { backoffMs } from "../../src/client/backoff.ts";

test.each([
  [0, 0.5, 1000],
  [0, 0, 500],
  [0, 0.999, 1499],
  [1, 0.5, 2000],
  [2, 0.5, 4000],
  [4, 0.5, 16_000],
  [5, 0.5, 30_000], // 32 s, capped
  [5, 0, 15_000], // the cap, then the jitter
  [20, 0.999, 30_000],
])("attempt %p with jitter %p waits %p ms", (attempt, random, ms) => {
  expect(backoffMs(attempt, random)).toBe(ms);
});
