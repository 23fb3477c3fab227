// The README's pictures of the browser client: a server on a free loopback port, a few users (one
// on nc, one a bot through the HTTP API) and a page in Debian's Chromium, saved as
// docs/screenshot.png (answers quoting the line they answer, reactions, unread counts and the
// "new since" line of a registered user back after a while, a shared image and a code block) and
// docs/thread.png (a line's thread).
// Run: bun scripts/screenshot.ts (needs /usr/bin/chromium; no network).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { buildServer } from "../src/app.ts";
import { DEFAULT_RETENTION } from "../src/store/history.ts";
import { newToken } from "../src/session/secrets.ts";

const filesDir = mkdtempSync(join(tmpdir(), "bunchat-screenshot-"));
const server = await buildServer({
  host: "127.0.0.1",
  port: 0,
  httpPort: 0,
  log: () => {},
  sqlite: { path: ":memory:", retention: DEFAULT_RETENTION },
  limits: { linesPerSecond: 0 },
  files: { dir: filesDir },
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
  const page = await browser.newPage({ viewport: { width: 1000, height: 760 }, deviceScaleFactor: 1 });
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
  // The build's chart, as a CI job would share it: an image drawn here and uploaded (curl -F file=@…).
  const chart = await browser.newPage({ viewport: { width: 320, height: 150 } });
  await chart.setContent(`<body style="margin:0;background:#fff;font:13px sans-serif"><div style="padding:10px">test time per suite (s)</div>${[["api", 210], ["store", 150], ["web", 260], ["irc", 120]].map(([n, w]) => `<div style="display:flex;align-items:center;margin:4px 10px"><span style="width:44px">${n}</span><span style="background:#4a8;height:16px;width:${w}px"></span></div>`).join("")}</body>`);
  const png = await chart.screenshot();
  await chart.close();
  const form = new FormData();
  form.append("file", new Blob([new Uint8Array(png)]), "suite-times.png");
  form.append("text", "build #812: where the time goes");
  await fetch(`http://127.0.0.1:${server.httpPort}/api/rooms/dev/files`, { method: "POST", headers: { authorization: `Bearer ${ci.text}` }, body: form });
  // Kim (the page, or the terminal client) pastes the flaky test: a message of several lines with a code block.
  const kim = await nc(['{"type":"hello","proto":1}', "Kim", "/join #dev", JSON.stringify({ type: "line", text: "the flaky one, **only on ARM**:\n```ts\ntest(\"drains the queue\", async () => {\n  await until(() => queue.size === 0, 500);\n});\n```" })]);
  await Bun.sleep(300);
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
  kim.end();
  console.log("docs/screenshot.png and docs/thread.png written");
} finally {
  await browser.close();
  await server.shutdown();
  server.hub.history!.close();
  rmSync(filesDir, { recursive: true, force: true });
}
