// Catch-up takes turns (issue 32): a crowd shown what it missed at once does not hold the event
// loop; past a slice of a turn the rest wait in line, in order, and everyone else is served between.

import { expect, test } from "bun:test";
import { Hub } from "../../src/core/hub.ts";
import { MemoryHistory } from "../../src/store/memory/history.ts";
import { keepIn } from "../helpers/kept.ts";

test("2000 catch-ups at once: the first go at once, the rest take turns in order, and other work runs between them", async () => {
  const history = new MemoryHistory({ retention: { linesPerRoom: 1000, days: 0 } });
  for (let i = 0; i < 300; i++) keepIn(history, { type: "public", room: "#dev", from: "Sam", text: `line ${i}`, ts: 1000 + i });
  const hub = new Hub({ history });
  const order: number[] = [];
  let otherWorkAt: number | undefined;
  setImmediate(() => (otherWorkAt = order.length)); // a socket's turn, queued before the crowd's
  const answers = Array.from({ length: 2000 }, (_, i) => {
    const replay = hub.keeping.replay("#dev", 1100);
    const done = (r: Awaited<typeof replay>) => {
      order.push(i);
      return r;
    };
    return replay instanceof Promise ? replay.then(done) : done(replay);
  });
  const waited = answers.filter((a) => a instanceof Promise).length;
  const all = await Promise.all(answers);
  expect(waited).toBeGreaterThan(0); // past the slice, they waited
  expect(waited).toBeLessThan(2000); // the first went at once
  expect(order).toEqual(Array.from({ length: 2000 }, (_, i) => i)); // in the order asked
  expect(otherWorkAt).toBeLessThan(2000); // the other work did not wait for all of them
  for (const r of all) expect(r?.kept.map((k) => ("text" in k.event ? k.event.text : "")).at(-1)).toBe("line 299");
  expect(all[0]?.since).toBe(1100);
  expect(all[0]?.kept).toHaveLength(199); // everything after the marker
});
