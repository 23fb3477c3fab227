// History through real sockets: replay on joining, /history, /search, topics that outlive their
// room, private messages never kept, and chat going on when history can't be written.

import { afterEach, describe, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Retention } from "../../src/store/history.ts";
import { SqliteFile } from "../../src/store/sqlite/file.ts";
import { historyStatus } from "../../src/doors/server.ts";
import type { Hub } from "../../src/core/hub.ts";
import { type TestServer, testServer } from "../helpers/server.ts";
import { historyBehaviour } from "../store/history.case.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A store the server's log and users hear about, and the test can reach into. */
function store(options: { path?: string; retention?: Retention; onOpen?: (db: Database) => void; retryMs?: number } = {}) {
  const log: string[] = [];
  let hub: Hub | undefined;
  const history = new SqliteFile({
    path: options.path ?? ":memory:",
    retention: options.retention ?? { linesPerRoom: 1000, days: 0 },
    status: historyStatus(() => hub!, (l) => void log.push(l)),
    onOpen: options.onOpen,
    retryMs: options.retryMs,
  }).history;
  return { history, log, setHub: (h: Hub) => void (hub = h) };
}

async function historyServer(options: Parameters<typeof store>[0] & { replayOnJoin?: number; flood?: boolean } = {}) {
  const s = store(options);
  // Flood control off unless asked for: tests say many lines at once.
  const t = await testServer({ history: s.history, replayOnJoin: options.replayOnJoin, limits: options.flood ? {} : { linesPerSecond: 0 } });
  s.setHub(t.server.hub);
  return { ...t, storeLog: s.log, history: s.history };
}

historyBehaviour("bun:sqlite", async (replayOnJoin, flood) => (await historyServer({ replayOnJoin, flood })) as TestServer);

describe("history in a file", () => {
  test("a guest's private message is never written to the history file, its WAL, or the log (registered users': conversations.test.ts)", async () => {
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
