// Private conversations kept for registered users (issue 32), through real sockets: what came while
// away is shown on coming back (once), /history and /search reach them for their two only, the
// sender edits and deletes its own lines there (both told, from every door), guests' are never
// kept, --keep-private off keeps none, a restart keeps them, and the log never has their text.

import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServerEvent } from "../../src/protocol/events.ts";
import { DEFAULT_RETENTION } from "../../src/store/history.ts";
import { SqliteFile } from "../../src/store/sqlite/file.ts";
import { ircLogIn, loggedIn, logIn, memoryStore } from "../helpers/accounts.ts";
import type { Peer } from "../helpers/peer.ts";
import { testServer, type TestServerOptions } from "../helpers/server.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function server(file: SqliteFile = memoryStore(), options: TestServerOptions = {}) {
  return testServer({ history: file.history, accounts: file.accounts, markers: file.markers, limits: { linesPerSecond: 0 }, ...options });
}

type Server = Awaited<ReturnType<typeof server>>;

/** Registers each name (each logs in once, then leaves). */
async function register(t: Server, ...names: string[]): Promise<void> {
  for (const name of names) {
    const p = await loggedIn(t, name, "json");
    p.send("quit");
    await p.closed();
  }
}

/** The JSON events `p` has been sent so far of this type. */
function events<T extends ServerEvent["type"]>(p: Peer, type: T): Extract<ServerEvent, { type: T }>[] {
  return p.log.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as ServerEvent).filter((e): e is Extract<ServerEvent, { type: T }> => e.type === type);
}

describe("private conversations kept", () => {
  test("what came while away is shown on coming back, once, with its unread count; the sender's own lines are read as sent", async () => {
    const t = await server();
    await register(t, "Ana", "Sam");
    const sam = await logIn(t, "Sam", "json");
    sam.send("/pm Ana are you there, Ana?");
    await sam.event("private-sent");
    sam.send("/pm Ana the build is red");
    await sam.event("private-sent", (e) => e.text === "the build is red");

    // Ana comes: after the welcome and her markers, the conversation with what she missed.
    const ana = await logIn(t, "Ana", "json");
    const markers = await ana.event("markers");
    expect(markers.unread?.["@sam"]).toEqual({ count: 2, mentions: 1 });
    const missed = await ana.event("history", (e) => e.room === "@Sam");
    expect(missed.why).toBe("join");
    expect(missed.events.map((e) => [e.type, e.text])).toEqual([["private", "are you there, Ana?"], ["private", "the build is red"]]);
    expect(missed.events[0]).toMatchObject({ type: "private", from: "Sam" });
    ana.send("/pm Sam on it");
    await sam.event("private", (e) => e.text === "on it");

    // She leaves and comes back: nothing new since she was last connected, nothing shown again.
    ana.send("quit");
    await ana.closed();
    const again = await logIn(t, "Ana", "json");
    await again.ping();
    expect(events(again, "history").filter((e) => e.room.startsWith("@"))).toEqual([]);

    // Sam leaves; Ana writes to him while he is away (to a registered name offline: kept for him).
    sam.send("quit");
    await sam.closed();
    again.send("/pm Sam fixed it");
    expect(await again.event("private-sent")).toMatchObject({ to: "Sam", text: "fixed it" });
    expect((await again.event("notice")).text).toBe("Sam is not online: it is kept for them, and shown when they come back.");
    // He comes back: only that. Not his own lines (read as sent), not "on it" (he was connected then).
    const sam2 = await logIn(t, "Sam", "json");
    const his = await sam2.event("history", (e) => e.room === "@Ana");
    expect(his.events.map((e) => [e.type, e.text])).toEqual([["private", "fixed it"]]);
    const guest = await t.join("Cy", "json");
    guest.send("/pm Bo hello"); // a guest to a name not online: refused as before
    expect(await guest.event("error")).toMatchObject({ code: "unknown-user" });

    // In text, from the door nc users have.
    again.send("quit");
    await again.closed();
    sam2.send("/pm Ana one more thing");
    await sam2.event("private-sent");
    const text = await logIn(t, "Ana", "text");
    await text.seen(/^--- 1 line with Sam since you last read it \(\d\d:\d\d\) ---$/);
    await text.seen(/^\[\d\d:\d\d\] \[pm from Sam\] one more thing$/);
  });

  test("/history <name> pages a conversation back as each of the two sees it; a third, a guest, a missing name are refused", async () => {
    const t = await server();
    await register(t, "Ana", "Sam", "Bo");
    const [ana, sam] = [await logIn(t, "Ana", "json"), await logIn(t, "Sam", "json")];
    for (let i = 0; i < 5; i++) {
      ana.send(`/pm Sam ping ${i}`);
      await sam.event("private", (e) => e.text === `ping ${i}`);
      sam.send(`/pm Ana pong ${i}`);
      await ana.event("private", (e) => e.text === `pong ${i}`);
    }
    ana.send("/history Sam 4");
    const page = await ana.event("history", (e) => e.why === "request");
    expect(page.room).toBe("@Sam");
    expect(page.more).toBe(true);
    expect(page.events.map((e) => `${e.type} ${e.text}`)).toEqual(["private-sent ping 3", "private pong 3", "private-sent ping 4", "private pong 4"]);
    ana.send("/history sam 100"); // any case; on from where the last page began
    const rest = await ana.event("history", (e) => e.why === "request" && e !== page);
    expect(rest.events).toHaveLength(6);
    expect(rest.more).toBe(false);
    sam.send("/history Ana 2");
    expect((await sam.event("history", (e) => e.why === "request")).events).toEqual([
      expect.objectContaining({ type: "private", from: "Ana", text: "ping 4" }),
      expect.objectContaining({ type: "private-sent", to: "Ana", text: "pong 4" }),
    ]);

    const bo = await logIn(t, "Bo", "json");
    bo.send("/history Sam"); // Bo's own conversation with Sam: none, and nothing of Ana's
    expect((await bo.event("history", (e) => e.why === "request")).events).toEqual([]);
    bo.send("/history Nobody");
    expect(await bo.event("error")).toMatchObject({ code: "unknown-user", message: expect.stringContaining("not a registered name") });
    bo.send("/history Bo");
    expect(await bo.event("error", (e) => e.code === "bad-usage")).toMatchObject({ message: expect.stringContaining("That is you") });
    const guest = await t.join("Cy", "json");
    guest.send("/pm Ana from a guest");
    await ana.event("private", (e) => e.text === "from a guest");
    guest.send("/history Ana");
    expect(await guest.event("error")).toMatchObject({ code: "no-history" });
    ana.send("/history Cy"); // a guest's are never kept
    expect(await ana.event("error", (e) => e.code === "unknown-user")).toBeDefined();
  });

  test("/history … after <id>: what came after a line a device had, oldest first, with more after; in a room and in a conversation", async () => {
    const t = await server();
    await register(t, "Ana", "Sam");
    const [ana, sam] = [await logIn(t, "Ana", "json"), await logIn(t, "Sam", "json")];
    const said: string[] = [];
    for (let i = 0; i < 5; i++) {
      sam.send(`room line ${i}`);
      said.push(String((await ana.event("public", (e) => e.text === `room line ${i}`)).id));
    }
    ana.send(`/history #lobby after ${said[1]} 2`);
    const page = await ana.event("history", (e) => e.after !== undefined);
    expect(page.events.map((e) => e.text)).toEqual(["room line 2", "room line 3"]);
    expect(page).toMatchObject({ room: "#lobby", why: "request", more: true });
    ana.send(`/history after ${said[3]}`); // the current room, up to 200
    const rest = await ana.event("history", (e) => e.after !== undefined && e !== page);
    expect(rest.events.map((e) => e.text)).toEqual(["room line 4"]);
    expect(rest.more).toBe(false);
    sam.send("/pm Ana one");
    const first = await ana.event("private", (e) => e.text === "one");
    sam.send("/pm Ana two");
    await ana.event("private", (e) => e.text === "two");
    ana.send(`/history Sam after ${first.id}`);
    expect((await ana.event("history", (e) => e.room === "@Sam" && e.after !== undefined)).events).toEqual([expect.objectContaining({ type: "private", text: "two" })]);
    ana.send(`/history #lobby after ${first.id}`); // a line of another place: not this room's
    expect(await ana.event("error", (e) => e.code === "unknown-line")).toBeDefined();
    ana.send("/history #lobby after soon");
    expect(await ana.event("error", (e) => e.code === "bad-usage")).toMatchObject({ message: expect.stringContaining("after which line") });
    const text = await logIn(t, "Ana", "text");
    text.send(`/history after ${said[2]} 1`);
    await text.seen("--- 1 line in #lobby since you were last sent one ---");
    await text.seen(`--- end of new lines (/history #lobby after ${said[3]} for more) ---`);
  });

  test("/search finds a conversation's lines for its two only; /edit and /delete by id reach both of them, and only the sender may", async () => {
    const t = await server();
    await register(t, "Ana", "Sam", "Bo");
    const [ana, sam, bo] = [await logIn(t, "Ana", "json"), await logIn(t, "Sam", "json"), await logIn(t, "Bo", "json")];
    const home = await logIn(t, "Sam", "text", "Sam at home"); // another device of Sam, in text
    sam.send("/pm Ana the password is taped under the desk");
    const sent = await sam.event("private-sent");
    await ana.event("private", (e) => e.text.includes("taped"));
    ana.send("/search taped");
    const found = await ana.event("search");
    expect(found.events).toEqual([expect.objectContaining({ type: "private", from: "Sam", id: sent.id })]);
    sam.send("/search taped");
    expect((await sam.event("search")).events).toEqual([expect.objectContaining({ type: "private-sent", to: "Ana" })]);
    bo.send("/search taped");
    expect((await bo.event("search")).events).toEqual([]);

    // Only its sender changes it: Ana is refused, Bo is told there is no such line.
    ana.send(`/delete ${sent.id}`);
    expect(await ana.event("error")).toMatchObject({ code: "not-allowed" });
    bo.send(`/delete ${sent.id}`);
    expect(await bo.event("error")).toMatchObject({ code: "unknown-line" });
    sam.send(`/answer ${sent.id} hm`);
    expect(await sam.event("error", (e) => e.code === "not-allowed")).toMatchObject({ message: expect.stringContaining("private line") });

    sam.send(`/edit ${sent.id} the password is in the vault`);
    expect(await ana.event("edit")).toMatchObject({ room: "@Sam", id: sent.id, text: "the password is in the vault", by: "Sam", of: "Sam" });
    expect(await sam.event("edit")).toMatchObject({ room: "@Ana", id: sent.id });
    await home.seen(/^-- Sam edited their line from \d\d:\d\d \(private, with Ana\): the password is in the vault$/);
    ana.send("/search taped");
    expect((await ana.event("search", (e) => e !== found)).events).toEqual([]);

    sam.send(`/delete ${sent.id}`);
    expect(await ana.event("delete")).toMatchObject({ room: "@Sam", id: sent.id, by: "Sam" });
    expect(await sam.event("delete")).toMatchObject({ room: "@Ana" });
    ana.send("/history Sam");
    expect((await ana.event("history", (e) => e.why === "request")).events).toEqual([]);
    sam.send(`/delete ${sent.id}`);
    expect(await sam.event("error", (e) => e.code === "unknown-line")).toBeDefined();
    await bo.ping();
    expect(events(bo, "delete")).toEqual([]);
    expect(events(bo, "edit")).toEqual([]);
  });

  test("someone one ignores: their lines are not shown from the conversation (not in catch-up, /history or /search), though kept for them", async () => {
    const t = await server();
    await register(t, "Ana", "Sam");
    const ana = await logIn(t, "Ana", "json");
    ana.send("/pm Sam before the ignore");
    await ana.event("private-sent");
    ana.send("/ignore Sam");
    await ana.event("notice", (e) => e.text.includes("Sam"));
    ana.send("quit");
    await ana.closed();
    const sam = await logIn(t, "Sam", "json");
    sam.send("/pm Ana unwanted words");
    await sam.event("notice", (e) => e.text.includes("kept for them"));
    sam.send("/history Ana");
    expect((await sam.event("history", (e) => e.why === "request")).events.map((e) => e.text)).toEqual(["before the ignore", "unwanted words"]);
    const back = await logIn(t, "Ana", "json");
    back.send("/history Sam");
    expect((await back.event("history", (e) => e.why === "request")).events.map((e) => e.text)).toEqual(["before the ignore"]);
    back.send("/search unwanted");
    expect((await back.event("search")).events).toEqual([]);
    expect(events(back, "history").filter((e) => e.room === "@Sam" && e.why === "join")).toEqual([]);
  });

  test("IRC: what came while away arrives as PRIVMSGs with their times and msgids; REDACT <nick> <msgid> takes back one's own, both told", async () => {
    const t = await server(memoryStore(), { irc: true });
    await register(t, "Ana", "Sam");
    const sam = await logIn(t, "Sam", "json");
    sam.send("/pm Ana while you were out");
    const sent = await sam.event("private-sent");
    const irc = await ircLogIn(t, "Ana", ["message-tags", "server-time", "echo-message", "draft/message-redaction"]);
    const line = await irc.seen(/PRIVMSG Ana :\[\d\d:\d\d\] while you were out$/);
    expect(line).toContain(`msgid=${sent.id}`);
    expect(line).toMatch(/^@[^ ]*time=\S+ :Sam!/);
    irc.send("PRIVMSG Sam :got it");
    const echo = await irc.seen(/PRIVMSG Sam :got it$/);
    const msgid = /msgid=([^; ]+)/.exec(echo)![1]!;
    await sam.event("private", (e) => e.text === "got it");
    irc.send(`REDACT Sam ${sent.id}`); // Sam's line: not hers to take back
    await irc.seen(/ FAIL REDACT REDACT_FORBIDDEN Sam /);
    irc.send(`REDACT Sam ${msgid}`);
    await irc.seen(new RegExp(`:Ana!\\S+ REDACT Sam ${msgid}$`));
    expect(await sam.event("delete")).toMatchObject({ room: "@Ana", by: "Ana", of: "Ana" });
  });

  test("kept in the file across a restart (its text never in the log); a guest's never kept; --keep-private off keeps none", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bunchat-talks-"));
    dirs.push(dir);
    const path = join(dir, "bunchat.sqlite");
    const open = () => new SqliteFile({ path, retention: DEFAULT_RETENTION, status: { paused: () => {}, resumed: () => {} } });
    let file = open();
    let t = await server(file);
    await register(t, "Ana", "Sam");
    const sam = await logIn(t, "Sam", "json");
    sam.send("/pm Ana zebra-quokka-kept");
    await sam.event("private-sent");
    const guest = await t.join("Cy");
    guest.send("/pm Sam okapi-guest-secret");
    await sam.event("private", (e) => e.text === "okapi-guest-secret");
    await t.server.shutdown();
    file.close();
    const bytes = readdirSync(dir).map((f) => readFileSync(join(dir, f)).toString("latin1")).join("");
    expect(bytes).toContain("zebra-quokka-kept");
    expect(bytes).not.toContain("okapi-guest-secret");
    expect(t.log.join("\n")).not.toContain("quokka");
    expect(t.log.join("\n")).not.toContain("okapi");

    file = open();
    t = await server(file);
    const ana = await logIn(t, "Ana", "json");
    expect((await ana.event("history", (e) => e.room === "@Sam")).events).toEqual([expect.objectContaining({ text: "zebra-quokka-kept" })]);
    await t.server.shutdown();
    file.close();

    // Off: delivered, and forgotten.
    file = open();
    t = await server(file, { keepPrivate: false });
    const [a, s] = [await logIn(t, "Ana", "json"), await logIn(t, "Sam", "json")];
    s.send("/pm Ana tapir-not-kept");
    await a.event("private", (e) => e.text === "tapir-not-kept");
    a.send("/history Sam");
    expect(await a.event("error")).toMatchObject({ code: "no-history", message: expect.stringContaining("keeps no private conversations") });
    await t.server.shutdown();
    file.close();
    expect(readdirSync(dir).map((f) => readFileSync(join(dir, f)).toString("latin1")).join("")).not.toContain("tapir-not-kept");
  });
});
