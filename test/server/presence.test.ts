// Joins and leaves in batches: announced at once in a quiet room, gathered over a window when they
// come thick and fast, in order, and never before a member's own join.

import { describe, expect, test } from "bun:test";
import type { LeaveReason } from "../../src/protocol/events.ts";
import { Hub } from "../../src/core/hub.ts";
import type { Member } from "../../src/core/room.ts";
import { fakeClock } from "../helpers/clock.ts";
import { member, type RecordingMember } from "../helpers/member.ts";
import { presenceWindowMs } from "../../src/core/presence.ts";
import { Turns } from "../../src/core/turns.ts";

function room() {
  const clock = fakeClock();
  const hub = new Hub({ clock, turns: new Turns(() => {}) });
  const join = (m: RecordingMember) => {
    hub.add(m);
    hub.join(m, "#lobby", 1);
    return m;
  };
  const leave = (m: Member, reason: LeaveReason = "quit") => {
    hub.remove(m, reason, 1);
  };
  /** The end of a turn of the event loop. */
  const turn = () => hub.turns.flushHeld();
  return { clock, hub, join, leave, turn };
}

describe("presence batching", () => {
  test("in a quiet room a join goes out at the end of its turn, as the classic event", () => {
    const { clock, join, turn } = room();
    const ann = join(member("Ann"));
    const jo = join(member("Jo", "json"));
    turn();
    clock.advance(1000);
    turn();
    expect(ann.lines()).toEqual(["--> Jo joined the chat"]); // the window after Ann's join
    ann.got.length = 0;
    jo.got.length = 0;
    clock.advance(1000);
    join(member("Bo"));
    expect(ann.lines()).toEqual([]); // not before the turn ends
    turn();
    expect(ann.lines()).toEqual(["--> Bo joined the chat"]);
    expect(JSON.parse(jo.lines()[0]!)).toEqual({ type: "join", room: "#lobby", name: "Bo", arrived: true, ts: 1 }); // its first room: it came into the chat
  });

  test("changes within the window wait for its end and go out together; a newcomer hears only what came after it", () => {
    const { clock, join, turn } = room();
    const ann = join(member("Ann"));
    turn();
    clock.advance(1000); // quiet
    const bo = join(member("Bo"));
    turn();
    expect(ann.lines()).toEqual(["--> Bo joined the chat"]);
    const cy = join(member("Cy"));
    const dee = join(member("Dee"));
    turn();
    expect(ann.lines()).toHaveLength(1); // within Bo's window: waiting
    clock.advance(presenceWindowMs(4));
    turn();
    expect(ann.lines()).toEqual(["--> Bo joined the chat", "--> 2 joined the chat: Cy, Dee"]);
    expect(bo.lines()).toEqual(["--> 2 joined the chat: Cy, Dee"]);
    expect(cy.lines()).toEqual(["--> Dee joined the chat"]); // its own join is in its welcome
    expect(dee.lines()).toEqual([]);
  });

  test("runs of joins and leaves keep their order, one line per run", () => {
    const { clock, join, leave, turn } = room();
    const ann = join(member("Ann"));
    const bo = join(member("Bo"));
    const cy = join(member("Cy"));
    turn();
    clock.advance(1000);
    join(member("Dee"));
    turn();
    ann.got.length = 0;
    leave(bo);
    leave(cy, "timed-out");
    join(member("Eve"));
    clock.advance(1000);
    turn();
    expect(ann.lines()).toEqual([
      "<-- 2 left the chat: Bo (quit), Cy (timed out)",
      "--> Eve joined the chat",
    ]);
  });

  test("a join and a leave of the same name in one window are both told, in order", () => {
    const { clock, join, leave, turn } = room();
    const ann = join(member("Ann"));
    turn();
    clock.advance(1000);
    join(member("Bo"));
    turn();
    ann.got.length = 0;
    const cy = join(member("Cy"));
    leave(cy);
    clock.advance(1000);
    turn();
    expect(ann.lines()).toEqual(["--> Cy joined the chat", "<-- Cy left the chat (quit)"]);
  });

  test("a newcomer heard from before its join went out: the join is told first", () => {
    const { hub, join, turn } = room();
    const ann = join(member("Ann"));
    turn();
    join(member("Bo"));
    turn(); // within Ann's window: waiting
    const cy = join(member("Cy"));
    hub.say(cy.room!, { type: "public", id: "1", room: "#lobby", from: "Cy", text: "hello", ts: 1 }, cy, cy);
    turn();
    expect(ann.lines()).toEqual(["--> 2 joined the chat: Bo, Cy", "Cy: hello"]);
  });

  test("a big batch shows the first 50 names and counts the rest; JSON carries the count", () => {
    const { clock, join, turn } = room();
    const ann = join(member("Ann"));
    const json = join(member("Jo", "json"));
    turn();
    clock.advance(1000);
    join(member("first"));
    turn();
    ann.got.length = 0;
    json.got.length = 0;
    for (let i = 0; i < 60; i++) join(member(`u${i}`));
    clock.advance(1000);
    turn();
    const [line] = ann.lines();
    expect(line).toStartWith("--> 60 joined the chat: u0, u1, ");
    expect(line).toEndWith("u49 and 10 more");
    const event = JSON.parse(json.lines()[0]!);
    expect(event).toMatchObject({ type: "joins", count: 60 });
    expect(event.names).toHaveLength(50);
  });

  test("the window grows with the room: announcing costs about 10,000 deliveries a second at most", () => {
    expect(presenceWindowMs(2)).toBe(50);
    expect(presenceWindowMs(1000)).toBe(100);
    expect(presenceWindowMs(10_000)).toBe(1000);
    expect(presenceWindowMs(100_000)).toBe(1000);
  });
});
