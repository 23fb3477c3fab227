// What every history store must do, seen by users through real sockets, run against each store
// (bun:sqlite on one server: test/server/history.test.ts; Redis Streams in a cluster:
// test/cluster/history.test.ts). The pattern of the bus suite: one set of behaviours, a factory
// per store.

import { describe, expect, test } from "bun:test";
import type { TestServer } from "../helpers/server.ts";

/**
 * A server (or a cluster node) keeping history in the store under test, showing `replayOnJoin`
 * lines to joiners; with flood control off unless `flood` (then the server's defaults).
 */
export type MakeHistoryServer = (replayOnJoin?: number, flood?: boolean) => Promise<TestServer>;

export function historyBehaviour(label: string, make: MakeHistoryServer): void {
  describe(`history (${label})`, () => {
    test("/history answers are charged to the asker's output budget, as /users is, whenever the store answers", async () => {
      const t = await make(0, true); // the server's own flood control
      // 24 lines of 3900 bytes, two from each of 12 users (each one's burst holds two full lines).
      for (let i = 0; i < 12; i++) {
        const p = await t.join(`Filler${i}`);
        p.send(`${i}a ${"f".repeat(3900)}`);
        p.send(`${i}b ${"f".repeat(3900)}`);
        await p.ping();
      }
      const asker = await t.join("Asker");
      asker.write("/history 200\n/ping after\n"); // about 94 KB of answer: past the output budget's 80 KiB
      await asker.seen(/^! Your commands asked for more output than 40 KiB a second .*; your next lines wait \d+ s/, 5000);
      await asker.seen("pong after", 10_000);
    }, 20_000);

    test("joining shows the room's last lines between markers, with their times; then the chat goes on", async () => {
      const t = await make(3);
      const sam = await t.join("Sam");
      for (const line of ["one", "two", "three", "four"]) sam.send(line);
      sam.send("/me waves");
      await sam.ping();
      const ana = await t.join("Ana");
      await ana.seen("--- 3 earlier lines in #lobby ---");
      await ana.next(/^\[\d\d:\d\d\] Sam: three$/);
      await ana.next(/^\[\d\d:\d\d\] Sam: four$/);
      await ana.next(/^\[\d\d:\d\d\] \* Sam waves$/);
      await ana.next("--- end of earlier lines (/history for more) ---");
      sam.send("live");
      await ana.next("Sam: live"); // not marked: it is new
    });

    test("a message of several lines is kept whole: replayed under one prefix to nc, whole to JSON, found by /search", async () => {
      const t = await make(5);
      const sam = await t.join("Sam", "json");
      sam.send(JSON.stringify({ type: "line", text: "deploy log:\n  step 1 ok\n  step 2 failed" }));
      sam.send("after it");
      await sam.ping();
      const ana = await t.join("Ana");
      await ana.seen("--- 2 earlier lines in #lobby ---");
      await ana.next(/^\[\d\d:\d\d\] Sam: deploy log:$/);
      await ana.next(/^ {13}  step 1 ok$/);
      await ana.next(/^ {13}  step 2 failed$/);
      await ana.next(/^\[\d\d:\d\d\] Sam: after it$/);
      const jo = await t.join("Jo", "json");
      expect((await jo.event("history")).events.map((e) => e.text)).toEqual(["deploy log:\n  step 1 ok\n  step 2 failed", "after it"]);
      jo.send("/search failed");
      expect((await jo.event("search")).events.map((e) => e.text)).toEqual(["deploy log:\n  step 1 ok\n  step 2 failed"]);
    });

    test("structured clients get one history event after the welcome; a room's own after /join; none on a switch", async () => {
      const t = await make();
      const sam = await t.join("Sam");
      sam.send("hello");
      sam.send("/join #dev");
      await sam.next(/^In #dev/);
      sam.send("/topic ship it");
      sam.send("in dev");
      await sam.ping();
      const jo = await t.join("Jo", "json");
      expect(await jo.event("history")).toMatchObject({
        room: "#lobby",
        why: "join",
        more: false,
        events: [{ type: "public", room: "#lobby", from: "Sam", text: "hello" }],
      });
      jo.send("/join #dev");
      expect(await jo.event("room")).toMatchObject({ room: "#dev", topic: { text: "ship it", by: "Sam" } });
      const dev = await jo.event("history");
      expect(dev.events.map((e) => e.type)).toEqual(["topic", "public"]);
      jo.send("/join #lobby"); // a switch shows nothing again
      await jo.event("room");
      await jo.ping();
      expect(jo.log.lines.filter((l) => l.includes('"type":"history"'))).toHaveLength(2);
    });

    test("with --history-on-join 0 nothing is shown on joining, and /history still works", async () => {
      const t = await make(0);
      const a = await t.join("A");
      a.send("said before");
      await a.ping();
      const b = await t.join("B");
      b.send("/history");
      await b.next("--- 1 earlier line in #lobby ---");
      expect(b.log.lines.filter((l) => /^--- \d+ earlier line/.test(l))).toHaveLength(1);
    });

    test("/history pages back from the earliest line seen, bounded, until there is no more", async () => {
      const t = await make(5);
      const sam = await t.join("Sam");
      for (let i = 0; i < 30; i++) sam.send(`line ${i}`);
      await sam.ping();
      const ana = await t.join("Ana", "json");
      const joined = await ana.event("history");
      expect(joined.events.map((e) => e.text)).toEqual(["line 25", "line 26", "line 27", "line 28", "line 29"]);
      expect(joined.more).toBe(true);
      sam.send("said after Ana came"); // not "earlier" for Ana
      ana.send("/history 10");
      const page = await ana.event("history");
      expect(page).toMatchObject({ why: "request", more: true });
      expect(page.events.map((e) => e.text)).toEqual(Array.from({ length: 10 }, (_, i) => `line ${15 + i}`));
      ana.send("/history 999999");
      const rest = await ana.event("history");
      expect(rest.events.map((e) => e.text)).toEqual(Array.from({ length: 15 }, (_, i) => `line ${i}`));
      expect(rest.more).toBe(false);
      ana.send("/history");
      expect((await ana.event("history")).events).toEqual([]);
      ana.send("/history #lobby 12abc");
      expect(await ana.event("error")).toMatchObject({ code: "bad-usage", message: expect.stringContaining("how many lines") });
      ana.send("/history #elsewhere");
      expect(await ana.event("error")).toMatchObject({ code: "not-in-room" });
      ana.send("/history Sam"); // a guest's conversations are not kept
      expect(await ana.event("error")).toMatchObject({ code: "no-history", message: expect.stringContaining("registered names only") });
      ana.send("/history 99999999999999999999");
      expect(await ana.event("error")).toMatchObject({ code: "bad-usage" });
    });

    test("/history 1000 is at most 200 lines", async () => {
      const t = await make(0);
      const bot = await t.join("Bot");
      for (let i = 0; i < 250; i++) bot.send(`l${i}`);
      await bot.ping();
      const sam = await t.join("Sam");
      sam.send("/history 1000");
      await sam.next("--- 200 earlier lines in #lobby ---");
      await sam.next(/^\[\d\d:\d\d\] Bot: l50$/); // the newest 200: l50 to l249
      await sam.seen("--- end of earlier lines (/history for more) ---");
    });

    test("/search finds words in the user's rooms only, newest first, and explains bad searches", async () => {
      const t = await make();
      const [sam, ana] = [await t.join("Sam"), await t.join("Ana")];
      sam.send("/join #secret");
      await sam.next(/^In #secret/);
      sam.send("deploy secret plans");
      sam.send("/join #lobby");
      await sam.next(/^In #lobby/);
      sam.send("deploy is done");
      sam.send("Deployment tomorrow");
      sam.send("Café at three");
      await sam.ping();
      ana.send("/search deploy");
      await ana.seen('-- 1 line has "deploy", newest first:');
      await ana.next(/^\[#lobby \d\d:\d\d\] Sam: deploy is done$/);
      ana.send("/search DEPLOY*");
      await ana.seen('-- 2 lines have "DEPLOY*", newest first:');
      await ana.next(/Sam: Deployment tomorrow$/);
      ana.send("/search cafe");
      await ana.seen(/Sam: Café at three$/);
      sam.send("/search secret");
      await sam.seen('-- 1 line has "secret", newest first:');
      for (const [q, message] of [
        ["/search", "Say what to search for."],
        ["/search !!! ***", "Search for words"],
        ['/search NEAR( "x', 'No line in your rooms or conversations has "NEAR x"'],
        ["/search a b c d e f g h i", "at most 8 words"],
      ]) {
        ana.send(q!);
        await ana.seen(new RegExp(message!.replace(/[()*]/g, "\\$&")));
      }
    });

    test("a room's topic outlives the room being empty", async () => {
      const t = await make();
      const sam = await t.join("Sam");
      sam.send("/join #dev");
      await sam.next(/^In #dev/);
      sam.send("/topic release friday");
      sam.send("/part #dev");
      await sam.seen(/^<-- You left #dev/);
      sam.send("/rooms");
      await sam.seen("Rooms (1):"); // #dev is gone…
      sam.send("/join #dev");
      await sam.seen("Topic: release friday (set by Sam)"); // …its topic is not
    });
  });
}
