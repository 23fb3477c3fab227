// History through real sockets: replay on joining, /history, /search, topics that outlive their
// room, private messages never kept, and chat going on when history can't be written.

import { afterEach, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Retention } from "../../src/store/history.ts";
import { SqliteHistory } from "../../src/store/sqlite.ts";
import { historyStatus } from "../../src/server/server.ts";
import type { Hub } from "../../src/server/hub.ts";
import { testServer } from "../helpers/server.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A store the server's log and users hear about, and the test can reach into. */
function store(options: { path?: string; retention?: Retention; onOpen?: (db: Database) => void; retryMs?: number } = {}) {
  const log: string[] = [];
  let hub: Hub | undefined;
  const history = new SqliteHistory({
    path: options.path ?? ":memory:",
    retention: options.retention ?? { linesPerRoom: 1000, days: 0 },
    status: historyStatus(() => hub!, (l) => void log.push(l)),
    onOpen: options.onOpen,
    retryMs: options.retryMs,
  });
  return { history, log, setHub: (h: Hub) => void (hub = h) };
}

async function historyServer(options: Parameters<typeof store>[0] & { replayOnJoin?: number } = {}) {
  const s = store(options);
  // Flood control off: tests say many lines at once.
  const t = await testServer({ history: s.history, replayOnJoin: options.replayOnJoin, limits: { linesPerSecond: 0 } });
  s.setHub(t.server.hub);
  return { ...t, storeLog: s.log, history: s.history };
}

describe("history", () => {
  test("joining shows the room's last lines between markers, with their times; then the chat goes on", async () => {
    const t = await historyServer({ replayOnJoin: 3 });
    const sam = await t.join("Sam");
    for (const line of ["one", "two", "three", "four"]) sam.send(line);
    sam.send("/me waves");
    await sam.ping();
    const ana = await t.join("Ana");
    await ana.seen("--- 3 earlier lines in #lobby ---");
    expect(await ana.next(/^\[\d\d:\d\d\] Sam: three$/)).toBeDefined();
    expect(await ana.next(/^\[\d\d:\d\d\] Sam: four$/)).toBeDefined();
    expect(await ana.next(/^\[\d\d:\d\d\] \* Sam waves$/)).toBeDefined();
    await ana.next("--- end of earlier lines (/history for more) ---");
    sam.send("live");
    await ana.next("Sam: live"); // not marked: it is new
  });

  test("structured clients get one history event after the welcome; a room's own on /join; none with --history-on-join 0", async () => {
    const t = await historyServer();
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

    const quiet = await historyServer({ replayOnJoin: 0 });
    const a = await quiet.join("A");
    a.send("said before");
    await a.ping();
    const b = await quiet.join("B");
    b.send("/history");
    await b.next("--- 1 earlier line in #lobby ---"); // kept all the same
    expect(b.log.lines.filter((l) => /^--- \d+ earlier line/.test(l))).toHaveLength(1);
  });

  test("/history pages back from the earliest line seen, bounded, until there is no more", async () => {
    const t = await historyServer({ replayOnJoin: 5 });
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
    ana.send("/history 12abc");
    expect(await ana.event("error")).toMatchObject({ code: "bad-usage", message: expect.stringContaining("how many lines") });
    ana.send("/history 99999999999999999999");
    expect(await ana.event("error")).toMatchObject({ code: "bad-usage" });
  });

  test("/history 1000 is at most 200 lines", async () => {
    const t = await historyServer({ replayOnJoin: 0 });
    for (let i = 0; i < 250; i++) t.history.keep({ type: "public", room: "#lobby", from: "Bot", text: `l${i}`, ts: 1 });
    const sam = await t.join("Sam");
    sam.send("/history 1000");
    await sam.next("--- 200 earlier lines in #lobby ---");
    await sam.seen("--- end of earlier lines (/history for more) ---");
  });

  test("/search finds words in the user's rooms only, newest first, and explains bad searches", async () => {
    const t = await historyServer();
    const [sam, ana] = [await t.join("Sam"), await t.join("Ana")];
    sam.send("/join #secret");
    await sam.next(/^In #secret/);
    sam.send("deploy secret plans");
    sam.send("/join #lobby");
    await sam.next(/^In #lobby/);
    sam.send("deploy is done");
    sam.send("Deployment tomorrow");
    await sam.ping();
    ana.send("/search deploy");
    await ana.seen('-- 1 line has "deploy", newest first:');
    await ana.next(/^\[#lobby \d\d:\d\d\] Sam: deploy is done$/);
    ana.send("/search deploy*");
    await ana.seen('-- 2 lines have "deploy*", newest first:');
    await ana.next(/Sam: Deployment tomorrow$/);
    sam.send("/search secret");
    await sam.seen('-- 1 line has "secret", newest first:');
    for (const [q, message] of [
      ["/search", "Say what to search for."],
      ["/search !!! ***", "Search for words"],
      ['/search NEAR( "x', 'No line in your rooms has "NEAR x"'],
    ]) {
      ana.send(q!);
      await ana.seen(new RegExp(message!.replace(/[()*]/g, "\\$&")));
    }
  });

  test("a room's topic outlives the room being empty", async () => {
    const t = await historyServer();
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

  test("a private message is never written to the history file, its WAL, or the log", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bunchat-pm-"));
    dirs.push(dir);
    const t = await historyServer({ path: join(dir, "h.sqlite") });
    const [sam, ana] = [await t.join("Sam"), await t.join("Ana")];
    sam.send("public words here");
    sam.send("/pm Ana zebra-quokka-secret");
    await ana.seen("[pm from Sam] zebra-quokka-secret");
    ana.send("/reply quokka-zebra-answer");
    await sam.seen("[pm to Ana] zebra-quokka-secret");
    await sam.seen("[pm from Ana] quokka-zebra-answer");
    await t.server.shutdown();
    t.history.close();
    const files = readdirSync(dir);
    expect(files.length).toBeGreaterThan(0);
    const bytes = files.map((f) => readFileSync(join(dir, f)).toString("latin1")).join("");
    expect(bytes).toContain("public words here"); // the grep works…
    expect(bytes).not.toContain("zebra-quokka-secret"); // …and finds no private message
    expect(bytes).not.toContain("quokka-zebra-answer");
    expect(t.log.join("\n")).not.toContain("quokka");
  });

  test("when writes fail, everyone is told history is paused, chat goes on, and it resumes", async () => {
    let db: Database | undefined;
    const path = join(mkdtempSync(join(tmpdir(), "bunchat-paused-")), "h.sqlite");
    dirs.push(join(path, ".."));
    const t = await historyServer({ path, onOpen: (d) => void (db = d), retryMs: 100 });
    const [sam, ana] = [await t.join("Sam"), await t.join("Ana", "json")];
    db!.exec("PRAGMA query_only = 1"); // every write fails from here on
    sam.send("while broken");
    await ana.event("public");
    await sam.seen(/^-- History is paused: the server can't write it \(.*\)\. Chat goes on/);
    expect((await ana.event("notice")).text).toStartWith("History is paused");
    expect(t.storeLog.filter((l) => l.startsWith("history: paused"))).toHaveLength(1);
    sam.send("still chatting");
    expect(await ana.event("public")).toMatchObject({ text: "still chatting" });
    db!.exec("PRAGMA query_only = 0");
    await sam.seen("-- History is being kept again.");
    const cy = await t.join("Cy", "json"); // what was said while paused was written after all
    expect((await cy.event("history")).events.map((e) => e.text)).toEqual(["while broken", "still chatting"]);
    await t.server.shutdown();
    t.history.close();
    const reopened = store({ path }).history;
    expect(reopened.before("#lobby", 5).map((k) => k.event.text)).toEqual(["while broken", "still chatting"]);
    reopened.close();
  });
});
