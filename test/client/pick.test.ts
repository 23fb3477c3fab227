// Picking a line in the terminal client (Alt+Up / Alt+Down): which line is picked as lines come,
// change and go, and what a typed line becomes with one picked.

import { describe, expect, test } from "bun:test";
import type { ServerEvent } from "../../src/protocol/events.ts";
import { Picker } from "../../src/client/pick.ts";

const said = (id: number, from: string, text: string, room = "#dev"): ServerEvent => ({ type: "public", id, room, from, text, ts: 1 });

describe("the picker", () => {
  test("Alt+Up steps back through the room's lines, Alt+Down forward, past the newest nothing; another room's lines are not in it", () => {
    const p = new Picker();
    for (const [id, from, text] of [[1, "Sam", "one"], [2, "Ana", "two"], [3, "Sam", "three"]] as const) p.follow(said(id, from, text));
    p.follow(said(9, "Bo", "elsewhere", "#ops"));
    expect(p.step("#dev", true)?.text).toBe("three");
    expect(p.step("#dev", true)?.text).toBe("two");
    expect(p.step("#dev", true)?.text).toBe("one");
    expect(p.step("#dev", true)).toBeUndefined(); // past the oldest: let go
    expect(p.step("#dev", true)?.text).toBe("three");
    expect(p.step("#dev", false)).toBeUndefined();
    expect(p.step(undefined, true)).toBeUndefined();
  });

  test("the picked line stays picked as lines arrive, follows its edit, and is let go when it is deleted", () => {
    const p = new Picker();
    p.follow(said(1, "Sam", "one"));
    p.follow(said(2, "Ana", "two"));
    p.step("#dev", true);
    p.step("#dev", true); // "one"
    p.follow(said(3, "Bo", "three"));
    expect(p.current()?.text).toBe("one");
    p.follow({ type: "edit", room: "#dev", id: 1, text: "one, edited", by: "Sam", of: "Sam", at: 1, ts: 2 });
    expect(p.current()?.text).toBe("one, edited");
    p.follow({ type: "delete", room: "#dev", id: 3, by: "Bo", of: "Bo", at: 1, ts: 2 }); // a newer one goes
    expect(p.current()?.text).toBe("one, edited");
    p.follow({ type: "delete", room: "#dev", id: 1, by: "Sam", of: "Sam", at: 1, ts: 2 });
    expect(p.current()).toBeUndefined();
  });

  test("with a line picked, text answers it and /react, /reactions, /edit, /delete take it; other commands go as typed", () => {
    const line = { id: 42, from: "Sam", text: "the build" };
    expect(Picker.rewrite("great", line)).toBe("/answer 42 great");
    expect(Picker.rewrite("//slash", line)).toBe("/answer 42 /slash");
    expect(Picker.rewrite("/react 👍", line)).toBe("/react 42 👍");
    expect(Picker.rewrite("/reactions", line)).toBe("/reactions 42");
    expect(Picker.rewrite("/edit the build is green", line)).toBe("/edit 42 the build is green");
    expect(Picker.rewrite("/delete spam", line)).toBe("/delete 42 spam");
    expect(Picker.rewrite("/join #ops", line)).toBe("/join #ops");
    expect(Picker.promptOf({ id: 1, from: "Sam", text: "a rather long line that goes on and on" })).toBe("↩ Sam: a rather long line that… > ");
  });
});
