// 1,000 clients joining at once. Announced one by one that is about 500,000 join notices; gathered
// into batches ("--> 312 joined the chat: …") it is a few lines per member, and the server keeps
// answering everyone else meanwhile. The crowd is raw sockets that only add up what they are told,
// so the test process spends its time on the server, not on bookkeeping.

import { expect, test } from "bun:test";
import type { Socket } from "bun";
import { testServer } from "../helpers/server.ts";

const CROWD = 1000;

/** What one member of the crowd has been told: who was online when it came, and joins since. */
interface Heard {
  partial: string;
  online: number;
  joined: number;
  joinLines: number;
}

function hear(h: Heard, text: string): void {
  const lines = (h.partial + text).split("\n");
  h.partial = lines.pop()!;
  for (const line of lines) {
    const online = /^Online \((\d+)\)/.exec(line);
    const many = /^--> (\d+) joined the chat: /.exec(line);
    if (online) h.online = Number(online[1]);
    else if (many) h.joined += Number(many[1]);
    else if (/^--> \S+ joined the chat$/.test(line)) h.joined++;
    else continue;
    if (!online) h.joinLines++;
  }
}

test("1,000 clients join at once: all get in, every join is counted by everyone, in a few lines each, and a bystander's /ping is answered", async () => {
  const t = await testServer({ limits: { maxPerIp: 0, maxPerNet: 0, connectsPerSecond: 0 } });
  const watcher = await t.join("Watcher");
  const heard: Heard[] = Array.from({ length: CROWD }, () => ({ partial: "", online: 0, joined: 0, joinLines: 0 }));
  const sockets: Socket<number>[] = [];
  const decoder = new TextDecoder();
  try {
    await Promise.all(
      Array.from({ length: CROWD }, async (_, i) => {
        sockets.push(
          await Bun.connect<number>({
            hostname: "127.0.0.1",
            port: t.port,
            socket: {
              open: (s) => {
                s.data = i;
                s.write(`crowd${i}\n`);
              },
              data: (s, chunk) => hear(heard[s.data]!, decoder.decode(chunk)),
            },
          }),
        );
      }),
    );
    // While the notices are still going out, the bystander is answered (within the default 3 s).
    await watcher.ping();
    expect(t.server.connections).toBe(CROWD + 1);
    // Everyone ends up with the same count of who is online: those in its welcome, plus the joins
    // it was told about since (each name shown or counted once).
    const deadline = Date.now() + 30_000;
    const settled = () => heard.every((h) => h.online + h.joined === CROWD + 1);
    while (!settled() && Date.now() < deadline) await Bun.sleep(50);
    expect(heard.filter((h) => h.online + h.joined !== CROWD + 1)).toEqual([]);
    // Told in batches: one notice per join would be 500 lines each on average.
    const lines = heard.reduce((sum, h) => sum + h.joinLines, 0) / CROWD;
    expect(lines).toBeLessThan(50);
    await watcher.ping();
  } finally {
    for (const s of sockets) s.terminate();
  }
}, 60_000);
