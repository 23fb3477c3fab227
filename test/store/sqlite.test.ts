// The bun:sqlite history store on its own: what it keeps and gives back, its bounds, its schema,
// and what it does when the file can't be used or writes fail.

import { afterEach, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StoredLine } from "../../src/store/history.ts";
import { keepIn, type Unsaid } from "../helpers/kept.ts";
import { parseSearch, type Retention, type SearchQuery } from "../../src/store/history.ts";
import { HistoryOpenError, KNOWN_MIGRATIONS, migrate, SCHEMA_VERSION, SqliteFile } from "../../src/store/sqlite/file.ts";
import { MAX_BACKLOG, RETRY_MS, SqliteHistory } from "../../src/store/sqlite/history.ts";
import { fakeClock } from "../helpers/clock.ts";

const dirs: string[] = [];
const stores: SqliteHistory[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "bunchat-store-"));
  dirs.push(dir);
  return dir;
};

const T0 = Date.UTC(2026, 10, 30, 12);
const say = (room: string, from: string, text: string, ts = T0): Unsaid => ({ type: "public", room, from, text, ts });
const texts = (kept: { event: StoredLine }[]) => kept.map((k) => k.event.text);
const query = (text: string): SearchQuery => {
  const q = parseSearch(text);
  if ("error" in q) throw new Error(q.error);
  return q;
};

interface Opened {
  store: SqliteHistory;
  paused: string[];
  resumed: number;
}

function openStore(
  path = ":memory:",
  retention: Retention = { linesPerRoom: 1000, days: 0 },
  extra: Partial<ConstructorParameters<typeof SqliteFile>[0]> = {},
): Opened {
  const opened: Opened = { store: undefined!, paused: [], resumed: 0 };
  opened.store = new SqliteFile({
    path,
    retention,
    status: { paused: (why) => void opened.paused.push(why), resumed: () => void opened.resumed++ },
    ...extra,
  }).history;
  stores.push(opened.store);
  return opened;
}

describe("sqlite history", () => {
  test("lines come back per room, oldest first, paged by id; unwritten ones too", () => {
    const { store } = openStore();
    for (let i = 1; i <= 5; i++) keepIn(store, say("#a", "Sam", `a${i}`));
    keepIn(store, say("#b", "Ana", "b1"));
    store.flush();
    keepIn(store, say("#a", "Sam", "a6")); // not written yet
    expect(texts(store.recent("#a", 3))).toEqual(["a4", "a5", "a6"]);
    const page = store.before("#a", 3);
    expect(texts(store.before("#a", 10, page[0]!.id))).toEqual(["a1", "a2", "a3"]);
    expect(texts(store.before("#b", 10))).toEqual(["b1"]);
    expect(store.before("#nobody", 10)).toEqual([]);
    expect(store.before("#a", 0)).toEqual([]);
  });

  test("a room's last lines come from memory once read, following what is kept", () => {
    const path = join(tempDir(), "h.sqlite");
    let handle: Database | undefined;
    const { store } = openStore(path, undefined, { ringSize: 3, onOpen: (db) => void (handle = db) });
    for (let i = 1; i <= 4; i++) keepIn(store, say("#a", "Sam", `a${i}`));
    store.flush();
    expect(texts(store.recent("#a", 3))).toEqual(["a2", "a3", "a4"]);
    handle!.exec("DELETE FROM chunks"); // the file is no longer read for #a…
    keepIn(store, say("#a", "Sam", "a5"));
    expect(texts(store.recent("#a", 2))).toEqual(["a4", "a5"]); // …its ring follows what is kept
    expect(store.recent("#b", 3)).toEqual([]);
  });

  test("the rings are bounded in bytes: the rooms joined longest ago are forgotten, then read from the file again", () => {
    const budget = 512 * 1024; // three rooms of 21 long lines
    const { store } = openStore(":memory:", undefined, { ringSize: 21, ringBytes: budget });
    const long = (room: number, i: number) => `${room}:${i}:${"x".repeat(3990)}`;
    for (let room = 0; room < 50; room++) {
      for (let i = 0; i < 21; i++) keepIn(store, say(`#r${room}`, "Mal", long(room, i)));
      store.recent(`#r${room}`, 20); // joined: its ring is read
      expect(store.ringMemory).toBeLessThanOrEqual(budget);
    }
    store.flush();
    // A room whose ring was forgotten long ago is read from the file, and its ring follows the next lines.
    expect(texts(store.recent("#r0", 20))).toEqual(Array.from({ length: 20 }, (_, i) => long(0, i + 1)));
    keepIn(store, say("#r0", "Sam", "newest"));
    expect(texts(store.recent("#r0", 2))).toEqual([long(0, 20), "newest"]);
    expect(store.ringMemory).toBeLessThanOrEqual(budget);
    expect(store.ringMemory).toBeGreaterThan(0);
  });

  test("a file keeps lines, actions and topics across a restart, and ids go on growing", () => {
    const path = join(tempDir(), "h.sqlite");
    const first = openStore(path).store;
    const kept = [
      keepIn(first, say("#a", "Sam", "hello")),
      keepIn(first, { type: "action", room: "#a", from: "Sam", text: "waves", ts: T0 }),
      keepIn(first, { type: "topic", room: "#a", text: "ship it", by: "Ana", ts: T0 + 1 }),
      keepIn(first, say("#a", "Ana", "bye")),
    ];
    const lastId = first.before("#a", 1)[0]!.id;
    first.close();
    const again = openStore(path).store;
    expect(again.before("#a", 10).map((k) => k.event)).toEqual(kept);
    expect(again.recent("#a", 2).map((k) => k.event.text)).toEqual(["ship it", "bye"]);
    expect(again.topic("#a")).toEqual({ text: "ship it", by: "Ana", ts: T0 + 1 });
    keepIn(again, say("#a", "Bo", "after"));
    expect(again.before("#a", 1)[0]!.id).toBe(lastId + 1);
    keepIn(again, { type: "topic", room: "#a", text: "", by: "Sam", ts: T0 + 2 });
    expect(again.topic("#a")).toBeUndefined(); // cleared before it is even written
    again.close();
    expect(openStore(path).store.topic("#a")).toBeUndefined();
  });

  test("a room keeps at most its limit of lines, deleting the oldest a few at a time", () => {
    const path = join(tempDir(), "h.sqlite");
    const { store } = openStore(path, { linesPerRoom: 50, days: 0 });
    for (let turn = 0; turn < 40; turn++) {
      for (let i = 0; i < 5; i++) keepIn(store, say("#a", "Sam", `line ${turn * 5 + i}`));
      keepIn(store, say("#b", "Ana", `b ${turn}`));
      store.flush();
    }
    store.close();
    const db = new Database(path);
    const count = (room: string) =>
      db.query<{ n: number }, [string]>("SELECT sum(count) AS n FROM chunks WHERE room = ?").get(room)!.n;
    expect(count("#a")).toBeGreaterThanOrEqual(50);
    expect(count("#a")).toBeLessThan(50 + 5); // whole chunks go: one turn's 5 lines at most over
    expect(count("#b")).toBe(40);
    // The search index lost the deleted chunks too.
    const indexed = db.query<{ n: number }, []>(`SELECT count(*) AS n FROM chunks_fts WHERE chunks_fts MATCH '"line"'`).get()!.n;
    expect(indexed).toBe(db.query<{ n: number }, []>("SELECT count(*) AS n FROM chunks WHERE room = '#a'").get()!.n);
    db.close();
    const reopened = openStore(path, { linesPerRoom: 50, days: 0 }).store;
    expect(texts(reopened.before("#a", 2))).toEqual(["line 198", "line 199"]);
  });

  test("lines older than --history-days are deleted as time passes", () => {
    const clock = fakeClock();
    const now = clock.now();
    const { store } = openStore(":memory:", { linesPerRoom: 1000, days: 2 }, { clock });
    keepIn(store, say("#a", "Sam", "three days old", now - 3 * 86_400_000));
    store.flush();
    keepIn(store, say("#a", "Sam", "one day old", now - 86_400_000));
    store.flush();
    clock.advance(60_000);
    expect(texts(store.before("#a", 10))).toEqual(["one day old"]);
  });

  test("search: every word, any case and accents, word starts, the user's rooms only, newest first", () => {
    const { store } = openStore();
    keepIn(store, say("#dev", "Sam", "Deploy failed on staging"));
    keepIn(store, say("#dev", "Ana", "the deploy is fixed"));
    keepIn(store, say("#ops", "Bo", "deploy failing again"));
    keepIn(store, say("#dev", "Ana", "Café at three"));
    const hits = (q: string, rooms = ["#dev", "#ops"]) => texts(store.search(rooms, query(q)));
    expect(hits("deploy")).toEqual(["deploy failing again", "the deploy is fixed", "Deploy failed on staging"]);
    expect(hits("DEPLOY fail*")).toEqual(["deploy failing again", "Deploy failed on staging"]);
    expect(hits("deploy", ["#dev"])).toEqual(["the deploy is fixed", "Deploy failed on staging"]);
    expect(hits("cafe")).toEqual(["Café at three"]);
    expect(hits("fail")).toEqual([]); // a whole word, unless it ends in *
    expect(store.search([], query("deploy"))).toEqual([]);
  });

  test("search across rooms written together: the newest lines win, whichever room's chunk starts first", () => {
    const { store } = openStore();
    keepIn(store, say("#a", "Sam", "x a0"));
    for (let i = 1; i <= 25; i++) keepIn(store, say("#b", "Ana", `x b${i}`));
    for (let i = 1; i <= 4; i++) keepIn(store, say("#a", "Sam", `x a${i}`));
    store.flush(); // one write: #a's chunk starts before #b's but ends after it
    expect(texts(store.search(["#a", "#b"], query("x")))).toEqual([
      "x a4",
      "x a3",
      "x a2",
      "x a1",
      ...Array.from({ length: 16 }, (_, i) => `x b${25 - i}`),
    ]);
  });

  test("search answers at most 20, newest first", () => {
    const { store } = openStore();
    for (let i = 0; i < 100; i++) keepIn(store, say("#a", "Sam", `spam ${i}`));
    const found = texts(store.search(["#a"], query("spam")));
    expect(found).toHaveLength(20);
    expect(found[0]).toBe("spam 99");
  });

  test("the user's words are never FTS5 syntax: quotes, NEAR(, AND/OR, columns, stars", () => {
    const { store } = openStore();
    keepIn(store, say("#a", "Sam", 'she said "near" and OR text:col'));
    for (const q of ['"near', "NEAR(a b", "a OR", "text:col", "* *", "^start", "a AND NOT b", '""""', "(((", "x*y*"]) {
      const parsed = parseSearch(q);
      if ("error" in parsed) continue;
      expect(() => store.search(["#a"], parsed)).not.toThrow();
    }
    expect(texts(store.search(["#a"], query('"near')))).toEqual(['she said "near" and OR text:col']);
    expect(texts(store.search(["#a"], query("text:col")))).toEqual(['she said "near" and OR text:col']);
  });

  test("search words are bounded and explained", () => {
    expect(parseSearch("")).toEqual({ error: "Say what to search for." });
    expect(parseSearch("a b c d e f g h i")).toMatchObject({ error: expect.stringContaining("at most 8 words") });
    expect(parseSearch("x".repeat(65))).toMatchObject({ error: expect.stringContaining("at most 64 characters") });
    expect(parseSearch("*** !!!")).toMatchObject({ error: expect.stringContaining("letters or digits") });
    expect(parseSearch("deploy fail*")).toEqual({
      terms: [
        { word: "deploy", prefix: false },
        { word: "fail", prefix: true },
      ],
    });
  });

  test("can't be opened: a directory, not SQLite, a missing directory, in use by another server, a newer schema", () => {
    const dir = tempDir();
    const fail = (path: string) => {
      try {
        openStore(path);
      } catch (err) {
        expect(err).toBeInstanceOf(HistoryOpenError);
        return (err as Error).message;
      }
      throw new Error(`${path} opened`);
    };
    expect(fail(dir)).toContain(`can't open the history file ${dir}`);
    const text = join(dir, "notes.txt");
    writeFileSync(text, "not a database at all\n".repeat(100));
    expect(fail(text)).toBe(`can't use the history file ${text}: it is not a SQLite database (choose another file with --db)`);
    expect(fail(join(dir, "missing", "h.sqlite"))).toContain("can't open the history file");
    const shared = join(dir, "h.sqlite");
    openStore(shared);
    expect(fail(shared)).toBe(
      `can't use the history file ${shared}: another bunchat-server is using it (or another program has it locked)`,
    );
    const newer = join(dir, "newer.sqlite");
    const db = new Database(newer);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(fail(newer)).toContain("is from a newer bunchat");
  });

  test("a later version's step (a new column) brings a file up to date without losing its lines", () => {
    const path = join(tempDir(), "h.sqlite");
    const { store } = openStore(path);
    keepIn(store, say("#a", "Sam", "kept across versions"));
    stores.splice(0).forEach((s) => s.close());
    const db = new Database(path);
    const next = [...KNOWN_MIGRATIONS, "ALTER TABLE chunks ADD COLUMN edited INTEGER"];
    migrate(db, path, next);
    expect(db.query<{ user_version: number }, []>("PRAGMA user_version").get()!.user_version).toBe(SCHEMA_VERSION + 1);
    expect(db.query("SELECT text, edited FROM chunks").all()).toEqual([{ text: "kept across versions", edited: null }]);
    migrate(db, path, next); // once only
    db.close();
    // This version refuses the newer file rather than write rows its successor would misread.
    expect(() => openStore(path)).toThrow("is from a newer bunchat");
  });

  test("lines a killed server sent but had not written are read back from its journal on opening, once; a torn record is skipped", () => {
    const path = join(tempDir(), "h.sqlite");
    const first = openStore(path).store;
    const written = keepIn(first, say("#a", "Sam", "written"));
    first.flush();
    first.close();
    // As a kill -9 leaves it: two records committed after the last write (the first of them a
    // line the file has already, from before a write that did not empty the journal), one cut short.
    const id = Number(written.id);
    writeFileSync(
      `${path}-kept`,
      [
        "B", `T${T0}`, `I${id}`, "R#a", "Kpublic", "Sam\twritten",
        `T${T0 + 1}`, "Kaction", "Ana\twaves",
        `T${T0 + 2}`, "Kpublic", "Bo\tsaid when killed",
        `T${T0 + 2}`, "R@ana sam", "Kprivate", "Sam\tprivate when killed",
        "B", `T${T0 + 3}`, `I${id + 4}`, "R#a", "Kpublic", "Bo\tcut sh",
      ].join("\n"),
    );
    const again = openStore(path).store;
    expect(again.before("#a", 10).map((k) => [k.event.id, k.event.type, k.event.text])).toEqual([
      [id, "public", "written"],
      [id + 1, "action", "waves"],
      [id + 2, "public", "said when killed"],
    ]);
    // A private line too, in its conversation, which is listed for both.
    expect(again.recent("@ana sam", 5).map((k) => [k.event.id, k.event.type, k.event.text])).toEqual([[id + 3, "private", "private when killed"]]);
    expect(again.conversations("ana")).toEqual([{ key: "@ana sam", with: "sam", last: T0 + 2 }]);
    expect(again.nextId()).toBe(id + 4); // ids go on after them
    again.close();
    expect(readFileSync(`${path}-kept`).every((byte) => byte === 0)).toBe(true); // the file has them: the journal is zeroed
  });

  test("a message of several lines is kept whole: in a chunk beside one-line lines, after an edit, found by its words, and read back from the journal after a kill", () => {
    const path = join(tempDir(), "h.sqlite");
    const { store } = openStore(path);
    const trace = "Traceback (most recent call last):\n  File \"x.py\", line 3\n\n    boom()";
    keepIn(store, say("#a", "Sam", "before"));
    const multi = keepIn(store, say("#a", "Sam", trace));
    keepIn(store, say("#a", "Sam", "after"));
    // Not written yet: in the journal only (committed before a turn goes out), as a kill -9 would leave it.
    store.commit();
    const journal = readFileSync(`${path}-kept`);
    store.flush();
    expect(texts(store.recent("#a", 5))).toEqual(["before", trace, "after"]);
    expect(texts(store.search(["#a"], query("boom")))).toEqual([trace]);
    store.edit("#a", multi.id, "fixed:\n  it was x.py", T0 + 1);
    expect(texts(store.recent("#a", 5))).toEqual(["before", "fixed:\n  it was x.py", "after"]);
    store.close();
    const reopened = openStore(path).store;
    expect(texts(reopened.recent("#a", 5))).toEqual(["before", "fixed:\n  it was x.py", "after"]);
    reopened.close();
    // Another file that never wrote them, with that journal: the lines come back, the message whole.
    const killed = join(tempDir(), "k.sqlite");
    writeFileSync(`${killed}-kept`, journal);
    expect(texts(openStore(killed).store.recent("#a", 5))).toEqual(["before", trace, "after"]);
  });

  test("a chunk's facts come back exactly (ids, kinds, senders, times), and a damaged one is skipped, not trusted", () => {
    const path = join(tempDir(), "h.sqlite");
    const { store } = openStore(path);
    const unsaid: Unsaid[] = [
      say("#a", "Zoë", "plain", T0 + 1),
      { type: "action", room: "#a", from: "O'Brien", text: "waves", ts: T0 + 2 },
      { type: "public", room: "#a", from: "deploy", text: "build green", ts: T0 + 3, bot: true },
      { type: "topic", room: "#a", by: "Zoë", text: "release day", ts: T0 + 4 },
      say("#a", "O'Brien", "again", T0 + 5),
    ];
    const kept = unsaid.map((event) => keepIn(store, event));
    store.flush();
    stores.splice(0).forEach((s) => s.close());
    const reopened = openStore(path).store;
    expect(reopened.before("#a", 10).map((k) => k.event)).toEqual(kept);
    const ids = reopened.before("#a", 10).map((k) => k.id);
    expect(ids).toEqual([...ids].sort((a, b) => Number(a) - Number(b)));
    stores.splice(0).forEach((s) => s.close());
    const db = new Database(path);
    db.run("UPDATE chunks SET lines = x'0102'");
    db.close();
    expect(openStore(path).store.before("#a", 10)).toEqual([]);
  });

  test("a file from before the contentless index (schema 6): its lines are found by /search after the upgrade, and trimmed from the index", () => {
    const path = join(tempDir(), "h.sqlite");
    const db = new Database(path);
    migrate(db, path, KNOWN_MIGRATIONS.slice(0, 6));
    // A chunk as schema 6 wrote it: the row, then its text in the external-content index.
    const meta = (id: number) => JSON.stringify([[id, "public", "Sam", T0]]);
    for (const [id, text] of [[1, "deploy on friday"], [2, "lunch anyone"], [3, "deploy done"]] as const) {
      db.run("INSERT INTO chunks (id, room, last, count, ts, lines, text) VALUES (?, '#a', ?, 1, ?, ?, ?)", [id, id, T0, meta(id), text]);
    }
    db.run("INSERT INTO chunks_fts (rowid, text) SELECT id, text FROM chunks");
    db.close();
    const { store } = openStore(path, { linesPerRoom: 2, days: 0 });
    expect(texts(store.search(["#a"], query("deploy")))).toEqual(["deploy done", "deploy on friday"]); // newest first
    keepIn(store, say("#a", "Sam", "deploy again"));
    store.flush(); // the room is over its 2 lines: its oldest chunks go, from the index too
    expect(texts(store.search(["#a"], query("deploy")))).toEqual(["deploy again", "deploy done"]);
    stores.splice(0).forEach((s) => s.close());
    const after = new Database(path);
    expect(after.query("SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH '\"deploy\"' ORDER BY rowid").all()).toEqual([{ rowid: 3 }, { rowid: 4 }]);
    after.close();
  });

  test("a file of an older schema is brought up to date, its lines kept", () => {
    const path = join(tempDir(), "h.sqlite");
    keepIn(openStore(path).store, say("#a", "Sam", "from before"));
    stores.splice(0).forEach((s) => s.close());
    const db = new Database(path);
    expect(db.query<{ user_version: number }, []>("PRAGMA user_version").get()!.user_version).toBe(SCHEMA_VERSION);
    db.close();
    expect(texts(openStore(path).store.before("#a", 5))).toEqual(["from before"]);
  });

  test("writes that fail pause history once; lines wait in memory, and are written when writes work again", () => {
    const clock = fakeClock();
    let handle: Database | undefined;
    const path = join(tempDir(), "h.sqlite");
    const opened = openStore(path, { linesPerRoom: 1000, days: 0 }, { clock, onOpen: (db) => void (handle = db) });
    const { store } = opened;
    keepIn(store, say("#a", "Sam", "before"));
    store.flush();
    // A disk that is full: no page may be added.
    const pages = handle!.query<{ page_count: number }, []>("PRAGMA page_count").get()!.page_count;
    handle!.exec(`PRAGMA max_page_count = ${pages}`);
    const big = "x".repeat(3000);
    for (let i = 0; i < 5; i++) {
      keepIn(store, say("#a", "Sam", `${big} ${i}`));
      store.flush();
    }
    expect(opened.paused).toEqual(["the disk is full"]);
    expect(store.before("#a", 10)).toHaveLength(6); // still there, from memory
    clock.advance(RETRY_MS); // still full: still paused, said once
    expect(opened.paused).toHaveLength(1);
    expect(opened.resumed).toBe(0);
    handle!.exec("PRAGMA max_page_count = 1073741823");
    clock.advance(RETRY_MS);
    expect(opened.resumed).toBe(1);
    store.close();
    expect(texts(openStore(path).store.before("#a", 10))).toEqual(["before", ...[0, 1, 2, 3, 4].map((i) => `${big} ${i}`)]);
  });

  test("a burst of more lines than the backlog between two flushes loses none: they are written as they come", () => {
    const { store } = openStore(":memory:", { linesPerRoom: 100_000, days: 0 });
    const total = MAX_BACKLOG * 2 + 7;
    for (let i = 0; i < total; i++) keepIn(store, say("#a", "Sam", `l${i}`));
    const kept = store.before("#a", total);
    expect(kept).toHaveLength(total);
    expect(kept[0]!.event.text).toBe("l0");
    expect(kept[total - 1]!.event.text).toBe(`l${total - 1}`);
  });

  test("while paused, at most MAX_BACKLOG lines wait: the newest", () => {
    const clock = fakeClock();
    let handle: Database | undefined;
    const { store } = openStore(":memory:", { linesPerRoom: 100_000, days: 0 }, { clock, onOpen: (db) => void (handle = db) });
    handle!.exec("PRAGMA query_only = 1"); // every write fails
    for (let i = 0; i < MAX_BACKLOG + 5; i++) keepIn(store, say("#a", "Sam", `l${i}`));
    store.flush();
    const kept = store.before("#a", MAX_BACKLOG + 5);
    expect(kept).toHaveLength(MAX_BACKLOG);
    expect(kept[0]!.event.text).toBe("l5");
  });
});
