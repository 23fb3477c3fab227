// Read markers through real sockets (issue 32): /read moves one forward only and tells every other
// device of the user at once (JSON, IRC's MARKREAD), a registered user's are kept across logins and
// a restart, a guest's last its stay, and what is refused is told why.

import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_RETENTION } from "../../src/store/history.ts";
import { SqliteFile } from "../../src/store/sqlite/file.ts";
import { ircLogIn, loggedIn, logIn, memoryStore } from "../helpers/accounts.ts";
import type { Peer } from "../helpers/peer.ts";
import { testServer, type TestServerOptions } from "../helpers/server.ts";
import { WsPeer } from "../helpers/web.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function server(file: SqliteFile = memoryStore(), options: TestServerOptions = {}) {
  return testServer({ history: file.history, accounts: file.accounts, markers: file.markers, limits: { linesPerSecond: 0 }, ...options });
}

/** Logs in to `name` (registered already) in JSON; the welcome and what follows it are in its log. */
const login = (t: Awaited<ReturnType<typeof server>>, name: string): Promise<Peer> => logIn(t, name, "json");

const T = Date.UTC(2026, 11, 7, 14, 2);

describe("read markers", () => {
  test("/read moves a marker forward only and tells the user's other devices; what is refused says why", async () => {
    const t = await server();
    const one = await loggedIn(t, "Ana", "json");
    const two = await login(t, "Ana");
    one.send(`/read #lobby ${T}`);
    expect(await one.event("marker")).toEqual({ type: "marker", target: "#lobby", at: T });
    expect(await two.event("marker")).toEqual({ type: "marker", target: "#lobby", at: T, elsewhere: true });
    one.send(`/read #lobby ${T - 60_000}`); // older: the marker stays, and says where it is
    expect(await one.event("marker", (e) => e.at === T)).toBeDefined();
    two.send("/read Sam 2026-12-07T15:00:00Z"); // a conversation, by an ISO time
    expect(await one.event("marker", (e) => e.target === "@sam")).toMatchObject({ at: Date.UTC(2026, 11, 7, 15), elsewhere: true });
    one.send("/read #nowhere");
    expect((await one.event("error")).code).toBe("not-in-room");
    one.send("/read #lobby yesterday");
    expect((await one.event("error", (e) => e.code === "bad-usage")).message).toContain('"yesterday" is not a time');
    const before = Date.now();
    one.send("/read"); // the current room, up to now
    expect((await one.event("marker", (e) => e.at !== null && e.at >= before)).target).toBe("#lobby");
  });

  test("a registered user's markers are kept across logins and a restart (the markers event after the welcome); a guest's last its stay", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bunchat-markers-"));
    dirs.push(dir);
    const open = () => new SqliteFile({ path: join(dir, "bunchat.sqlite"), retention: DEFAULT_RETENTION, status: { paused: () => {}, resumed: () => {} } });
    const file = open();
    const t = await server(file);
    const ana = await loggedIn(t, "Ana", "json");
    ana.send(`/read #lobby ${T}`);
    await ana.event("marker");
    const guest = await t.join("Bo", "json");
    guest.send(`/read #lobby ${T}`);
    await guest.event("marker");
    ana.send("quit");
    guest.send("quit");
    await ana.closed();
    await guest.closed();
    await t.server.shutdown();
    file.close();

    const again = await server(open());
    const back = await login(again, "Ana");
    expect(await back.event("markers")).toMatchObject({ type: "markers", markers: { "#lobby": T }, unread: { "#lobby": { count: 0, mentions: 0 } } });
    const bo = await again.join("Bo", "json");
    await bo.ping();
    expect(bo.log.lines.some((l) => l.includes('"markers"'))).toBe(false);
  });

  test("catch-up: back after a while, a registered user is shown everything since its marker (past the usual 20 lines), then its unread counts; /rooms says what is unread", async () => {
    const t = await server();
    const ana = await loggedIn(t, "Ana", "json");
    ana.send("/read #lobby");
    const { at } = await ana.event("marker");
    ana.send("quit");
    await ana.closed();
    const sam = await t.join("Sam", "json");
    await Bun.sleep(Math.max(0, at! + 2 - Date.now())); // after the marker's millisecond
    for (let i = 1; i <= 30; i++) sam.send(i === 7 ? "line 7, Ana?" : `line ${i}`);
    await sam.ping();
    const back = await login(t, "Ana");
    const { unread } = await back.event("markers"); // after the welcome, before what was missed
    expect(unread).toEqual({ "#lobby": { count: 30, mentions: 1 } });
    const missed = await back.event("history");
    expect(missed.since).toBe(at!);
    expect(missed.events.map((e) => e.text)).toEqual(Array.from({ length: 30 }, (_, i) => (i === 6 ? "line 7, Ana?" : `line ${i + 1}`)));
    const text = await t.connect("text", "Ana in nc");
    text.send("Ana");
    await text.seen(/registered name\. Password/);
    text.send("correct-horse");
    await text.seen(/^--- 30 lines in #lobby since you last read it \(\d\d:\d\d\) ---$/);
    text.send("/rooms");
    await text.seen(/^ {2}#lobby +2 users {2}\[30 unread, 1 mentions you\]$/);
    // A guest, and a registered user without a marker, get the last 20 as before.
    const bo = await t.join("Bo", "json");
    expect((await bo.event("history")).events).toHaveLength(20);
  });

  test("what was missed is charged to the output budget, as /history is: a reconnect flood can't have a backlog repeated for free", async () => {
    const file = memoryStore();
    const t = await testServer({ http: true, history: file.history, accounts: file.accounts, markers: file.markers, sessions: file.sessions, limits: { linesPerSecond: 5, burstLines: 10 } });
    (await loggedIn(t, "Ana")).send("quit");
    // The page signs in (a session for it), reads the lobby and goes.
    const page = await WsPeer.connect(t.server.httpPort!);
    await page.event("ask-name");
    page.send("Ana");
    await page.event("ask-login");
    page.send("correct-horse");
    const { token } = await page.event("session");
    page.send("/read #lobby");
    const { at } = await page.event("marker");
    page.send("quit");
    await page.closed();
    await Bun.sleep(Math.max(0, at! + 2 - Date.now()));
    for (let i = 0; i < 150; i++) t.server.hub.post({ type: "public", id: t.server.hub.nextId(), room: "#lobby", from: "deploy", text: `${i} ${"x".repeat(1000)}`, ts: Date.now(), bot: true });
    // Back with the session (no password, so no wait for a hash: the welcome is in the same turn).
    const back = await WsPeer.connect(t.server.httpPort!);
    await back.event("ask-name");
    back.send(`/resume ${token}`);
    expect((await back.event("history")).events.length).toBeGreaterThan(100); // ~150 KB: past the 80 KiB of output a burst buys
    back.send("/ping after");
    const told = await back.event("error", (e) => e.code === "slow-down");
    expect(told.message).toContain("asked for more output");
  });

  test("IRC: MARKREAD from an IRC device moves the marker the page and the client see; theirs reach it as MARKREAD", async () => {
    const t = await server(memoryStore(), { irc: true });
    const json = await loggedIn(t, "Ana", "json");
    const irc = await ircLogIn(t, "Ana", ["draft/read-marker"]);
    await irc.seen(/^:bunchat MARKREAD #lobby \*$/); // told of the lobby it is in, before its NAMES end
    irc.send("MARKREAD #lobby timestamp=2026-12-07T14:02:00.000Z");
    await irc.seen(/^:bunchat MARKREAD #lobby timestamp=2026-12-07T14:02:00.000Z$/);
    expect(await json.event("marker")).toEqual({ type: "marker", target: "#lobby", at: T, elsewhere: true });
    json.send(`/read #lobby ${T + 1000}`);
    await irc.seen(/^:bunchat MARKREAD #lobby timestamp=2026-12-07T14:02:01.000Z$/);
    irc.send("MARKREAD #elsewhere timestamp=2026-12-07T14:02:00.000Z");
    await irc.seen(/^:bunchat FAIL MARKREAD INVALID_PARAMS #elsewhere :You're not on that channel$/);
  });
});
