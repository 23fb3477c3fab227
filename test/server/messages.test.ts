// Lines with identity through real sockets: answering, reacting to, editing and deleting lines from
// nc (lines named as ^, ^2, @Sam) and from JSON (by id); what is kept and shown again on joining,
// /history and /search; who may edit or delete what; a line one can't see answered as one that
// does not exist; the bounds on reactions.

import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMOJI_PER_PERSON } from "../../src/protocol/messages.ts";
import { DEFAULT_RETENTION } from "../../src/store/history.ts";
import { SqliteFile } from "../../src/store/sqlite/file.ts";
import { testRedis } from "../helpers/redis.ts";
import type { Peer } from "../helpers/peer.ts";
import { memoryStore } from "../helpers/accounts.ts";
import { until } from "../helpers/until.ts";
import { testNode, testServer } from "../helpers/server.ts";

function server(file = memoryStore()) {
  return testServer({ history: file.history, accounts: file.accounts, bans: file.bans, roomStore: file.roomStore, limits: { linesPerSecond: 0 } });
}

/** The first line matching `test` that arrives after this call (an earlier one like it does not count). */
async function fresh(p: Peer, test: RegExp | string): Promise<string> {
  const from = p.log.lines.length;
  const matches = (l: string) => (typeof test === "string" ? l === test : test.test(l));
  await until(() => p.log.lines.slice(from).some(matches), 3000);
  return p.log.lines.slice(from).find(matches)!;
}

/** The JSON events of `type` a structured peer got. */
function events(p: Peer, type: string): Record<string, unknown>[] {
  return p.log.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.type === type);
}

describe("lines with identity from nc", () => {
  test("answer a line by ^, by @name; react and take it back; edit and delete your own; everyone sees each", async () => {
    const t = await server();
    const [sam, ana] = [await t.join("Sam"), await t.join("Ana")];
    sam.send("the bild is green");
    await ana.seen("Sam: the bild is green");
    const answered = fresh(sam, 'Ana (re Sam "the bild is green"): great news');
    ana.send("/answer ^ great news");
    await answered;
    sam.send("/answer @Ana thanks");
    await ana.seen('Sam (re Ana "great news"): thanks');

    const reacted = fresh(sam, /^-- Ana reacted 👍 to Sam's line from \d\d:\d\d \("the bild is green"\)$/);
    ana.send("/react @Sam :+1:"); // Sam's last line is "thanks"
    await fresh(sam, /^-- Ana reacted 👍 to Sam's line from \d\d:\d\d \("thanks"\)$/);
    ana.send("/react ^3 👍"); // three lines back: "the bild is green"
    await reacted;
    const back = fresh(sam, /^-- Ana took back 👍 from Sam's line from \d\d:\d\d \("thanks"\)$/);
    ana.send("/react @Sam 👍"); // a second time takes it back
    await back;
    ana.send("/reactions ^3");
    await ana.seen("-- Reactions to Sam's line \"the bild is green\": 👍 Ana");

    const edited = fresh(ana, /^-- Sam edited their line from \d\d:\d\d: the build is green$/);
    sam.send("/edit ^3 the build is green");
    await edited;
    const deleted = fresh(ana, /^-- Sam deleted their line from \d\d:\d\d\.$/);
    sam.send("/delete"); // your own last line: "thanks"
    await deleted;

    // Joining afterwards shows what is kept now: the new text, marked edited, with its reaction; no "thanks".
    const bo = await t.join("Bo");
    await bo.seen(/^\[\d\d:\d\d\] Sam: the build is green \(edited\) \[👍 1\]$/);
    await bo.seen(/^\[\d\d:\d\d\] Ana \(re Sam "the build is green"\): great news$/);
    await bo.seen("--- end of earlier lines ---");
    expect(bo.log.lines.some((l) => l.includes("thanks"))).toBe(false);
    bo.send("/search bild");
    await bo.seen('-- No line in your rooms or conversations has "bild".');
    bo.send("/search build");
    await bo.seen(/Sam: the build is green \(edited\) \[👍 1\]$/);
  });

  test("someone else's line: not yours to edit, nor to delete unless you run the room; an operator may", async () => {
    const t = await server();
    const [sam, mal] = [await t.join("Sam"), await t.join("Mal")];
    sam.send("/join #ops"); // Sam made it: Sam runs it
    await sam.seen(/^In #ops \(/);
    mal.send("/join #ops");
    await mal.seen(/^In #ops \(/);
    mal.send("buy cheap watches");
    await sam.seen("Mal: buy cheap watches");
    sam.send("/edit @Mal buy nothing");
    await sam.seen("! That line is Mal's: you can edit only your own.");
    sam.send("hello");
    await mal.seen("Sam: hello");
    mal.send("/delete @Sam");
    await mal.seen("! That line is Sam's: only they, #ops's operators and server admins can delete it.");
    const gone = fresh(mal, /^-- Sam deleted Mal's line from \d\d:\d\d \(spam\)\.$/);
    sam.send("/delete @Mal spam");
    await gone;
  });

  test("a line one can't see (another room's id, a guessed one, a room one is not in) is answered as one that does not exist", async () => {
    const t = await server();
    const [sam, kim] = [await t.join("Sam", "json"), await t.join("Kim")];
    await sam.seen(/"type":"welcome"/);
    sam.send("/join #secret-plans");
    await sam.seen(/"type":"room","room":"#secret-plans"/);
    sam.send("the plan is ready");
    const kept = () => t.server.hub.history!.recent("#secret-plans", 1) as { event: { id: number | string } }[];
    await until(() => kept().length === 1, 3000);
    const line = kept()[0]!;
    const missing = "! There is no such line in this room (or it is no longer kept).";
    kim.send(`/react ${line.event.id} 👍`);
    await kim.seen(missing);
    kim.send(`/answer ${line.event.id} what plan?`);
    expect(await fresh(kim, /^!/)).toBe(missing);
    kim.send("/react 999999 👍");
    expect(await fresh(kim, /^!/)).toBe(missing);
    kim.send(`/delete ${line.event.id}`);
    expect(await fresh(kim, /^!/)).toBe(missing);
  });

  test("reactions are bounded: one person's emoji on a line; a reaction that is not one emoji is refused with why", async () => {
    const t = await server();
    const [sam, ana] = [await t.join("Sam"), await t.join("Ana")];
    sam.send("react to me");
    await ana.seen("Sam: react to me");
    const all = ["👍", "🎉", "😂", "👀", "🚀", "🔥"];
    for (const emoji of all.slice(0, EMOJI_PER_PERSON)) ana.send(`/react ^ ${emoji}`);
    await until(() => sam.log.lines.filter((l) => l.startsWith("-- Ana reacted")).length === EMOJI_PER_PERSON, 3000);
    ana.send(`/react ^ ${all[EMOJI_PER_PERSON]}`);
    await ana.seen(`! You have ${EMOJI_PER_PERSON} reactions on that line already: take one back first. Usage: /react <line> <emoji>`.replace(/ Usage.*$/, ""));
    ana.send("/react ^ two words");
    await ana.seen(/^! A reaction is one emoji or a short word/);
    ana.send(`/react ^ ${"😂".repeat(20)}`);
    await ana.seen(/^! A reaction is one emoji or a short word, at most 32 bytes/);
  });
});

describe("lines with identity from JSON", () => {
  test("every line carries its id; a reply names the line it answers; edits, deletes and reactions arrive as events", async () => {
    const t = await server();
    const [sam, ana] = [await t.join("Sam", "json"), await t.join("Ana", "json")];
    await ana.seen(/"type":"welcome"/);
    sam.send("first");
    await ana.seen(/"type":"public".*"text":"first"/);
    const first = events(ana, "public").find((e) => e.text === "first")!;
    expect(typeof first.id === "number" || typeof first.id === "string").toBe(true);
    ana.send(`/answer ${first.id} second`);
    await sam.seen(/"text":"second"/);
    const second = events(sam, "public").find((e) => e.text === "second")!;
    expect(second.reply).toEqual({ id: first.id, from: "Sam", text: "first" });
    sam.send(`/react ${second.id} 🎉`);
    await ana.seen(/"type":"react"/);
    expect(events(ana, "react")[0]).toMatchObject({ room: "#lobby", id: second.id, emoji: "🎉", from: "Sam", on: true, count: 1, of: "Ana" });
    sam.send(`/edit ${first.id} first, edited`);
    await ana.seen(/"type":"edit"/);
    expect(events(ana, "edit")[0]).toMatchObject({ room: "#lobby", id: first.id, text: "first, edited", by: "Sam", of: "Sam" });
    ana.send(`/delete ${second.id}`);
    await sam.seen(/"type":"delete"/);
    expect(events(sam, "delete")[0]).toMatchObject({ room: "#lobby", id: second.id, by: "Ana", of: "Ana" });
    sam.send("/history");
    await sam.seen(/"type":"history","room":"#lobby","why":"request"/);
    const history = events(sam, "history").find((e) => e.why === "request")!;
    expect((history.events as Record<string, unknown>[]).map((e) => [e.id, e.text, e.edited !== undefined])).toEqual([[first.id, "first, edited", true]]);
  });
});

describe("lines with identity in a cluster", () => {
  test("answered, reacted to, edited and deleted on one node, seen so on the other; a new node and a restart replay them", async () => {
    const redis = await testRedis();
    const [a, b] = [await testNode(redis.url, "a"), await testNode(redis.url, "b")];
    const sam = await a.join("Sam");
    const kim = await b.join("Kim", "json");
    await kim.seen(/"type":"welcome"/);
    await until(() => a.server.hub.find("Kim") !== undefined && b.server.hub.find("Sam") !== undefined);
    sam.send("the bild is green");
    await kim.seen(/"text":"the bild is green"/);
    const said = events(kim, "public").find((e) => e.text === "the bild is green")!;
    expect(typeof said.id).toBe("string"); // a cluster's ids
    kim.send(`/answer ${said.id} great`);
    await sam.seen('Kim (re Sam "the bild is green"): great');
    kim.send(`/react ${said.id} 🎉`);
    await sam.seen(/^-- Kim reacted 🎉 to Sam's line from \d\d:\d\d \("the bild is green"\)$/);
    sam.send(`/edit ${said.id} the build is green`);
    await kim.seen(/"type":"edit".*"text":"the build is green"/);
    sam.send("a line to take back");
    await kim.seen(/"text":"a line to take back"/);
    sam.send("/delete");
    await kim.seen(/"type":"delete"/);
    // Bo comes to a third node later: history from Redis, as it is now.
    const c = await testNode(redis.url, "c");
    const bo = await c.join("Bo");
    await bo.seen(/^\[\d\d:\d\d\] Sam: the build is green \(edited\) \[🎉 1\]$/);
    await bo.seen(/^\[\d\d:\d\d\] Kim \(re Sam "the build is green"\): great$/);
    await bo.seen("--- end of earlier lines ---");
    expect(bo.log.lines.some((l) => l.includes("take back"))).toBe(false);
    // Every node stopped and started again: Redis keeps it all the same.
    for (const t of [a, b, c]) await t.server.shutdown();
    const again = await testNode(redis.url, "d");
    const eli = await again.join("Eli");
    await eli.seen(/^\[\d\d:\d\d\] Sam: the build is green \(edited\) \[🎉 1\]$/);
    await eli.seen(/^\[\d\d:\d\d\] Kim \(re Sam "the build is green"\): great$/);
  }, 20_000);
});

describe("lines with identity kept across a restart", () => {
  test("a file-backed server stopped and started: answers, edits, reactions and deletes replayed as they were", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bunchat-messages-"));
    try {
      const path = join(dir, "h.sqlite");
      const open = () => new SqliteFile({ path, retention: DEFAULT_RETENTION, status: { paused: () => {}, resumed: () => {} } });
      const first = open();
      const t = await server(first);
      const [sam, ana] = [await t.join("Sam"), await t.join("Ana")];
      sam.send("the bild is green");
      await ana.seen("Sam: the bild is green");
      ana.send("/answer ^ great");
      ana.send("/react @Sam 👍");
      sam.send("/edit the build is green");
      sam.send("oops");
      sam.send("/delete");
      await ana.seen(/^-- Sam deleted their line/);
      await t.server.shutdown();
      first.close();
      const second = open();
      const u = await server(second);
      const bo = await u.join("Bo");
      await bo.seen(/^\[\d\d:\d\d\] Sam: the build is green \(edited\) \[👍 1\]$/);
      await bo.seen(/^\[\d\d:\d\d\] Ana \(re Sam "the build is green"\): great$/);
      await bo.seen("--- end of earlier lines ---");
      expect(bo.log.lines.some((l) => l.includes("oops"))).toBe(false);
      await u.server.shutdown();
      second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
