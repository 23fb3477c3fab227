// 1,000 clients joining at once: about 500,000 join notices go out, and the server must keep
// answering everyone else while it sends them. The crowd is raw sockets that only count lines,
// so the test process spends its time on the server, not on bookkeeping.

import { expect, test } from "bun:test";
import type { Socket } from "bun";
import { testServer } from "../helpers/server.ts";

const CROWD = 1000;
const NEWLINE = 10;

test("1,000 clients join at once: all get in, every join is announced, and a bystander's /ping is answered", async () => {
  const t = await testServer({ limits: { maxPerIp: 0, maxPerNet: 0, connectsPerSecond: 0 } });
  const watcher = await t.join("Watcher");
  const lines = new Array<number>(CROWD).fill(0);
  const sockets: Socket<number>[] = [];
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
              data: (s, chunk) => {
                for (const byte of chunk) if (byte === NEWLINE) lines[s.data]!++;
              },
            },
          }),
        );
      }),
    );
    // While the notices are still going out, the bystander is answered (within the default 3 s;
    // writing each notice to each socket separately took 6 s here, batching per turn 0.2 s).
    await watcher.ping();
    for (let i = 0; i < CROWD; i++) await watcher.seen(`--> crowd${i} joined the chat`, 30_000);
    expect(t.server.connections).toBe(CROWD + 1);
    // Every member of the crowd heard about everyone who joined after it: at least 499,500 notices.
    const deadline = Date.now() + 30_000;
    const joinsHeard = () => lines.reduce((sum, n) => sum + n, 0);
    while (joinsHeard() < (CROWD * (CROWD - 1)) / 2 && Date.now() < deadline) await Bun.sleep(50);
    expect(joinsHeard()).toBeGreaterThanOrEqual((CROWD * (CROWD - 1)) / 2);
    await watcher.ping();
  } finally {
    for (const s of sockets) s.terminate();
  }
}, 60_000);
