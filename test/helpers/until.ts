// Waiting on a condition that no event tells us about (another node applied something, a socket
// finished closing): polled, bounded in count and time, and asserted at the end.

import { expect } from "bun:test";

/** Waits (bounded: `timeoutMs`, 2 s by default, in steps of 20 ms) for `done`, then asserts it. */
export async function until(done: () => boolean | Promise<boolean>, timeoutMs = 2000): Promise<void> {
  for (let i = 0; i < timeoutMs / 20 && !(await done()); i++) await Bun.sleep(20);
  expect(await done()).toBe(true);
}
