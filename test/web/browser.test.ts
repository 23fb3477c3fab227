// The browser client in a real browser: Debian's Chromium, driven by playwright-core (no browser
// download). Pages chat with each other and with nc users, see history, show hostile text as text,
// switch rooms, reconnect after a restart, and fit a phone.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { loggedIn, logIn, memoryStore } from "../helpers/accounts.ts";
import { Peer } from "../helpers/peer.ts";
import { afterEachTest } from "../helpers/cleanup.ts";
import { TEST_PASSWORDS, testServer } from "../helpers/server.ts";
import { buildServer } from "../../src/app.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

let browser: Browser;
const pages: Page[] = [];

// A first launch on a loaded machine (CI runs the suite two files at a time) can take longer than a test's 5 s.
beforeAll(async () => {
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
}, 30_000);
afterAll(async () => {
  await browser?.close();
});
afterEachTest(async () => {
  for (const page of pages.splice(0)) await page.close();
});

/** A page of the web door at `port`, signed in as `name` once the chat shows. */
async function open(port: number, name: string, viewport = { width: 1100, height: 700 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  pages.push(page);
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.fill("#login-input", name);
  await page.press("#login-input", "Enter");
  await page.waitForSelector("#chat:not([hidden])", { timeout: 10_000 });
  return page;
}

/** A page signed in to the registered name `name` with its password (correct-horse), once the chat shows. */
async function signIn(port: number, name: string): Promise<Page> {
  const page = await browser.newPage();
  pages.push(page);
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.fill("#login-input", name);
  await page.press("#login-input", "Enter");
  await page.locator("#login-label", { hasText: `${name} is a registered name` }).waitFor();
  await page.fill("#login-input", "correct-horse");
  await page.press("#login-input", "Enter");
  await page.waitForSelector("#chat:not([hidden])", { timeout: 10_000 });
  return page;
}

async function say(page: Page, text: string): Promise<void> {
  await page.fill("#input", text);
  await page.press("#input", "Enter");
}

/** Waits until the lines shown hold `text`. */
async function shows(page: Page, text: string): Promise<void> {
  await page.locator("#lines .line", { hasText: text }).first().waitFor({ timeout: 10_000 });
}

describe("the browser client", () => {
  test("two pages chat with each other and with an nc user; Up recalls, Tab completes a name", async () => {
    const t = await testServer({ http: true, limits: { linesPerSecond: 0 } });
    const port = t.server.httpPort!;
    const sam = await t.join("Sam");
    const ana = await open(port, "Ana");
    const bo = await open(port, "Bo");
    await say(ana, "hello from Ana's browser");
    await shows(bo, "hello from Ana's browser");
    await sam.seen("Ana: hello from Ana's browser");
    sam.send("hi from nc");
    await shows(ana, "hi from nc");
    await shows(bo, "hi from nc");
    await say(bo, "/pm Ana psst");
    await ana.locator("#room-list button", { hasText: "@Bo" }).waitFor();
    await ana.locator("#room-list button", { hasText: "@Bo" }).click();
    await shows(ana, "psst");
    await ana.locator("#room-list button", { hasText: "#lobby" }).click();
    await ana.press("#input", "ArrowUp");
    expect(await ana.inputValue("#input")).toBe("hello from Ana's browser");
    await ana.fill("#input", "Sa");
    await ana.press("#input", "Tab");
    expect(await ana.inputValue("#input")).toBe("Sam: ");
    await expect(ana.locator("#people-list li").allTextContents()).resolves.toEqual(["Ana", "Bo", "Sam"]);
  }, 20_000);

  test("history shows on load, earlier lines when asked; a hostile line from nc is text: no element made, no script run", async () => {
    const file = memoryStore();
    const t = await testServer({ http: true, history: file.history, limits: { linesPerSecond: 0 } });
    const sam = await t.join("Sam");
    for (let i = 1; i <= 30; i++) sam.send(`old line ${i}`);
    sam.send("said before the page came");
    await sam.ping();
    const page = await open(t.server.httpPort!, "Ana");
    // The last 20 on opening; the rest when asked (scrolling up, or the button at the top).
    await shows(page, "old line 12");
    expect(await page.locator("#lines .line", { hasText: /old line 11$/ }).count()).toBe(0);
    await page.click("#lines .older");
    await page.locator("#lines .line", { hasText: /old line 1$/ }).waitFor({ timeout: 5000 });
    expect(await page.locator("#lines .older").count()).toBe(0); // nothing older is kept
    let dialogs = 0;
    page.on("dialog", (d) => {
      dialogs++;
      void d.dismiss();
    });
    await shows(page, "said before the page came");
    const hostile = "<img src=x onerror=alert(1)><script>alert(2)</script>";
    sam.send(hostile);
    await shows(page, "<img src=x onerror=alert(1)>");
    expect(await page.locator("#lines img, #lines script").count()).toBe(0);
    expect(await page.locator("#lines .line", { hasText: hostile }).count()).toBe(1);
    // Links: only http, https and mailto are links, opening in a new tab without a referrer; the
    // rest stays text. A host in another script is titled with where it really goes.
    sam.send("docs https://bunchat.example/guide, mail ops@example.com; not javascript:alert(3) nor https://google.com@evil.example nor data:text/html,x.y; https://аррӏе.com too");
    const line = page.locator("#lines .line", { hasText: "docs https://bunchat.example/guide" });
    await line.waitFor({ timeout: 5000 });
    const links = await line.locator("a").evaluateAll((as) => as.map((a) => ({ href: a.getAttribute("href"), text: a.textContent, target: a.getAttribute("target"), rel: a.getAttribute("rel"), title: a.getAttribute("title") })));
    expect(links).toEqual([
      { href: "https://bunchat.example/guide", text: "https://bunchat.example/guide", target: "_blank", rel: "noopener noreferrer", title: "https://bunchat.example/guide" },
      { href: "mailto:ops@example.com", text: "ops@example.com", target: "_blank", rel: "noopener noreferrer", title: "mailto:ops@example.com" },
      { href: "https://xn--80ak6aa92e.com/", text: "https://аррӏе.com", target: "_blank", rel: "noopener noreferrer", title: "https://xn--80ak6aa92e.com/" },
    ]);
    expect(await line.textContent()).toContain("not javascript:alert(3) nor https://google.com@evil.example nor data:text/html,x.y;");
    await page.waitForTimeout(200);
    expect(dialogs).toBe(0);
  }, 20_000);

  test("lines with identity: answer from a line's button (quoted), react from the picker, edit and delete your own, open a thread", async () => {
    const file = memoryStore();
    const t = await testServer({ http: true, history: file.history, limits: { linesPerSecond: 0 } });
    const port = t.server.httpPort!;
    const sam = await t.join("Sam");
    const ana = await open(port, "Ana");
    const bo = await open(port, "Bo");
    await say(ana, "the bild is green");
    await shows(bo, "the bild is green");
    // Bo answers Ana's line from its button: the answer shows the line it answers, on every page and on nc.
    const line = bo.locator("#lines .line", { hasText: "the bild is green" }).first();
    await line.hover();
    await line.locator("[data-action=reply]").click();
    await bo.locator("#compose-note:not([hidden])", { hasText: "Answering Ana: the bild is green" }).waitFor();
    await say(bo, "great news");
    await ana.locator("#lines .line", { hasText: "great news" }).locator(".quote", { hasText: "↪ Ana: the bild is green" }).waitFor({ timeout: 5000 });
    await sam.seen('Bo (re Ana "the bild is green"): great news');
    // Ana reacts from the picker: a chip with the count on both pages; again on the chip takes it back.
    const mine = ana.locator("#lines .line", { hasText: "the bild is green" }).first();
    await mine.hover();
    await mine.locator("[data-action=react]").click();
    await ana.locator(".picker button", { hasText: "🎉" }).click();
    await bo.locator("#lines .line .reaction", { hasText: "🎉 1" }).waitFor({ timeout: 5000 });
    await sam.seen(/^-- Ana reacted 🎉 to their line from \d\d:\d\d \("the bild is green"\)$/);
    // Ana edits her line: the new text on both pages, marked edited; history keeps only it.
    await mine.hover();
    await mine.locator("[data-action=edit]").click();
    expect(await ana.inputValue("#input")).toBe("the bild is green");
    await say(ana, "the build is green");
    await bo.locator("#lines .line", { hasText: "the build is green" }).locator(".edited").waitFor({ timeout: 5000 });
    await sam.seen(/^-- Ana edited their line from \d\d:\d\d: the build is green$/);
    // The thread: the line and its answer together.
    const edited = bo.locator("#lines .line", { hasText: "the build is green" }).first();
    await edited.hover();
    await edited.locator("[data-action=thread]").click();
    await bo.locator("#thread[open] #thread-lines .line", { hasText: "great news" }).waitFor({ timeout: 5000 });
    expect(await bo.locator("#thread-lines .line").count()).toBe(2);
    await bo.click("#thread-close");
    // Ana deletes her line: a marker where it was on Bo's page, its text gone.
    ana.on("dialog", (d) => void d.accept());
    const again = ana.locator("#lines .line", { hasText: "the build is green" }).first();
    await again.hover();
    await again.locator("[data-action=delete]").click();
    await bo.locator("#lines .line.deleted", { hasText: "(deleted)" }).waitFor({ timeout: 5000 });
    expect(await bo.locator("#lines .line", { hasText: "the build is green" }).count()).toBe(0);
    await sam.seen(/^-- Ana deleted their line from \d\d:\d\d\.$/);
  }, 20_000);

  test("a server password, then a registered name's password: asked in turn, a wrong one said, the right one lets in", async () => {
    const file = memoryStore();
    const t = await testServer({ http: true, history: file.history, accounts: file.accounts, password: "sesame" });
    const kim = await t.join("Kim");
    kim.send("/register correct-horse");
    await kim.seen(/^-- Kim is registered/);
    kim.send("quit");
    await kim.closed();
    const page = await browser.newPage();
    pages.push(page);
    await page.goto(`http://127.0.0.1:${t.server.httpPort}/`);
    await page.locator("#login-label", { hasText: "The server's password" }).waitFor();
    expect(await page.getAttribute("#login-input", "type")).toBe("password");
    await page.fill("#login-input", "sesame");
    await page.press("#login-input", "Enter");
    await page.locator("#login-label", { hasText: "Your name" }).waitFor();
    await page.fill("#login-input", "Kim");
    await page.press("#login-input", "Enter");
    await page.locator("#login-label", { hasText: "Kim is a registered name" }).waitFor();
    await page.fill("#login-input", "wrong-horse");
    await page.press("#login-input", "Enter");
    await page.locator("#login-error", { hasText: "Wrong password for Kim" }).waitFor();
    await page.fill("#login-input", "correct-horse");
    await page.press("#login-input", "Enter");
    await page.waitForSelector("#chat:not([hidden])", { timeout: 10_000 });
    const sam = await t.join("Sam");
    await shows(page, "Sam joined");
    sam.send("hi Kim");
    await page.locator("#lines .line.mention", { hasText: "hi Kim" }).waitFor(); // a mention, highlighted
  }, 20_000);

  test("rooms: joining one, unread counts for the others, switching back", async () => {
    const t = await testServer({ http: true, limits: { linesPerSecond: 0 } });
    const sam = await t.join("Sam");
    const page = await open(t.server.httpPort!, "Ana");
    await say(page, "/join #dev");
    await page.locator("#room-list button[aria-current=true]", { hasText: "#dev" }).waitFor();
    expect(await page.textContent("#view-name")).toBe("#dev");
    sam.send("news in the lobby");
    const lobby = page.locator("#room-list button", { hasText: "#lobby" });
    await lobby.locator(".badge", { hasText: "1" }).waitFor();
    await lobby.click();
    await shows(page, "news in the lobby");
    expect(await lobby.locator(".badge").count()).toBe(0);
    await say(page, "back in the lobby");
    await sam.seen("Ana: back in the lobby");
  }, 20_000);

  test("one account on the page and another device: one user; what one reads is read on the other; unread counts and a 'new since' line from the marker", async () => {
    const file = memoryStore();
    const t = await testServer({ http: true, history: file.history, accounts: file.accounts, markers: file.markers, limits: { linesPerSecond: 0 } });
    const kim = await loggedIn(t, "Kim", "json");
    kim.send("/join #dev");
    await kim.event("room");
    kim.send("/read #dev");
    await kim.event("marker");
    const sam = await t.join("Sam");
    sam.send("/join #dev");
    await sam.seen(/^--> You joined #dev/);
    await Bun.sleep(5); // the lines below come after the marker's millisecond
    for (const text of ["one for the page", "two, Kim?", "three"]) sam.send(text);
    await kim.event("public", (e) => e.text === "three");

    // The page signs in to Kim: the same user (Sam sees no new join), in both rooms, #dev counted unread.
    const page = await signIn(t.server.httpPort!, "Kim");
    const dev = page.locator("#room-list button", { hasText: "#dev" });
    await dev.locator(".badge.mention", { hasText: "3" }).waitFor(); // three unread, one of them mentions Kim
    expect(sam.log.lines.some((l) => l.includes("Kim joined"))).toBe(false);
    expect(t.server.hub.find("Kim")?.devices).toHaveLength(2);

    // Shown on the page: read there, and the other device is told; the lines after the marker have a "new since" line above them.
    await dev.click();
    await shows(page, "three");
    await kim.event("marker", (e) => e.target === "#dev" && e.elsewhere === true);
    await page.locator("#lines .new-since + .line", { hasText: "one for the page" }).waitFor();

    // Read on the other device: the page's count goes.
    sam.send("/join #lobby");
    sam.send("news in the lobby"); // the page shows #dev: the lobby counts it
    const lobby = page.locator("#room-list button", { hasText: "#lobby" });
    await lobby.locator(".badge", { hasText: "1" }).waitFor();
    await kim.event("public", (e) => e.text === "news in the lobby");
    kim.send("/read #lobby");
    await lobby.locator(".badge").waitFor({ state: "detached" });

    // A line from the page shows on the other device as Kim's.
    await say(page, "from the page");
    await kim.event("public", (e) => e.text === "from the page" && e.from === "Kim" && e.room === "#dev");
  }, 20_000);

  test("a private conversation kept while the page was closed: listed with its unread count on signing in, its lines shown; one's own line deleted from its button", async () => {
    const file = memoryStore();
    const t = await testServer({ http: true, history: file.history, accounts: file.accounts, markers: file.markers, limits: { linesPerSecond: 0 } });
    (await loggedIn(t, "Kim")).send("quit");
    const sam = await loggedIn(t, "Sam", "json");
    for (const text of ["are you in today, Kim?", "the deploy is at 3"]) {
      sam.send(`/pm Kim ${text}`);
      await sam.event("private-sent", (e) => e.text === text);
    }
    const page = await signIn(t.server.httpPort!, "Kim");
    const talk = page.locator("#room-list button", { hasText: "@Sam" });
    await talk.locator(".badge.mention", { hasText: "2" }).waitFor(); // two unread, one of them names Kim
    await talk.click();
    await shows(page, "the deploy is at 3");
    await shows(page, "are you in today, Kim?");
    await say(page, "yes, from noon");
    await sam.event("private", (e) => e.text === "yes, from noon" && e.from === "Kim");
    const mine = page.locator("#lines .line.mine", { hasText: "yes, from noon" }).first();
    await mine.hover();
    await mine.locator("[data-action=edit]").click();
    expect(await page.inputValue("#input")).toBe("yes, from noon");
    await say(page, "yes, from one");
    expect(await sam.event("edit")).toMatchObject({ room: "@Kim", text: "yes, from one" });
    await page.locator("#lines .line", { hasText: "yes, from one" }).locator(".edited").waitFor({ timeout: 5000 });
    page.on("dialog", (d) => void d.accept());
    const edited = page.locator("#lines .line.mine", { hasText: "yes, from one" }).first();
    await edited.hover();
    await edited.locator("[data-action=delete]").click();
    expect(await sam.event("delete")).toMatchObject({ room: "@Kim", by: "Kim" });
    await page.locator("#lines .line.deleted", { hasText: "(deleted)" }).waitFor({ timeout: 5000 });
    expect(await page.locator("#lines .line [data-action=reply]").count()).toBe(0); // private lines are edited and deleted, not answered
  }, 20_000);

  test("typing: the page shows who is typing in the room shown, and tells the others as its user types", async () => {
    const t = await testServer({ http: true, limits: { linesPerSecond: 0 } });
    const sam = await t.join("Sam", "json");
    const page = await open(t.server.httpPort!, "Kim");
    await sam.event("join", (e) => e.name === "Kim");
    sam.send("/typing");
    await page.locator("#typing", { hasText: "Sam is typing…" }).waitFor({ timeout: 5000 });
    sam.send("there you are");
    await page.locator("#typing").waitFor({ state: "hidden", timeout: 5000 }); // the line ended it
    await page.type("#input", "hel");
    expect(await sam.event("typing")).toMatchObject({ from: "Kim", state: "active", room: "#lobby" });
  }, 20_000);

  test("several lines: Shift+Enter starts another line, Enter sends them as one message; one from nc's neighbour is shown with its line breaks", async () => {
    const t = await testServer({ http: true, limits: { linesPerSecond: 0 } });
    const sam = await t.join("Sam", "json");
    const page = await open(t.server.httpPort!, "Kim");
    await sam.event("join", (e) => e.name === "Kim");
    await page.type("#input", "first line");
    await page.keyboard.press("Shift+Enter");
    await page.type("#input", "  second line");
    expect(await page.inputValue("#input")).toBe("first line\n  second line");
    await page.press("#input", "Enter");
    expect((await sam.event("public")).text).toBe("first line\n  second line");
    expect(await page.inputValue("#input")).toBe("");
    sam.send(JSON.stringify({ type: "line", text: "a\n    b" }));
    await shows(page, "a");
    // Shown with its break and its indentation: the text's own line break, kept by the line's style.
    const body = page.locator("#lines .line", { hasText: "b" }).last().locator(".body");
    expect(await body.evaluate((el) => el.textContent)).toContain("a\n    b");
    expect(await body.evaluate((el) => getComputedStyle(el).whiteSpace)).toBe("pre-wrap");
    const box = await body.boundingBox();
    expect(box!.height).toBeGreaterThan(30); // two rows, not one
  }, 20_000);

  test("formatting: bold, code, a code block with its language, a quote and a link made as elements; hostile Markdown makes nothing else and runs nothing", async () => {
    const t = await testServer({ http: true, limits: { linesPerSecond: 0 } });
    const sam = await t.join("Sam", "json");
    const page = await open(t.server.httpPort!, "Kim");
    let dialogs = 0;
    page.on("dialog", (d) => {
      dialogs++;
      void d.dismiss();
    });
    await sam.event("join", (e) => e.name === "Kim");
    sam.send(JSON.stringify({ type: "line", text: "**ship** it, `make all` then\n```sh\nls -l <b>x</b>\n```\n> they said\nsee [the docs](https://example.com/docs)" }));
    await shows(page, "they said");
    const text = page.locator("#lines .line .text").last();
    expect(await text.locator("strong").textContent()).toBe("ship");
    expect(await text.locator(":scope > code").textContent()).toBe("make all");
    expect(await text.locator("pre.code .lang").textContent()).toBe("sh");
    expect(await text.locator("pre.code code").textContent()).toBe("ls -l <b>x</b>");
    expect(await text.locator("blockquote").textContent()).toBe("they said");
    const link = text.locator("a");
    expect(await link.getAttribute("href")).toBe("https://example.com/docs");
    expect(await link.getAttribute("rel")).toBe("noopener noreferrer");
    expect(await text.locator("b").count()).toBe(0);
    // Hostile: markup, script links, an image that runs script, marks around them: text, not elements.
    const hostile = '**<img src=x onerror=alert(1)>** [click](javascript:alert(2)) [x](data:text/html,<script>alert(3)</script>) `<script>alert(4)</script>` _<svg onload=alert(5)>_ ~~<iframe src="javascript:alert(6)">~~';
    sam.send(hostile);
    await shows(page, "click");
    const bad = page.locator("#lines .line .text").last();
    expect(await bad.locator("img, svg, iframe, script").count()).toBe(0);
    expect(await bad.locator("a").count()).toBe(0); // neither javascript: nor data: is a link
    expect(await bad.locator("strong").textContent()).toBe("<img src=x onerror=alert(1)>");
    expect(await bad.locator("code").textContent()).toBe("<script>alert(4)</script>");
    expect(await bad.evaluate((el) => el.querySelectorAll("*").length)).toBe(4); // strong, code, em, s: what the marks asked for
    await Bun.sleep(200); // an onerror would have fired by now: the page had time to run anything it was tricked into making
    expect(dialogs).toBe(0);
  }, 20_000);

  test("files: shared from the file input and by a drop; an image shows inline and opens full size; a log is a download link; another page sees both", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bunchat-browser-files-"));
    try {
      const file = memoryStore();
      const t = await testServer({ http: true, history: file.history, accounts: file.accounts, limits: { linesPerSecond: 0 }, files: { dir } });
      const port = t.server.httpPort!;
      await loggedIn(t, "Ana"); // registered names share files
      await loggedIn(t, "Bo");
      const ana = await signIn(port, "Ana");
      const bo = await signIn(port, "Bo");
      const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=", "base64");
      await ana.setInputFiles("#file-input", { name: "shot.png", mimeType: "image/png", buffer: png });
      const image = bo.locator("#lines .line .file img.thumb").last();
      await image.waitFor({ timeout: 10_000 });
      expect(await image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1); // loaded: the key let it in
      const href = await bo.locator("#lines .line .file a").last().getAttribute("href");
      expect(href).toMatch(/^\/files\/[\w-]{22}\/shot\.png\?k=/);
      const full = await bo.request.get(`http://127.0.0.1:${port}${href}`);
      expect(full.headers()["content-type"]).toBe("image/png");
      // A drop on the lines: a log, shown as a link that downloads it.
      await bo.evaluate(() => {
        const data = new DataTransfer();
        data.items.add(new File(["line 1\nline 2\n"], "build.log", { type: "text/plain" }));
        const lines = document.getElementById("lines")!;
        lines.dispatchEvent(new DragEvent("dragover", { dataTransfer: data, bubbles: true, cancelable: true }));
        lines.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
      });
      const link = ana.locator("#lines .line .file a[download]", { hasText: "build.log" });
      await link.waitFor({ timeout: 10_000 });
      const download = await ana.request.get(`http://127.0.0.1:${port}${await link.getAttribute("href")}`);
      expect(await download.text()).toBe("line 1\nline 2\n");
      expect(download.headers()["content-disposition"]).toStartWith("attachment;");
      // A hostile name: markup and a right-to-left override, shown as text (cleaned), making nothing.
      let dialogs = 0;
      bo.on("dialog", (d) => {
        dialogs++;
        void d.dismiss();
      });
      await ana.setInputFiles("#file-input", { name: "<img src=x onerror=alert(1)>\u202egpj.exe", mimeType: "text/plain", buffer: Buffer.from("x") });
      const hostile = bo.locator("#lines .line .file a[download]").last();
      await bo.locator("#lines .line .file a[download]", { hasText: "onerror" }).waitFor({ timeout: 10_000 });
      expect(await hostile.textContent()).toBe("📎 <img src=x onerror=alert(1)>gpj.exe"); // the override is gone
      expect(await bo.locator("#lines img:not(.thumb)").count()).toBe(0);
      expect(dialogs).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  test("a reload stays signed in (the page's session, not a cookie); /logout signs out, and the next load asks again", async () => {
    const file = memoryStore();
    const t = await testServer({ http: true, history: file.history, accounts: file.accounts, sessions: file.sessions, limits: { linesPerSecond: 0 } });
    (await loggedIn(t, "Kim")).send("quit");
    const page = await signIn(t.server.httpPort!, "Kim");
    await page.waitForFunction(() => localStorage.getItem("bunchat-session") !== null);
    expect((await page.context().cookies()).length).toBe(0);
    await page.reload();
    await page.waitForSelector("#chat:not([hidden])", { timeout: 10_000 }); // no name, no password asked
    await say(page, "after the reload");
    await shows(page, "after the reload");
    await say(page, "/logout");
    await page.locator("#status", { hasText: "You left the chat" }).waitFor();
    expect(await page.evaluate(() => localStorage.getItem("bunchat-session"))).toBeNull();
    await page.reload();
    await page.locator("#login-label", { hasText: "Your name" }).waitFor();
  }, 20_000);

  test("a private room: a lock and a key beside its name, in the list and the heading, as its settings change", async () => {
    const t = await testServer({ http: true, limits: { linesPerSecond: 0 } });
    const page = await open(t.server.httpPort!, "Ana");
    await say(page, "/join #ops");
    const ops = page.locator("#room-list button", { hasText: "#ops" });
    await ops.waitFor();
    expect(await ops.locator(".marks").count()).toBe(0);
    await say(page, "/room invite-only on key s3cret");
    const marks = ops.locator(".marks");
    await marks.waitFor();
    expect(await marks.textContent()).toBe("\u{1F512}\u{1F511}");
    expect(await marks.getAttribute("aria-label")).toBe("invite-only, key s3cret");
    expect(await page.textContent("#view-name")).toBe("#ops\u{1F512}\u{1F511}");
    await say(page, "/room invite-only off key off");
    await page.waitForFunction(() => document.querySelectorAll("#room-list .marks").length === 0, undefined, { timeout: 5000 });
  }, 20_000);

  test("a server restart: the page reconnects by itself, signs in again and rejoins its rooms", async () => {
    const t = await testServer({ http: true, limits: { linesPerSecond: 0 } });
    const port = t.server.httpPort!;
    const page = await open(port, "Ana");
    await say(page, "/join #dev");
    await page.locator("#room-list button[aria-current=true]", { hasText: "#dev" }).waitFor();
    await t.server.shutdown();
    await page.locator("#status", { hasText: "disconnected" }).waitFor({ timeout: 5000 });
    const log: string[] = [];
    const again = await buildServer({ host: "127.0.0.1", port: 0, httpPort: port, log: (l) => void log.push(l), limits: { linesPerSecond: 0 }, passwords: TEST_PASSWORDS });
    try {
      await page.locator("#status", { hasText: "reconnected" }).waitFor({ timeout: 5000 });
      await page.locator("#room-list button[aria-current=true]", { hasText: "#dev" }).waitFor({ timeout: 5000 });
      const sam = await Peer.join(again.port, "Sam");
      sam.send("/join #dev");
      await sam.seen(/^In #dev \(2\): Ana, Sam/);
      await say(page, "still here");
      await sam.seen("Ana: still here");
      sam.close();
    } finally {
      await again.shutdown();
    }
  }, 20_000);

  test("a restart after the page's session was signed out elsewhere: it signs in again with the password it holds, and is given a new session", async () => {
    const file = memoryStore();
    const stores = { history: file.history, accounts: file.accounts, sessions: file.sessions, markers: file.markers };
    const t = await testServer({ http: true, ...stores, limits: { linesPerSecond: 0 } });
    (await loggedIn(t, "Kim")).send("quit");
    const port = t.server.httpPort!;
    const page = await signIn(port, "Kim");
    const first = await page.evaluate(() => localStorage.getItem("bunchat-session"));
    expect(first).not.toBeNull();
    const other = await logIn(t, "Kim", "json");
    other.send("/logout all");
    await other.event("notice", (e) => e.text.startsWith("Every page session"));
    await t.server.shutdown();
    await page.locator("#status", { hasText: "disconnected" }).waitFor({ timeout: 5000 });
    const again = await buildServer({ host: "127.0.0.1", port: 0, httpPort: port, log: () => {}, limits: { linesPerSecond: 0 }, passwords: TEST_PASSWORDS, ...stores });
    try {
      await page.waitForFunction((old) => { const now = localStorage.getItem("bunchat-session"); return now !== null && now !== old; }, first, { timeout: 8000 });
      await say(page, "back with the password");
      await shows(page, "back with the password");
    } finally {
      await again.shutdown();
    }
  }, 20_000);

  test("a phone-sized screen (375 px): nothing wider than the screen, rooms and people behind buttons", async () => {
    const t = await testServer({ http: true });
    await t.join("Sam");
    const page = await open(t.server.httpPort!, "Ana", { width: 375, height: 667 });
    await say(page, "a line long enough to wrap on a small screen, with a-very-long-word-that-has-no-spaces-in-it-at-all");
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    expect(await page.isVisible("#input")).toBe(true);
    expect(await page.isVisible("#rooms")).toBe(false);
    await page.click("#rooms-toggle");
    expect(await page.isVisible("#rooms")).toBe(true);
    await page.locator("#room-list button", { hasText: "#lobby" }).click();
    expect(await page.isVisible("#rooms")).toBe(false);
    await page.click("#people-toggle");
    await expect(page.locator("#people-list li").allTextContents()).resolves.toEqual(["Ana", "Sam"]);
  }, 20_000);
});
