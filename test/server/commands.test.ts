// Command handlers with recording members, as ssh-chat tests its room: run a command for one
// member, read what it was answered and what the others received.

import { describe, expect, test } from "bun:test";
import { Turns } from "../../src/core/turns.ts";
import type { Encoded } from "../../src/render/codec.ts";
import type { ServerEvent } from "../../src/protocol/events.ts";
import { type CommandContext, runCommand } from "../../src/core/commands/chat.ts";
import { Hub } from "../../src/core/hub.ts";
import { fakeClock } from "../helpers/clock.ts";
import { member, type RecordingMember } from "../helpers/member.ts";

function setup() {
  const clock = fakeClock();
  const hub = new Hub({ clock, turns: new Turns(() => {}) });
  const log: string[] = [];
  /** A member in the default room, and a context that runs its commands and records its answers. */
  const user = (name: string) => {
    const me = member(name);
    hub.add(me);
    hub.join(me, hub.lobby, clock.now(), false);
    const answers: ServerEvent[] = [];
    const ctx: CommandContext = {
      me,
      device: me,
      hub,
      reply: (event: ServerEvent | Encoded) => void answers.push("event" in event ? event.event : event),
      quit: () => void hub.remove(me, "quit", clock.now()),
      rename: (to) => void hub.rename(me, to, clock.now()),
      now: () => clock.now(),
      log: (line) => void log.push(line),
      logsChatLine: () => true,
      historyFrom: new Map(),
      after: (value, then) => void (value instanceof Promise ? value.then(then) : then(value)),
    };
    const run = (line: string) => {
      const [, word = "", args = ""] = /^\/(\S+)\s*(.*)$/.exec(line)!;
      runCommand(ctx, word, args);
    };
    return { me, answers, run };
  };
  const turn = () => {
    clock.advance(1000);
    hub.turns.flushHeld();
  };
  return { hub, log, user, turn };
}

const lines = (m: RecordingMember) => m.lines();

describe("commands", () => {
  test("/join answers with the room and who is in it; /join again switches; the room hears the join", () => {
    const { user, turn } = setup();
    const ana = user("Ana");
    const sam = user("Sam");
    ana.run("/join #dev");
    sam.run("/join #Dev");
    expect(sam.answers).toEqual([{ type: "room", room: "#dev", joined: true, users: ["Ana", "Sam"], count: 2, awayCount: 0 }]);
    sam.run("/j #lobby");
    expect(sam.answers.at(-1)).toMatchObject({ type: "room", room: "#lobby", joined: false });
    turn();
    expect(lines(ana.me)).toEqual(["--> Sam joined #dev"]);
  });

  test("/part with and without a room, with a reason; of a room one is not in, an error and nothing else", () => {
    const { user, turn, log } = setup();
    const ana = user("Ana");
    const sam = user("Sam");
    for (const u of [ana, sam]) u.run("/join #dev");
    sam.run("/part #ops");
    expect(sam.answers.at(-1)).toEqual({ type: "error", code: "not-in-room", message: "You are not in #ops." });
    sam.run("/part gone fishing");
    expect(sam.answers.at(-1)).toEqual({ type: "parted", room: "#dev", current: "#lobby" });
    turn();
    expect(lines(ana.me)).toContain("<-- Sam left #dev: gone fishing");
    sam.run("/leave #lobby");
    expect(sam.answers.at(-1)).toEqual({ type: "parted", room: "#lobby" });
    expect(log).toContain("- Sam left #dev");
  });

  test("/topic shows, sets (cleaned of control characters), clears with -, and refuses one too long", () => {
    const { user } = setup();
    const sam = user("Sam");
    sam.run("/topic");
    expect(sam.answers.at(-1)).toEqual({ type: "topic-is", room: "#lobby" });
    sam.run("/topic ship \u0007it");
    expect(sam.me.room?.topic).toMatchObject({ text: "ship it", by: "Sam" });
    sam.run(`/topic ${"x".repeat(301)}`);
    expect(sam.answers.at(-1)).toMatchObject({ code: "topic-too-long" });
    expect(sam.me.room?.topic?.text).toBe("ship it");
    sam.run("/topic -");
    expect(sam.me.room?.topic).toBeUndefined();
  });

  test("/rooms with a prefix, with or without the #; a prefix no room can have is a usage error", () => {
    const { user } = setup();
    const sam = user("Sam");
    sam.run("/join #dev");
    sam.run("/rooms de");
    expect(sam.answers.at(-1)).toEqual({ type: "rooms", rooms: [{ name: "#dev", count: 1 }], count: 1, prefix: "#de" });
    sam.run("/list #lo");
    expect(sam.answers.at(-1)).toMatchObject({ rooms: [{ name: "#lobby" }] });
    sam.run("/rooms d!");
    expect(sam.answers.at(-1)).toMatchObject({ type: "error", code: "bad-usage" });
  });

  test("/users lists the current room, /users * everyone; /me goes to the current room only", () => {
    const { user, turn } = setup();
    const ana = user("Ana");
    const sam = user("Sam");
    sam.run("/join #dev");
    sam.run("/users");
    expect(sam.answers.at(-1)).toMatchObject({ type: "users", room: "#dev", users: ["Sam"] });
    sam.run("/who * a");
    expect(sam.answers.at(-1)).toMatchObject({ type: "users", users: ["Ana"], prefix: "a" });
    expect(sam.answers.at(-1)).not.toHaveProperty("room");
    sam.run("/me waves");
    turn();
    expect(lines(ana.me).filter((l) => l.includes("waves"))).toEqual([]);
  });
});
