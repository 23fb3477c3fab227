// History in a real server process: what survives kill -9 under load, what a restart replays, and
// a history file that can't be used stopping the start with the reason.

import { describe, expect, test } from "bun:test";
import { DEFAULT_RETENTION } from "../../src/store/history.ts";
import { SqliteFile } from "../../src/store/sqlite/file.ts";
import { join } from "node:path";
import { run, serverDir, type Running } from "../helpers/binaries.ts";
import { Peer } from "../helpers/peer.ts";
import { until } from "../helpers/until.ts";
import { testRedis } from "../helpers/redis.ts";

const SERVER = join(import.meta.dir, "../../server.ts");

async function start(dir: string, args: string[] = []): Promise<{ server: Running; port: number }> {
  const server = run(process.execPath, [SERVER, "--host", "127.0.0.1", "--port", "0", "--flood-rate", "0", ...args], "server", {}, dir);
  const line = await server.out.next(/listening on 127\.0\.0\.1:\d+\b/, 10_000);
  return { server, port: Number(/127\.0\.0\.1:(\d+)/.exec(line)![1]) };
}

/**
 * Sam writes numbered lines in chunks for up to 2 s; once Ana has 1000 (Sam still writing), the
 * server is killed. Returns what Ana received up to the end of her connection: all of it must be kept.
 */
async function killUnderLoad(server: Running, sam: Peer, ana: Peer): Promise<string[]> {
  let sending = true;
  const writer = (async () => {
    for (let chunk = 0; sending && chunk < 400; chunk++) {
      sam.write(Array.from({ length: 50 }, (_, i) => `n ${chunk * 50 + i}\n`).join(""));
      await Bun.sleep(5);
    }
  })();
  const received = () => ana.log.lines.filter((l) => l.startsWith("Sam: n "));
  await until(() => received().length >= 1000, 10_000);
  server.proc.kill("SIGKILL");
  sending = false;
  await server.exited();
  await writer;
  await ana.log.closed();
  return received().map((l) => l.slice("Sam: ".length));
}

describe("history in a server process", () => {
  test("kill -9 under load: every line another user received is kept, in order, once; a restart replays them", async () => {
    const dir = serverDir();
    const { server, port } = await start(dir);
    const sam = await Peer.join(port, "Sam");
    const ana = await Peer.join(port, "Ana");
    const peers = [sam, ana];
    try {
      const seen = await killUnderLoad(server, sam, ana);

      const file = new SqliteFile({
        path: join(dir, "bunchat.sqlite"),
        retention: DEFAULT_RETENTION,
        status: { paused: () => {}, resumed: () => {} },
      }).history;
      const kept = file.before("#lobby", 100_000).map((k) => k.event.text);
      file.close();
      expect(kept.slice(0, seen.length)).toEqual(seen); // everything Ana saw, in order
      expect(new Set(kept).size).toBe(kept.length); // each once
      expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => `n ${i}`)); // nothing else, no gap

      const again = await start(dir, ["--history-on-join", "3"]);
      const bo = await Peer.join(again.port, "Bo");
      peers.push(bo);
      await bo.seen("--- 3 earlier lines in #lobby ---");
      await bo.next(new RegExp(`^\\[\\d\\d:\\d\\d\\] Sam: ${kept[kept.length - 3]}$`));
      again.server.proc.kill("SIGTERM");
      expect(await again.server.exited()).toBe(0);
    } finally {
      for (const p of peers) p.close();
    }
  });

  test("kill -9 of a cluster node under load: every line a user of that node received is in Redis's stream", async () => {
    const redis = await testRedis();
    const dir = serverDir();
    const { server, port } = await start(dir, ["--redis", redis.url, "--node-id", "killed"]);
    const sam = await Peer.join(port, "Sam");
    const ana = await Peer.join(port, "Ana");
    try {
      const seen = await killUnderLoad(server, sam, ana);
      const stream = (await redis.command("XRANGE", "bunchat:history:#lobby", "-", "+")) as [string, string[]][];
      const kept = stream.map(([, fields]) => (JSON.parse(fields[fields.indexOf("e") + 1]!) as { text: string }).text);
      expect(kept.slice(0, seen.length)).toEqual(seen); // everything Ana saw, in order
      expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => `n ${i}`)); // nothing else, no gap
    } finally {
      sam.close();
      ana.close();
    }
  }, 20_000);

  test("a history file that can't be used stops the start: exit 1 with the reason and the path", async () => {
    const dir = serverDir();
    const cases: [string[], RegExp][] = [
      [["--db", dir], new RegExp(`^bunchat-server: can't open the history file ${dir}: unable to open database file`)],
      [["--db", "server.ts"], /^bunchat-server: can't use the history file server\.ts: it is not a SQLite database/],
      [["--db", ""], /--db needs a file name, or none/],
      [["--history-on-join", "201"], /--history-on-join needs a whole number from 0 to 200/],
      [["--password-min", "0"], /--password-min needs a whole number from 1 to 128/],
      [["--password-memory", "5000"], /--password-memory needs a whole number from 1 to 4096/],
    ];
    for (const [args, message] of cases) {
      // server.ts as the "not SQLite" file: run from the repository.
      const s = run(process.execPath, [SERVER, "--port", "0", ...args], "server", {}, join(import.meta.dir, "../.."));
      expect(await s.exited(10_000)).toBe(args[1] === "" || args[0] !== "--db" ? 2 : 1);
      await s.err.seen(message);
    }
    const first = await start(dir);
    const second = run(process.execPath, [SERVER, "--port", "0"], "second", {}, dir);
    expect(await second.exited(10_000)).toBe(1);
    await second.err.seen(
      /^bunchat-server: can't use the history file bunchat\.sqlite: another bunchat-server is using it/,
    );
    first.server.proc.kill("SIGTERM");
    expect(await first.server.exited()).toBe(0);
  });
});
