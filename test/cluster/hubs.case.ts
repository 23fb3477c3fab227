// What every Bus must carry between hubs, called through the hubs' own operations with no server
// and no socket: members that record what they are handed (test/helpers/member.ts) on two hubs,
// each on its node of one bus. Run against the in-memory bus and Redis (hubs.test.ts); the same
// behaviours as users see them through real sockets are in bus.case.ts.

import { describe, expect, test } from "bun:test";
import type { Hub } from "../../src/core/hub.ts";
import type { Member } from "../../src/core/room.ts";
import { member, type RecordingMember } from "../helpers/member.ts";
import { until } from "../helpers/until.ts";

/** Two hubs, each on a node of one bus, joined. */
export type MakeHubs = () => Promise<[Hub, Hub]>;

/** `name` comes into the chat on `hub` (its name claimed across the bus first) and joins the default room. */
async function enter(hub: Hub, name: string): Promise<RecordingMember> {
  const m = member(name);
  expect(await hub.claim(name)).toBe(true);
  expect(hub.add(m)).toBe(true);
  expect(hub.join(m, hub.lobby, Date.now()).ok).toBe(true);
  return m;
}

/** The member `name` as `hub` sees it, once it does (a remote member: its node is set). */
async function seen(hub: Hub, name: string): Promise<Member> {
  await until(() => hub.find(name) !== undefined);
  return hub.find(name)!;
}

export function hubsBehaviour(label: string, make: MakeHubs): void {
  describe(`${label}: the Bus between hubs`, () => {
    test("a member of one hub is on the other, in its room, as a member of another node; gone when it quits", async () => {
      const [a, b] = await make();
      const sam = await enter(a, "Sam");
      const remote = await seen(b, "Sam");
      expect(remote.node).toBeDefined();
      expect(b.room(b.lobby)?.names.all()).toEqual(["Sam"]);
      expect(b.size).toBe(1);
      a.remove(sam, "quit", Date.now());
      await until(() => b.find("Sam") === undefined);
      expect(b.room(b.lobby)).toBeUndefined(); // nobody left in it anywhere
    });

    test("a line said on one hub reaches the members of its room on the other, once, and not the sender", async () => {
      const [a, b] = await make();
      const sam = await enter(a, "Sam");
      const kim = await enter(b, "Kim");
      await seen(a, "Kim");
      await seen(b, "Sam");
      const room = a.room(a.lobby)!;
      a.say(room, { type: "public", id: a.nextId(), room: room.name, from: "Sam", text: "hello from a", ts: Date.now() }, sam, sam);
      await until(() => kim.text().includes("Sam: hello from a"));
      await Bun.sleep(50); // anything more would have come in the same envelope
      expect(kim.lines().filter((l) => l.endsWith("hello from a"))).toEqual(["Sam: hello from a"]);
      expect(sam.text()).not.toContain("hello from a");
    });

    test("a rename and an away reason made on one hub hold on the other", async () => {
      const [a, b] = await make();
      const sam = await enter(a, "Sam");
      await seen(b, "Sam");
      expect(await a.claim("Samuel")).toBe(true);
      expect(a.rename(sam, "Samuel", Date.now())).toBe(true);
      await until(() => b.find("Samuel") !== undefined && b.find("Sam") === undefined);
      a.setAway(sam, "lunch");
      await until(() => b.awayReason(b.find("Samuel")!) === "lunch");
      a.setAway(sam, undefined);
      await until(() => b.awayReason(b.find("Samuel")!) === undefined);
    });

    test("a private message to a member of the other hub is handed to it there, in its own words", async () => {
      const [a, b] = await make();
      await enter(a, "Sam");
      const kim = await enter(b, "Kim");
      const remoteKim = await seen(a, "Kim");
      expect(a.send(remoteKim, { type: "private", id: a.nextId(), from: "Sam", text: "psst", ts: Date.now() })).toBe(true);
      await until(() => kim.text().includes("psst"));
      expect(kim.lines().filter((l) => l.includes("psst"))).toHaveLength(1);
    });

    test("a room's roles changed on one hub are learned by the other: who runs it, who is muted", async () => {
      const [a, b] = await make();
      const sam = await enter(a, "Sam");
      await enter(b, "Kim");
      await seen(a, "Kim");
      await seen(b, "Sam");
      const room = a.room(a.lobby)!;
      a.rules.setRoles(room, (r) => ({ ...r, ops: [...r.ops, "kim"], muted: { ...r.muted, sam: 0 } }), "Sam changed things.");
      await until(() => b.room(b.lobby)?.roles.ops.includes("kim") === true);
      expect(b.rules.isMutedIn(b.find("Sam")!, b.room(b.lobby)!)).toBe(true);
      expect(a.rules.isMutedIn(sam, room)).toBe(true);
    });

    test("a name claimed on one hub is refused on the other until it is given back", async () => {
      const [a, b] = await make();
      const sam = await enter(a, "Sam");
      await seen(b, "Sam");
      expect(await b.claim("Sam")).toBe(false);
      a.remove(sam, "quit", Date.now());
      await until(() => b.find("Sam") === undefined);
      let won = false; // a claim is made once: in Redis a second SET NX, even by the winner, is refused
      await until(async () => won || (won = await b.claim("Sam")));
    });
  });
}
