// The README's pictures of the browser client: a server on a free loopback port, a few users (one
// on nc, one a bot through the HTTP API) and a page in Debian's Chromium, saved as
// docs/screenshot.png (answers quoting the line they answer, reactions, unread counts and the
// "new since" line of a registered user back after a while) and docs/thread.png (a line's thread).
// Run: bun scripts/screenshot.ts (needs /usr/bin/chromium; no network).

import { chromium } from "playwright-core";
import { buildServer } from "../src/app.ts";
import { DEFAULT_RETENTION } from "../src/store/history.ts";
import { newToken } from "../src/session/secrets.ts";

const server = await buildServer({
  host: "127.0.0.1",
  port: 0,
  httpPort: 0,
  log: () => {},
  sqlite: { path: ":memory:", retention: DEFAULT_RETENTION },
  limits: { linesPerSecond: 0 },
});
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  /** A line client on the server's TCP port: its lines, sent in order, with a pause between them. */
  const nc = async (lines: string[]) => {
    const socket = await Bun.connect({ hostname: "127.0.0.1", port: server.port, socket: { data() {} } });
    for (const line of lines) {
      socket.write(`${line}\n`);
      await Bun.sleep(60);
    }
    return socket;
  };
  // Ana registered yesterday, stays on (always on), and read #dev and #ops before she left.
  const ana = await nc(["Ana", "/register correct-horse", "/always-on on", "/join #ops", "/join #dev", "/topic Friday's release: 2.4", "/read #ops", "/read #dev", "quit"]);
  await Bun.sleep(200);
  ana.end();
  const sam = await nc(["Sam", "/join #dev", "morning! the staging deploy is green", "/join #ops", "the pager rotation moves to Kim on Monday", "Ana, can you hand over the runbook?", "/join #lobby"]);
  const page = await browser.newPage({ viewport: { width: 1000, height: 560 }, deviceScaleFactor: 1 });
  await page.goto(`http://127.0.0.1:${server.httpPort}/`);
  await page.fill("#login-input", "Ana");
  await page.press("#login-input", "Enter");
  await page.waitForSelector("#login-label:has-text('registered name')");
  await page.fill("#login-input", "correct-horse");
  await page.press("#login-input", "Enter");
  await page.waitForSelector("#chat:not([hidden])");
  await Bun.sleep(300);
  await page.locator("#room-list button", { hasText: "#dev" }).click();
  await Bun.sleep(300);
  const bo = await nc(["Bo", "/join #dev", "/me grabs a coffee", "Ana: can you look at the flaky test before noon?"]);
  // A CI job's line, as a bot through the HTTP API (its token made here as /token new ci would).
  const ci = newToken("ci", "Sam", Date.now());
  server.hub.accounts!.put("cl", { name: "ci", hash: "", created: Date.now(), bot: true });
  server.hub.tokens!.put(ci.record);
  await fetch(`http://127.0.0.1:${server.httpPort}/api/rooms/dev/messages`, {
    method: "POST",
    headers: { authorization: `Bearer ${ci.text}` },
    body: JSON.stringify({ text: "build #812 passed: 880 tests, 0 failed" }),
  });
  // Ana answers Bo's question from its button; the others react to the build and to her answer.
  const question = page.locator("#lines .line", { hasText: "flaky test" }).first();
  await question.hover();
  await question.locator("[data-action=reply]").click();
  await page.fill("#input", "sure, on it after standup");
  await page.press("#input", "Enter");
  sam.write("/join #dev\n/react @ci :tada:\n/answer @Bo it fails on the ARM runner only\n/react @Ana :+1:\n");
  await Bun.sleep(300);
  bo.write("/react @ci :rocket:\n/react @ci :tada:\n/join #lobby\nlunch at 12:30?\n");
  await Bun.sleep(600);
  await page.mouse.move(0, 0);
  await page.screenshot({ path: `${import.meta.dir}/../docs/screenshot.png` });
  await question.hover();
  await question.locator("[data-action=thread]").click();
  await page.waitForSelector("#thread[open]");
  await page.mouse.move(0, 0);
  await page.screenshot({ path: `${import.meta.dir}/../docs/thread.png` });
  sam.end();
  bo.end();
  console.log("docs/screenshot.png and docs/thread.png written");
} finally {
  await browser.close();
  await server.shutdown();
  server.hub.history!.close();
}
