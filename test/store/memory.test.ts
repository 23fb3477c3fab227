// MemoryHistory (--db none) on its own: its bounds (per room, in bytes over every room, by age) and
// how far /search reads. What every history store does is in stores.case.ts.

import { describe, expect, test } from "bun:test";
import type { StoredLine } from "../../src/store/history.ts";
import { keepIn, type Unsaid } from "../helpers/kept.ts";
import { lineBytes, parseSearch, type SearchQuery } from "../../src/store/history.ts";
import { MEMORY_SEARCH_BYTES, MemoryHistory } from "../../src/store/memory/history.ts";
import { fakeClock } from "../helpers/clock.ts";

const T0 = Date.UTC(2026, 11, 7, 12);
const say = (room: string, text: string, ts = T0): Unsaid => ({ type: "public", room, from: "Sam", text, ts });
const texts = (kept: { event: StoredLine }[]) => kept.map((k) => k.event.text);
const query = (text: string): SearchQuery => {
  const q = parseSearch(text);
  if ("error" in q) throw new Error(q.error);
  return q;
};

describe("memory history", () => {
  test("a room keeps its last --history-lines lines; other rooms keep theirs", () => {
    const store = new MemoryHistory({ retention: { linesPerRoom: 3, days: 0 } });
    for (let i = 0; i < 5000; i++) keepIn(store, say("#a", `a${i}`));
    keepIn(store, say("#b", "b0"));
    expect(texts(store.recent("#a", 10))).toEqual(["a4997", "a4998", "a4999"]);
    expect(texts(store.recent("#b", 10))).toEqual(["b0"]);
    // What the dropped lines took is given back: three lines of #a and one of #b are held.
    expect(store.memory).toBe(3 * lineBytes({ id: 0, event: { id: "0", ...say("#a", "a4999") } }) + lineBytes({ id: 0, event: { id: "0", ...say("#b", "b0") } }));
    // …and what the store holds to know the server's oldest line stays bounded too, not a slot per line ever said.
    expect(store.entries).toBeLessThan(2100);
    store.close();
  });

  test("paging back through a room whose lines span many blocks and whose oldest went: every line once, in order", () => {
    const store = new MemoryHistory({ retention: { linesPerRoom: 1000, days: 0 } });
    for (let i = 0; i < 1700; i++) keepIn(store, say(i % 3 ? "#a" : "#b", `${i}`));
    const expected = Array.from({ length: 1700 }, (_, i) => i).filter((i) => i % 3).slice(-1000).map(String);
    const seen: string[] = [];
    let cursor: number | string = Number.MAX_SAFE_INTEGER;
    for (let page = 0; page < 20; page++) {
      const lines = store.before("#a", 97, cursor);
      if (lines.length === 0) break;
      seen.unshift(...texts(lines));
      cursor = lines[0]!.id;
    }
    expect(seen).toEqual(expected);
    store.close();
  });

  test("past its bytes, the server's oldest lines go first, whichever room they are in", () => {
    const one = lineBytes({ id: 0, event: { id: "0", ...say("#a", "x0") } });
    const store = new MemoryHistory({ retention: { linesPerRoom: 1000, days: 0 }, maxBytes: 10 * one });
    for (let i = 0; i < 6; i++) keepIn(store, say("#a", `a${i}`));
    for (let i = 0; i < 6; i++) keepIn(store, say("#b", `b${i}`));
    expect(texts(store.recent("#a", 100))).toEqual(["a2", "a3", "a4", "a5"]);
    expect(texts(store.recent("#b", 100))).toHaveLength(6);
    expect(store.memory).toBeLessThanOrEqual(10 * one);
    // A busy room then pushes out the quiet one's lines, oldest first.
    for (let i = 0; i < 10; i++) keepIn(store, say("#c", `c${i}`));
    expect(store.recent("#a", 100)).toEqual([]);
    expect(store.recent("#b", 100)).toEqual([]);
    expect(texts(store.recent("#c", 100))).toHaveLength(10);
    expect(store.roomCount).toBe(1); // the emptied rooms are forgotten
    keepIn(store, say("#a", "back")); // …and a room can come back
    expect(texts(store.recent("#a", 10))).toEqual(["back"]);
    store.close();
  });

  test("a line its room already let go is passed over when the server's oldest must go", () => {
    const one = lineBytes({ id: 0, event: { id: "0", ...say("#a", "x0") } });
    const store = new MemoryHistory({ retention: { linesPerRoom: 3, days: 0 }, maxBytes: 4 * one });
    for (const [room, text] of [["#a", "a0"], ["#a", "a1"], ["#b", "b0"], ["#a", "a2"], ["#a", "a3"], ["#a", "a4"]] as const) {
      keepIn(store, say(room, text));
    }
    // #a let a0 and a1 go itself; over the bytes now, the oldest line still kept is b0.
    keepIn(store, say("#c", "c0"));
    expect(store.recent("#b", 10)).toEqual([]);
    expect(texts(store.recent("#a", 10))).toEqual(["a2", "a3", "a4"]);
    store.close();
  });

  test("lines older than --history-days go as time passes; topics stay", () => {
    const clock = fakeClock();
    const store = new MemoryHistory({ retention: { linesPerRoom: 1000, days: 1 }, clock });
    const now = clock.now();
    keepIn(store, { type: "topic", room: "#a", text: "ship it", by: "Sam", ts: now - 2 * 86_400_000 });
    keepIn(store, say("#a", "two days old", now - 2 * 86_400_000));
    keepIn(store, say("#b", "also old", now - 2 * 86_400_000 + 1));
    keepIn(store, say("#a", "fresh", now));
    clock.advance(10_000);
    expect(texts(store.recent("#a", 10))).toEqual(["fresh"]);
    expect(store.recent("#b", 10)).toEqual([]);
    expect(store.topic("#a")).toEqual({ text: "ship it", by: "Sam", ts: now - 2 * 86_400_000 });
    store.close();
  });

  test("/search reads the newest lines of the rooms asked, newest first, at most MEMORY_SEARCH_BYTES of them", () => {
    const store = new MemoryHistory({ retention: { linesPerRoom: 1_000_000, days: 0 }, maxBytes: 1024 ** 3 });
    const filler = "x".repeat(1000);
    keepIn(store, say("#a", "needle from long ago"));
    for (let i = 0; i < (MEMORY_SEARCH_BYTES / 1000) * 1.5; i++) keepIn(store, say(i % 2 ? "#a" : "#b", filler));
    keepIn(store, say("#b", "needle in b"));
    keepIn(store, say("#a", "needle in a"));
    keepIn(store, say("#c", "needle elsewhere"));
    // The two newest are found (across both rooms, in the order said); the old one is past what is read.
    expect(texts(store.search(["#a", "#b"], query("needle")))).toEqual(["needle in a", "needle in b"]);
    store.close();
  });

  test("a closed store keeps nothing and says so", () => {
    let closed = 0;
    const store = new MemoryHistory({ retention: { linesPerRoom: 10, days: 0 }, onClose: () => closed++ });
    keepIn(store, say("#a", "before"));
    store.close();
    store.close();
    keepIn(store, say("#a", "after"));
    expect(store.recent("#a", 10)).toEqual([]);
    expect(closed).toBe(1);
  });
});
