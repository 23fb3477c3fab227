// A deleted line's text is gone from disk: the SQLite file, its WAL and the journal beside it (a
// server that deleted it through /delete), and a dump of Redis (a cluster's history). Each file is
// read before the delete too, so that the test shows it would find the text if it were there.

import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cluster } from "../../src/cluster/cluster.ts";
import { Hub } from "../../src/core/hub.ts";
import { DEFAULT_RETENTION } from "../../src/store/history.ts";
import { RedisHistory } from "../../src/store/redis/history.ts";
import { SqliteFile } from "../../src/store/sqlite/file.ts";
import { afterEachTest } from "../helpers/cleanup.ts";
import { keepIn } from "../helpers/kept.ts";
import { testRedis } from "../helpers/redis.ts";
import { FAST_NODE, testServer } from "../helpers/server.ts";
import { settleBy } from "../store/stores.case.ts";
import { until } from "../helpers/until.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "bunchat-delete-"));
  dirs.push(dir);
  return dir;
};

/** Whether any of `files` holds `text` (as UTF-8 bytes), anywhere in it. */
function onDisk(files: string[], text: string): boolean {
  const needle = Buffer.from(text);
  return files.some((f) => existsSync(f) && readFileSync(f).includes(needle));
}

// A line with a word nothing else has (the search index keeps words one by one) and a phrase.
const SECRET = "the db password is Zq7hunter2xylophone do not share";
const WORD = "Zq7hunter2xylophone";

describe("a deleted line's text is on no disk", () => {
  test("SQLite: the file, its WAL and the journal hold it before /delete, and neither the phrase nor its word after", async () => {
    const dir = tempDir();
    const path = join(dir, "bunchat.sqlite");
    const file = new SqliteFile({ path, retention: DEFAULT_RETENTION, status: { paused: () => {}, resumed: () => {} } });
    const t = await testServer({ history: file.history, accounts: file.accounts, bans: file.bans, roomStore: file.roomStore, limits: { linesPerSecond: 0 } });
    const files = [path, `${path}-wal`, `${path}-kept`];
    const [sam, ana] = [await t.join("Sam"), await t.join("Ana")];
    for (let i = 0; i < 30; i++) sam.send(`an ordinary line ${i}`);
    sam.send(SECRET);
    for (let i = 0; i < 30; i++) ana.send(`after it ${i}`);
    await ana.ping();
    file.history.flush();
    expect(onDisk(files, SECRET)).toBe(true);
    expect(onDisk(files, WORD.toLowerCase())).toBe(true); // in the search index
    sam.send("/delete"); // Sam's last line
    await ana.seen(/^-- Sam deleted their line from \d\d:\d\d\.$/);
    // Its words leave the search index in a few short steps, then the WAL is emptied.
    await file.history.purged();
    expect(onDisk(files, SECRET)).toBe(false);
    // The index keeps words in lower case, each on its own (the phrase is never in it whole).
    for (const word of [WORD, WORD.toLowerCase(), "xylophone"]) expect(onDisk(files, word)).toBe(false);
    // The lines around it are still there, and searchable.
    ana.send("/search ordinary");
    await ana.seen(/^-- 20 lines have "ordinary"/);
    ana.send(`/search ${WORD}`);
    await ana.seen(`-- No line in your rooms or conversations has "${WORD}".`);
  });

  test("Redis: a dump holds it before it is removed, and not after (the stream is written afresh without it)", async () => {
    const dir = tempDir();
    const redis = await testRedis(["--dir", dir, "--dbfilename", "dump.rdb", "--rdbcompression", "no"]);
    const cluster = await Cluster.connect({ url: redis.url, nodeId: "delete", log: () => {}, ...FAST_NODE });
    const history = new RedisHistory(cluster, DEFAULT_RETENTION);
    await cluster.join(new Hub({ clustered: true, bus: cluster, history }));
    afterEachTest(() => cluster.stop());
    for (let i = 0; i < 150; i++) keepIn(history, { type: "public", room: "#dev", from: "Ana", text: `before ${i}`, ts: i });
    const secret = keepIn(history, { type: "public", room: "#dev", from: "Sam", text: SECRET, ts: 200 });
    for (let i = 0; i < 150; i++) keepIn(history, { type: "public", room: "#dev", from: "Ana", text: `after ${i}`, ts: 300 + i });
    await settleBy(history)("#dev", 301);
    const dump = join(dir, "dump.rdb");
    await redis.command("SAVE");
    expect(onDisk([dump], SECRET)).toBe(true);
    expect((await history.remove("#dev", secret.id))?.event.text).toBe(SECRET);
    await redis.command("SAVE");
    await until(() => !onDisk([dump], SECRET), 2000);
    expect(onDisk([dump], WORD)).toBe(false);
    expect((await history.recent("#dev", 301)).map((k) => k.event.text)).toHaveLength(300);
  });
});
