// The bundled client paces itself from the server's hello, and so never meets the server's flood
// control: not with lines piped in, and not with commands whose answers are long (the server
// charges their size to the asker's budget).

import { expect, test } from "bun:test";
import { run } from "../helpers/binaries.ts";
import { Peer } from "../helpers/peer.ts";
import { testServer } from "../helpers/server.ts";
import { quietCrowd } from "../helpers/crowd.ts";

test("/users asked 15 times from a pipe in a room of 100 away users: answered every time, never slowed by the server", async () => {
  const t = await testServer();
  quietCrowd(t.server.hub, 100, 3); // each answer is about 12 KB
  const watcher = await Peer.join(t.port, "Watcher");
  const bot = run(process.execPath, [`${import.meta.dir}/../../client.ts`, "--port", String(t.port), "--name", "Bot"]);
  for (let i = 0; i < 15; i++) bot.send("/users");
  bot.send("done");
  bot.endInput();
  await watcher.next("Bot: done", 20_000);
  expect(await bot.exited(10_000)).toBe(0);
  expect(bot.out.lines.filter((l) => /^(Online|In #lobby) \(102\)/.test(l))).toHaveLength(1 + 15); // the welcome, then each answer
  expect(bot.out.lines.filter((l) => l.startsWith("!"))).toEqual([]);
}, 40_000);
