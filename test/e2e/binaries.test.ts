// The compiled binaries, as a user runs them: the client through a pipe, nc as a raw socket,
// the server stopped with SIGTERM.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Binaries, buildBinaries, removeBinaries, type Running, run, runServer, serverDir } from "../helpers/binaries.ts";
import { join } from "node:path";
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { COMMANDS } from "../../src/protocol/commands.ts";
import { compile, RELEASE_TARGETS } from "../../scripts/build.ts";
import { LOAD_TEST_LIFTS } from "../../src/flags.ts";
import { Peer } from "../helpers/peer.ts";
import { WsPeer } from "../helpers/web.ts";
import { testTls } from "../helpers/server.ts";
import { hasTmux, Terminal } from "../helpers/tmux.ts";

let bins: Binaries;

/** Sam types quit in the client: Kim sees Sam leave; then the server stops. */
async function samQuits(term: Terminal, kim: Peer, server: Running): Promise<void> {
  term.type("quit", true);
  await kim.event("leave", (e) => e.name === "Sam");
  kim.close();
  server.proc.kill("SIGTERM");
  await server.exited();
}
beforeAll(async () => {
  bins = await buildBinaries();
}, 60_000);
afterAll(() => removeBinaries(bins));

const joined = (name: string) => `Joined as ${name}.`;

/** A server, Sam in a terminal (no timestamps), and Eliya over plain TCP who joined after him. */
async function samWithEliya(): Promise<{ server: Running; term: Terminal; eliya: Peer }> {
  const { server, port } = await runServer(bins);
  const term = Terminal.start([bins.client, "--port", String(port), "--name", "Sam", "--no-timestamps"]);
  await term.waitForLine(/^Joined as Sam\.$/);
  return { server, term, eliya: await Peer.join(port, "Eliya") };
}

/** Sam joins in a terminal, then his server stops (SIGTERM): the caller starts the next one on `port`. */
async function samThenRestart(): Promise<{ port: number; term: Terminal }> {
  const first = await runServer(bins);
  const term = Terminal.start([bins.client, "--port", String(first.port), "--name", "Sam", "--no-timestamps"]);
  await term.waitForLine(/^Joined as Sam\.$/);
  first.server.proc.kill("SIGTERM");
  await first.server.exited();
  return { port: first.port, term };
}

/** The end of an interactive test: Sam types quit, the watcher sees him go, the server stops. */
async function quitAndStop(term: Terminal, watcher: Peer, server: Running): Promise<void> {
  term.type("quit", true);
  await watcher.next("<-- Sam left the chat (quit)");
  watcher.close();
  server.proc.kill("SIGTERM");
  await server.exited();
}

describe("compiled binaries", () => {
  test("the server binary serves the browser client and its WebSocket from inside itself, run in an empty directory", async () => {
    const { server } = await runServer(bins, ["--http-port", "0", "--db", "none"]);
    const line = await server.out.next(/web door on http:\/\/127\.0\.0\.1:\d+\/ \(the page weighs [\d.]+ KiB, [\d.]+ KiB gzipped\)/);
    const port = Number(/:(\d+)\//.exec(line)![1]);
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    const script = /src="(\/app\.[a-z0-9]+\.js)"/.exec(await page.text())![1];
    const js = await fetch(`http://127.0.0.1:${port}${script}`);
    expect(js.status).toBe(200);
    expect(await js.text()).toContain("WebSocket");
    const ana = await WsPeer.join(port, "Ana");
    ana.send("hello from a page");
    await server.out.next(/ \[Broadcast message from Ana\] hello from a page$/);
    server.proc.kill("SIGTERM");
    await server.exited();
  });

  test("the README's example session: five users, one of them on nc", async () => {
    const { server, port } = await runServer(bins);
    const client = (name: string) => run(bins.client, ["--port", String(port), "--name", name], name);
    const users = { Sam: client("Sam"), Eliya: client("Eliya"), Ana: client("Ana"), Bo: client("Bo") };
    for (const [name, u] of Object.entries(users)) await u.out.next(joined(name));
    const dee = await Peer.join(port, "Dee"); // the nc user

    users.Sam.send("Hi everyone, Sam here!");
    for (const name of ["Eliya", "Ana", "Bo"] as const) await users[name].out.next("Sam: Hi everyone, Sam here!");
    await dee.next("Sam: Hi everyone, Sam here!");
    await server.out.next(/ \[Broadcast message from Sam\] Hi everyone, Sam here!$/);

    users.Eliya.send("/pm Sam Hello!");
    await users.Sam.out.next("[pm from Eliya] Hello!");
    await users.Eliya.out.next("[pm to Sam] Hello!");
    await server.out.next(/ \[Private message from Eliya to Sam\]$/);

    users.Sam.send("quit");
    await users.Sam.out.next("Goodbye, Sam!");
    expect(await users.Sam.exited()).toBe(0);
    for (const name of ["Eliya", "Ana", "Bo"] as const) await users[name].out.next("<-- Sam left the chat (quit)");
    await dee.next("<-- Sam left the chat (quit)");

    // Only Sam saw the private message; no one saw their own public line echoed.
    for (const name of ["Ana", "Bo"] as const) expect(users[name].out.all(/Hello!/)).toEqual([]);
    expect(dee.log.all(/Hello!/)).toEqual([]);
    expect(users.Sam.out.all(/^Sam: /)).toEqual([]);
    // Piped output is plain: no colour codes.
    expect(users.Eliya.out.lines.join("\n")).not.toContain("\u001b");

    server.proc.kill("SIGTERM");
    expect(await server.exited()).toBe(0);
    dee.close();
  }, 30_000);

  test("piped input: each line is sent, and the client exits 0 at end of input once it is delivered", async () => {
    const { server, port } = await runServer(bins);
    const watcher = await Peer.join(port, "Watcher");
    const bot = run(bins.client, ["--port", String(port), "--name", "cronbot"], "cronbot");
    bot.send("first line");
    bot.send("second line");
    bot.endInput();
    expect(await bot.exited()).toBe(0);
    await watcher.next("cronbot: first line");
    await watcher.next("cronbot: second line");
    await watcher.next("<-- cronbot left the chat (quit)");
    watcher.close();
    server.proc.kill("SIGTERM");
    expect(await server.exited()).toBe(0);
  }, 20_000);

  test("30 lines piped in (cat notes.txt | bunchat): paced by the client, so the server never has to slow it", async () => {
    // A budget of 5 lines at once, then 20 a second: 30 lines are paced for a second and a quarter.
    const { server, port } = await runServer(bins, ["--flood-burst", "5", "--flood-rate", "20"]);
    const watcher = await Peer.join(port, "Watcher");
    const bot = run(bins.client, ["--port", String(port), "--name", "Bot"], "Bot");
    for (let i = 0; i < 30; i++) bot.send(`note ${i}`);
    bot.endInput();
    expect(await bot.exited(15_000)).toBe(0);
    await watcher.next("<-- Bot left the chat (quit)", 10_000);
    expect(watcher.log.all(/^Bot: /)).toEqual(Array.from({ length: 30 }, (_, i) => `Bot: note ${i}`));
    expect(bot.out.lines.filter((l) => /sending faster|slow/.test(l))).toEqual([]);
    watcher.close();
    server.proc.kill("SIGTERM");
    expect(await server.exited()).toBe(0);
  }, 30_000);

  test("without --name the first piped line is the username", async () => {
    const { server, port } = await runServer(bins);
    const watcher = await Peer.join(port, "Watcher");
    const c = run(bins.client, ["--port", String(port)], "anon");
    c.send("Piper");
    c.send("hello");
    c.endInput();
    expect(await c.exited()).toBe(0);
    await watcher.next("Piper: hello");
    watcher.close();
    server.proc.kill("SIGTERM");
    await server.exited();
  }, 20_000);

  test.each(["SIGTERM", "SIGINT"] as const)(
    "%s: clients get the shutdown notice, the server exits 0, the client says so and exits 1",
    async (signal) => {
      const { server, port } = await runServer(bins);
      const sam = run(bins.client, ["--port", String(port), "--name", "Sam"], "Sam");
      await sam.out.next(joined("Sam"));
      const dee = await Peer.join(port, "Dee");
      server.proc.kill(signal);
      expect(await server.exited()).toBe(0);
      await server.out.next(new RegExp(`${signal} received$`));
      await dee.next("!! The server is shutting down. Goodbye!");
      await dee.closed();
      await sam.out.next("!! The server is shutting down. Goodbye!");
      await sam.out.next("The server has shut down.");
      expect(await sam.exited()).toBe(1);
    },
    20_000,
  );

  test.each([
    ["one SIGTERM: the readers get the notice and the server exits 0 once the grace period cuts the stuck one off", 1],
    ["a second SIGTERM: the server stops waiting for the stuck reader and exits at once", 2],
  ] as const)(
    "100 clients, one not reading: %s",
    async (_, signals) => {
      // A large outbox cap keeps the stuck reader connected with megabytes waiting for it.
      const lifted = [...LOAD_TEST_LIFTS, "--flood-rate", "0", "--max-outbox", "65536"];
      const { server, port } = await runServer(bins, lifted);
      const peers = await Promise.all(Array.from({ length: 99 }, (_, i) => Peer.join(port, `u${i}`)));
      const stuck = await Peer.join(port, "Stuck");
      stuck.pause();
      const pm = `/pm Stuck ${"x".repeat(4000)}`;
      for (let i = 0; i < 2000; i++) peers[0]!.send(pm); // 8 MB: more than the kernel buffers hold
      await peers[0]!.ping();
      const started = performance.now();
      server.proc.kill("SIGTERM");
      if (signals === 2) {
        await server.out.next(/ SIGTERM received$/);
        server.proc.kill("SIGTERM");
        expect(await server.exited()).toBe(1);
        expect(performance.now() - started).toBeLessThan(2500); // the grace period is 3 s
      } else {
        expect(await server.exited(8000)).toBe(0);
        await server.out.next(/ stopped$/);
        expect(performance.now() - started).toBeGreaterThan(2500); // it did wait for the stuck reader
      }
      for (const p of peers.slice(1)) await p.seen("!! The server is shutting down. Goodbye!");
      for (const p of [...peers, stuck]) p.close();
    },
    30_000,
  );

  test("a bundled client stopped with kill -STOP is pinged, dropped, and its leave announced once", async () => {
    const { server, port } = await runServer(bins, ["--ping-interval", "1"]);
    const watcher = await Peer.join(port, "Watcher");
    const sam = run(bins.client, ["--port", String(port), "--name", "Sam"], "Sam");
    await watcher.next("--> Sam joined the chat");
    sam.proc.kill("SIGSTOP");
    await watcher.next("<-- Sam left the chat (timed out)", 10_000);
    await server.out.next(/! Sam: ping-timeout/);
    sam.proc.kill("SIGCONT");
    // Woken up, it reads why the server closed, and says nothing more.
    await sam.out.next(/^! Nothing heard from you in \d+ s; closing the connection\.$/);
    expect(await sam.exited()).toBe(1);
    expect(sam.out.all("Connection to the server lost.")).toEqual([]);
    await watcher.ping();
    expect(watcher.log.all(/Sam left/)).toHaveLength(1);
    watcher.close();
    server.proc.kill("SIGTERM");
    await server.exited();
  }, 20_000);

  test("a server frozen (SIGSTOP) past the registration deadline reads the name that waited before judging", async () => {
    const { server, port } = await runServer(bins, ["--register-timeout", "1"]);
    const early = await Peer.connect(port, "text", "early");
    await early.next("Enter your username:");
    const late = await Peer.connect(port, "text", "late"); // sends nothing: the deadline is for it
    server.proc.kill("SIGSTOP");
    early.send("Sam"); // at about 0.1 s, well within the deadline; the server is asleep
    await Bun.sleep(2500);
    server.proc.kill("SIGCONT");
    await early.next(/^Hi Sam, you are in\./);
    await late.next("! No username chosen within 1 s; closing the connection.", 5000);
    await early.ping();
    expect(early.log.all(/No username chosen/)).toEqual([]);
    early.close();
    server.proc.kill("SIGTERM");
    await server.exited();
  }, 20_000);

  test("a password from BUNCHAT_PASSWORD lets the client in; a wrong one is explained, exit 1", async () => {
    const env = { BUNCHAT_PASSWORD: "correct horse" };
    const { server, port } = await runServer(bins, [], env);
    expect(server.out.all(/listening on .*\(plain TCP, password required, history in bunchat\.sqlite\)$/)).toHaveLength(1);
    const sam = run(bins.client, ["--port", String(port), "--name", "Sam"], "Sam", env);
    await sam.out.next(joined("Sam"));
    const eve = run(bins.client, ["--port", String(port), "--name", "Eve"], "Eve", { BUNCHAT_PASSWORD: "guess" });
    expect(await eve.exited()).toBe(1);
    await eve.out.next(/^! Wrong password/);
    const none = run(bins.client, ["--port", String(port), "--name", "Nora"], "none");
    expect(await none.exited()).toBe(1);
    await none.err.next("bunchat: the server needs a password; set BUNCHAT_PASSWORD");
    expect(server.out.lines.join("\n")).not.toContain("correct horse");
    sam.send("quit");
    expect(await sam.exited()).toBe(0);
    server.proc.kill("SIGTERM");
    await server.exited();
  }, 20_000);

  test.skipIf(!hasTmux)(
    "interactive: asks for a name, explains a refusal and asks again; messages print above the half-typed line",
    async () => {
      const { server, port } = await runServer(bins);
      const term = Terminal.start([bins.client, "--port", String(port)]);
      await term.waitForLine(/^Enter your username:\s*$/); // tmux trims trailing spaces
      term.type("server", true);
      await term.waitForLine(/^! The name "server" is reserved/);
      await term.waitFor((l) => l.filter((x) => x.startsWith("Enter your username:")).length === 2, "a second prompt");
      term.type("Sam", true);
      await term.waitForLine(/^Joined as Sam\.$/);
      await term.waitForLine(/^#lobby>\s*$/);

      const eliya = await Peer.join(port, "Eliya");
      term.type("half a li");
      await term.waitForLine(/^#lobby> half a li$/);
      eliya.send("hello Sam");
      eliya.send("/pm Sam psst");
      // The prompt is redrawn just after each line is printed: wait for both.
      const screen = await term.waitFor(
        (l) =>
          l.some((x) => /\[pm from Eliya\] psst$/.test(x)) && l.at(l.findLastIndex((x) => x !== "")) === "#lobby> half a li",
        "the pm, then the prompt with the half line",
      );
      // The incoming lines are above the prompt, and the typed text is still on it.
      const prompt = screen.findLastIndex((l) => l.startsWith("#lobby> "));
      expect(screen[prompt]).toBe("#lobby> half a li");
      expect(screen.findIndex((l) => /\] Eliya: hello Sam$/.test(l))).toBeLessThan(prompt);
      expect(screen.findIndex((l) => /\[pm from Eliya\] psst$/.test(l))).toBeLessThan(prompt);

      term.type("ne", true); // finish the line and send it
      await eliya.next("Sam: half a line");
      await quitAndStop(term, eliya, server);
    },
    30_000,
  );

  test.skipIf(!hasTmux)(
    "interactive: Tab completes a name who joined later, Up recalls a line, /me reads as an action",
    async () => {
      const { server, term, eliya } = await samWithEliya(); // after us: known from the join event
      await term.waitForLine(/^--> Eliya joined the chat$/);
      term.type("El");
      term.key("Tab");
      await term.waitForLine(/^#lobby> Eliya: $|^#lobby> Eliya:$/);
      term.type("hi", true);
      await eliya.next("Sam: Eliya: hi");
      term.type("/pm E");
      term.key("Tab");
      await term.waitForLine(/^#lobby> \/pm Eliya ?$/); // completed before more is typed (a loaded machine is slow to draw it)
      term.type("psst", true);
      await eliya.next("[pm from Sam] psst");
      term.key("Up");
      await term.waitForLine(/^#lobby> \/pm Eliya psst$/);
      term.key("C-u");
      eliya.send("/me waves");
      await term.waitForLine(/^\* Eliya waves$/);
      await quitAndStop(term, eliya, server);
    },
    30_000,
  );

  test.skipIf(!hasTmux)(
    "interactive: who is typing in the room shows in the prompt until their line comes; typing a line tells the others",
    async () => {
      const { server, port } = await runServer(bins);
      const term = Terminal.start([bins.client, "--port", String(port), "--name", "Sam", "--no-timestamps"]);
      await term.waitForLine(/^Joined as Sam\.$/);
      const kim = await Peer.join(port, "Kim", "json");
      kim.send("/typing");
      await term.waitForLine(/^#lobby \(Kim typing\)> ?$/);
      kim.send("here I am");
      await term.waitForLine(/^Kim: here I am$/);
      await term.waitForLine(/^#lobby> ?$/); // the line came: no longer typing
      term.type("hel");
      expect(await kim.event("typing")).toMatchObject({ from: "Sam", state: "active", room: "#lobby" });
      term.key("C-u");
      await samQuits(term, kim, server);
    },
    30_000,
  );

  test.skipIf(!hasTmux)(
    "interactive: a paste of several lines waits for Enter and goes as one message (with what is added to its last line); Ctrl-C drops one; a message of several lines is shown under one prefix",
    async () => {
      const { server, port } = await runServer(bins);
      const term = Terminal.start([bins.client, "--port", String(port), "--name", "Sam", "--no-timestamps"]);
      await term.waitForLine(/^Joined as Sam\.$/);
      const kim = await Peer.join(port, "Kim", "json");
      term.paste("Traceback:\n  File x.py\n  boom");
      await term.waitForLine(/^-- 3 lines pasted: Enter sends them as one message/);
      await term.waitForLine(/^#lobby \[\+2 pasted\]> {3}boom$/);
      term.type(" (again)", true);
      expect((await kim.event("public")).text).toBe("Traceback:\n  File x.py\n  boom (again)");
      term.paste("dropped\nlines");
      await term.waitForLine(/^#lobby \[\+1 pasted\]> lines$/);
      term.key("C-c");
      await term.waitForLine(/^-- The pasted lines were dropped\.$/);
      await term.waitForLine(/^#lobby> ?$/);
      kim.send(JSON.stringify({ type: "line", text: "one\n  two" }));
      await term.waitForLine(/^Kim: one$/);
      await term.waitForLine(/^ {7}two$/);
      term.type("quit", true);
      await kim.event("leave", (e) => e.name === "Sam");
      expect(kim.log.lines.filter((l) => l.includes("dropped"))).toEqual([]);
      kim.close();
      server.proc.kill("SIGTERM");
      await server.exited();
    },
    30_000,
  );

  test.skipIf(!hasTmux)(
    "interactive: /upload <path> shares a file through the web door; the line shows it with a link that works for this client",
    async () => {
      const cwd = serverDir();
      const { server, port } = await runServer(bins, ["--http-port", "0"], {}, cwd);
      const log = join(cwd, "build.log");
      writeFileSync(log, "step 1 ok\nstep 2 failed\n");
      const term = Terminal.start([bins.client, "--port", String(port), "--name", "Sam", "--no-timestamps"]);
      await term.waitForLine(/^Joined as Sam\.$/);
      term.type("/register correct-horse", true); // files are shared by registered names
      await term.waitForLine(/Sam is registered/);
      const kim = await Peer.join(port, "Kim", "json");
      term.type(`/upload ${log}`, true);
      const line = await kim.event("public", (e) => e.file !== undefined);
      expect(line).toMatchObject({ from: "Sam", text: "build.log", file: { name: "build.log", size: 24, type: "application/octet-stream" } });
      const shown = await term.waitForLine(/^Sam: build\.log \[📎 24 B: http:\/\/127\.0\.0\.1:\d+\/files\//);
      // Its link (the screen wraps it at 80 columns) reads the file back for this client.
      const text = shown.join("\n");
      const at = text.indexOf("Sam: build.log");
      const url = /http:\/\/[^\]]+/.exec(text.slice(at).replace(/\n/g, ""))![0];
      expect(await (await fetch(url)).text()).toBe("step 1 ok\nstep 2 failed\n");
      expect(existsSync(join(cwd, "bunchat-files"))).toBe(true); // beside the history file, by default
      await samQuits(term, kim, server);
    },
    30_000,
  );

  test.skipIf(!hasTmux)(
    "interactive: Alt+Up picks a line (shown in the prompt), text answers it, /react and /edit act on it, Esc lets go",
    async () => {
      const { server, term, eliya } = await samWithEliya();
      eliya.send("the bild is green");
      await term.waitForLine(/^Eliya: the bild is green$/);
      eliya.send("second line");
      await term.waitForLine(/^Eliya: second line$/);
      term.key("M-Up");
      await term.waitForLine(/^↩ Eliya: second line >/);
      term.key("M-Up");
      await term.waitForLine(/^↩ Eliya: the bild is green >/);
      term.type("great news", true);
      await eliya.next('Sam (re Eliya "the bild is green"): great news');
      await term.waitForLine(/^#lobby>/); // answered: nothing picked now
      term.key("M-Up");
      term.key("M-Up");
      term.key("M-Up"); // past our own answer and "second line"
      await term.waitForLine(/^↩ Eliya: the bild is green >/);
      term.type("/react :tada:", true);
      await eliya.next(/^-- Sam reacted 🎉 to Eliya's line from \d\d:\d\d \("the bild is green"\)$/);
      term.key("M-Up"); // our own answer, back from the server with its id
      await term.waitForLine(/^↩ Sam: great news >/);
      term.type("/edit great news indeed", true);
      await eliya.next(/^-- Sam edited their line from \d\d:\d\d: great news indeed$/);
      term.key("M-Up");
      await term.waitForLine(/^↩ /);
      term.key("Escape");
      await term.waitForLine(/^#lobby>/);
      await quitAndStop(term, eliya, server);
    },
    30_000,
  );

  test.skipIf(!hasTmux)(
    "interactive: Tab cycles through matches, Ctrl-C clears a half line, /me shows as an action, a password is masked, an over-long line is not sent",
    async () => {
      const { server, term, eliya } = await samWithEliya();
      term.type("/wh");
      term.key("Tab");
      await term.waitForLine(/^#lobby> \/who ?$/);
      term.key("Tab");
      await term.waitForLine(/^#lobby> \/whois ?$/);
      term.key("C-c"); // a half-typed line: cleared, still here
      await term.waitForLine(/^#lobby>$/);
      term.type("/me waves", true);
      await eliya.next("* Sam waves");
      await term.waitForLine(/^\* Sam waves$/);
      term.type("/register secret-horse", true);
      await term.waitForLine(/^-- Sam is registered/);
      expect(term.screen().join("\n")).not.toContain("secret-horse");
      expect(term.screen()).toContain("#lobby> /register ••••••••");
      term.key("Up"); // the password is not in the history either
      await term.waitForLine(/^#lobby> \/me waves$/);
      term.key("C-u");
      term.type("y".repeat(4100), true);
      await term.waitFor((l) => l.join("").includes("! That line is 4100 bytes, over the server's 4096: it was not sent"), "the refusal");
      eliya.send("/ping after");
      await eliya.next("pong after");
      expect(eliya.log.all(/yyyy/)).toEqual([]);
      await quitAndStop(term, eliya, server);
    },
    30_000,
  );

  test.skipIf(!hasTmux)(
    "interactive rooms: the prompt shows the current room, Tab completes #rooms, other rooms' lines say which",
    async () => {
      const { server, term, eliya } = await samWithEliya();
      eliya.send("/join #design");
      await eliya.next(/^In #design/);
      term.type("/rooms", true); // heard of now: Tab can complete it
      await term.waitForLine(/^ {2}#design +1 user/);
      term.type("/join #de");
      term.key("Tab");
      await term.waitForLine(/^#lobby> \/join #design ?$/);
      term.key("Enter");
      await term.waitForLine(/^#design> $|^#design>$/);
      await eliya.next("--> Sam joined #design");
      eliya.send("in design");
      await term.waitForLine(/^Eliya: in design$/);
      eliya.send("/join #lobby");
      eliya.send("in the lobby");
      await term.waitForLine(/^\[#lobby\] Eliya: in the lobby$/);
      term.type("/part", true);
      await term.waitForLine(/^<-- You left #design; your lines go to #lobby now\.$/);
      await term.waitForLine(/^#lobby> $|^#lobby>$/);
      await quitAndStop(term, eliya, server);
    },
    30_000,
  );

  test.skipIf(!hasTmux)(
    "interactive: a half-typed line of wide characters (CJK, emoji) stays intact while messages arrive",
    async () => {
      const { server, term, eliya } = await samWithEliya();
      term.type("你好世界 👋 ");
      await term.waitForLine(/^#lobby> 你好世界 👋/);
      eliya.send("こんにちは Sam");
      eliya.send("x".repeat(100)); // wraps on an 80-column screen
      const screen = await term.waitFor(
        (l) =>
          l.some((x) => x.startsWith("Eliya: xxx")) && /^#lobby> 你好世界/.test(l.at(l.findLastIndex((x) => x !== "")) ?? ""),
        "the long line, then the prompt",
      );
      const prompt = screen.findLastIndex((l) => l.startsWith("#lobby> "));
      expect(screen[prompt]).toMatch(/^#lobby> 你好世界 👋\s*$/);
      expect(screen.findIndex((l) => l === "Eliya: こんにちは Sam")).toBeLessThan(prompt);
      term.type("and more", true);
      await eliya.next("Sam: 你好世界 👋 and more");
      await quitAndStop(term, eliya, server);
    },
    30_000,
  );

  test.skipIf(!hasTmux)(
    "interactive: a message padded with spaces wraps indented under its text, so it can't fake a line from Alice",
    async () => {
      const { server, term, eliya } = await samWithEliya();
      // On 80 columns, "Eliya: hi" and 71 spaces fill the first row; unindented, the rest would
      // start the next row as if Alice had said it.
      eliya.send(`hi${" ".repeat(71)}Alice: I quit, bye all`);
      const screen = await term.waitForLine(/Alice: I quit, bye all$/);
      const row = screen.find((l) => l.endsWith("Alice: I quit, bye all"))!;
      expect(row).toBe(`${" ".repeat("Eliya: ".length)}Alice: I quit, bye all`);
      expect(screen.filter((l) => l.startsWith("Alice:"))).toEqual([]);
      await quitAndStop(term, eliya, server);
    },
    30_000,
  );

  test.skipIf(!hasTmux)(
    "interactive: a typed line that wraps over two rows is redrawn whole below incoming messages, wherever the cursor is",
    async () => {
      const { server, term, eliya } = await samWithEliya();
      const typed = `${"a".repeat(90)}${"b".repeat(20)}`; // 118 columns with the prompt "#lobby> ": two rows
      term.type(typed);
      await term.waitForLine(/b{20}$/);
      eliya.send("message one");
      eliya.send("message two");
      await term.waitForLine(/^Eliya: message two$/);
      term.key("C-a"); // the cursor to the first row
      eliya.send("message three");
      const screen = await term.waitFor(
        (l) =>
          l.includes("Eliya: message three") &&
          l.at(l.findLastIndex((x) => x !== "")) === `${"a".repeat(18)}${"b".repeat(20)}`,
        "message three, then the prompt",
      );
      const first = screen.findIndex((l) => l === "Eliya: message one");
      expect(screen.slice(first, first + 5)).toEqual([
        "Eliya: message one",
        "Eliya: message two",
        "Eliya: message three",
        `#lobby> ${"a".repeat(72)}`,
        `${"a".repeat(18)}${"b".repeat(20)}`,
      ]);
      expect(screen.filter((l) => l.startsWith("#lobby> a")).length).toBe(1); // no leftover rows
      term.key("End");
      term.type("!", true);
      await eliya.next(`Sam: ${typed}!`);
      await quitAndStop(term, eliya, server);
    },
    30_000,
  );

  test.skipIf(!hasTmux)(
    "interactive, in colour: a line that mentions me is highlighted, names are coloured",
    async () => {
      const { server, port } = await runServer(bins);
      const term = Terminal.start([bins.client, "--port", String(port), "--name", "Sam"], true);
      const quiet = Terminal.start([bins.client, "--port", String(port), "--name", "Kim", "--no-bell"], true);
      await term.waitForLine(/Joined as/);
      await quiet.waitForLine(/Joined as/);
      const ana = await Peer.join(port, "Ana");
      ana.send("nothing for anyone yet");
      await term.waitForLine(/nothing for anyone yet/);
      expect(term.rang()).toBe(false);
      ana.send("sam and kim: lunch?");
      await quiet.waitForLine(/sam and kim: lunch\?/);
      await term.waitForLine(/sam and kim: lunch\?/);
      expect(term.rang()).toBe(true); // a mention rings the bell…
      expect(quiet.rang()).toBe(false); // …unless --no-bell
      ana.send("lunch, sam?");
      ana.send("nothing for you");
      const lines = await term.waitFor((l) => l.some((x) => x.includes("nothing for you")), "both lines");
      const escaped = term.screen(true);
      const mention = escaped.find((l) => l.includes("lunch, sam?"))!;
      const other = escaped.find((l) => l.includes("nothing for you"))!;
      expect(mention).toContain("\u001b[7m"); // inverse video
      expect(other).not.toContain("\u001b[7m");
      expect(other).toMatch(/\u001b\[[0-9;]*9[0-7]m/); // a bright colour for the name
      expect(lines.join("\n")).toContain("Ana: lunch, sam?");
      await quitAndStop(term, ana, server);
    },
    30_000,
  );

  test.skipIf(!hasTmux)(
    "interactive: after the server restarts on the same port the client reconnects with its name; lines typed meanwhile are refused with a notice",
    async () => {
      const { port, term } = await samThenRestart();
      await term.waitForLine(/^The server has shut down\.$/);
      await term.waitForLine(/^Reconnecting in \d+ s… \(Ctrl-C to leave\)$/);
      term.type("anyone there?", true);
      await term.waitForLine(/^! Not connected, so that line was not sent \(Up brings it back\)\.$/);
      term.type("half typed");
      await term.waitForLine(/^\(offline\) > half typed$/); // the prompt stays, marked, with what is typed
      term.key("C-u");
      const second = await runServer(bins, ["--port", String(port)]);
      const watcher = await Peer.join(port, "Watcher");
      await term.waitForLine(/^Back in the chat as Sam\.$/, 20_000); // backoff: 1, 2, 4 s… with jitter
      await term.waitForLine(/^Online \(2\): Sam, Watcher$/); // who is here now
      await watcher.next("--> Sam joined the chat");
      term.type("back again", true);
      await watcher.next("Sam: back again");
      expect(watcher.log.all(/anyone there/)).toEqual([]);
      await quitAndStop(term, watcher, second.server);
    },
    40_000,
  );

  test.skipIf(!hasTmux)(
    "interactive: back after a restart, the client is shown every line said while it was away, once (more than a join replays)",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "bunchat-resume-"));
      try {
        const db = ["--db", join(dir, "h.sqlite"), "--history-on-join", "2"];
        const first = await runServer(bins, db);
        const term = Terminal.start([bins.client, "--port", String(first.port), "--name", "Sam", "--no-timestamps"]);
        await term.waitForLine(/^Joined as Sam\.$/);
        const ana = await Peer.join(first.port, "Ana");
        ana.send("before the restart");
        await term.waitForLine(/^Ana: before the restart$/);
        ana.close();
        first.server.proc.kill("SIGTERM");
        await first.server.exited();
        await term.waitForLine(/^Reconnecting in \d+ s… \(Ctrl-C to leave\)$/);
        const second = await runServer(bins, [...db, "--port", String(first.port)]);
        const watcher = await Peer.join(first.port, "Watcher");
        for (let i = 1; i <= 5; i++) watcher.send(`while away ${i}`);
        await watcher.ping();
        await term.waitForLine(/^Back in the chat as Sam\.$/, 20_000);
        // The join replays the last 2; the client asks for what came after the line it had: all 5, each once.
        await term.waitForLine(/Watcher: while away 1$/, 10_000);
        await term.waitForLine(/Watcher: while away 5$/);
        await Bun.sleep(300);
        const screen = term.screen();
        const away = screen.filter((l) => /Watcher: while away \d$/.test(l));
        expect(away.map((l) => l.slice(-1))).toEqual(["1", "2", "3", "4", "5"]); // each once, in order
        expect(screen.filter((l) => l.endsWith("Ana: before the restart"))).toHaveLength(1);
        await quitAndStop(term, watcher, second.server);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    40_000,
  );

  test.skipIf(!hasTmux)(
    "interactive: back after a restart, the client is in its rooms again, the current one current",
    async () => {
      const first = await runServer(bins);
      const term = Terminal.start([bins.client, "--port", String(first.port), "--name", "Sam", "--no-timestamps"]);
      await term.waitForLine(/^Joined as Sam\.$/);
      term.type("/join #ops", true);
      term.type("/join #dev", true);
      await term.waitForLine(/^#dev> $|^#dev>$/);
      first.server.proc.kill("SIGTERM");
      await first.server.exited();
      await term.waitForLine(/^Reconnecting in \d+ s… \(Ctrl-C to leave\)$/);
      const second = await runServer(bins, ["--port", String(first.port)]);
      const watcher = await Peer.join(first.port, "Watcher");
      watcher.send("/join #dev");
      await watcher.next(/^In #dev/);
      await term.waitForLine(/^Back in the chat as Sam\.$/, 20_000);
      await watcher.next("--> Sam joined the chat", 5000);
      await term.waitForLine(/^#dev> $|^#dev>$/);
      term.type("still in dev", true);
      await watcher.next("Sam: still in dev");
      watcher.send("/rooms");
      await watcher.next(/^ {2}#ops +1 user/);
      await quitAndStop(term, watcher, second.server);
    },
    40_000,
  );

  test.skipIf(!hasTmux)(
    "interactive: a server that comes back speaking TLS stops the client with the reason, not endless retries",
    async () => {
      const { port, term } = await samThenRestart();
      const fixture = (file: string) => `${import.meta.dir}/../fixtures/tls/${file}`;
      const second = await runServer(bins, [
        ...["--port", String(port), "--tls-cert", fixture("server.pem"), "--tls-key", fixture("server.key")],
      ]);
      await term.waitForLine(/^! 127\.0\.0\.1:\d+ speaks TLS: connect with --tls\.$/, 20_000);
      await Bun.sleep(1500); // it would have said "Reconnecting in 1 s" again by now
      const screen = term.screen();
      const told = screen.findIndex((l) => l.includes("speaks TLS"));
      expect(screen.slice(told + 1).filter((l) => /Reconnecting|Connection to the server lost/.test(l))).toEqual([]);
      expect(second.server.out.all(/TLS handshake failed/)).toHaveLength(1);
      second.server.proc.kill("SIGTERM");
      await second.server.exited();
    },
    40_000,
  );

  test.skipIf(!hasTmux)(
    "interactive: left at the name prompt past the server's deadline, the client keeps the prompt and what is typed",
    async () => {
      const { server, port } = await runServer(bins, ["--register-timeout", "1"]);
      const term = Terminal.start([bins.client, "--port", String(port), "--no-timestamps"]);
      await term.waitForLine(/^Enter your username:\s*$/);
      term.type("Sa");
      await Bun.sleep(2500); // past the deadline: the server closed that connection
      await server.out.next(/registration-timeout/);
      term.type("m", true);
      await term.waitForLine(/^Joined as Sam\.$/, 10_000);
      const screen = term.screen().join("\n");
      expect(screen).not.toContain("No username chosen");
      expect(screen).not.toContain("Connection to the server lost.");
      const watcher = await Peer.join(port, "Watcher");
      await quitAndStop(term, watcher, server);
    },
    30_000,
  );

  test.skipIf(!hasTmux)(
    "interactive: a wrong password is explained and asked again, then the right one lets the user in",
    async () => {
      const { server, port } = await runServer(bins, [], { BUNCHAT_PASSWORD: "correct horse" });
      const term = Terminal.start([bins.client, "--port", String(port), "--name", "Sam", "--no-timestamps"]);
      await term.waitForLine(/^Password:\s*$/);
      term.type("wrong", true);
      await term.waitForLine(/^! Wrong password; closing the connection\.$/);
      await term.waitFor((l) => l.filter((x) => /^Password:/.test(x)).length === 2, "a second password prompt");
      term.type("correct horse", true);
      await term.waitForLine(/^Joined as Sam\.$/);
      const screen = term.screen().join("\n");
      expect(screen).not.toContain("Connection to the server lost.");
      expect(screen).not.toContain("correct horse");
      const watcher = await Peer.join(port, "Watcher", "text", { password: "correct horse" });
      await quitAndStop(term, watcher, server);
    },
    30_000,
  );

  test.skipIf(!hasTmux)(
    "interactive: when its name was taken while it was away, the client says so and asks for another",
    async () => {
      const { port, term } = await samThenRestart();
      const second = await runServer(bins, ["--port", String(port)]);
      const impostor = await Peer.join(port, "Sam");
      await term.waitForLine(/^! The name "Sam" is taken by Sam\.$/, 20_000);
      await term.waitForLine(/^Enter your username:/);
      term.type("Sam2", true);
      await term.waitForLine(/^Back in the chat as Sam2\.$/);
      await impostor.next("--> Sam2 joined the chat");
      term.type("quit", true);
      await impostor.next("<-- Sam2 left the chat (quit)");
      impostor.close();
      second.server.proc.kill("SIGTERM");
      await second.server.exited();
    },
    40_000,
  );

  test("a refused name in pipe mode is explained and the client exits 1", async () => {
    const { server, port } = await runServer(bins);
    const sam = await Peer.join(port, "Sam");
    const c = run(bins.client, ["--port", String(port), "--name", "SAM"], "c");
    await c.out.next('! The name "SAM" is taken by Sam.');
    await c.err.next(/the server refused that username/);
    expect(await c.exited()).toBe(1);
    sam.close();
    server.proc.kill("SIGTERM");
    await server.exited();
  }, 20_000);

  test.each([
    ["", "--name: A username can't be empty."],
    ["Server", '--name: The name "Server" is reserved: it could be mistaken for the server or for everyone.'],
    ["a b", `--name: A username may contain only letters A-Z, digits, "_" and "-"; it can't contain spaces.`],
  ])("--name %p is refused before connecting, with the reason (exit 2)", async (name, reason) => {
    const c = run(bins.client, ["--port", "1", "--name", name], "c");
    expect(await c.exited()).toBe(2);
    await c.err.next(`bunchat: ${reason}`);
  });

  test("the client says when the server is unreachable and exits 1", async () => {
    const { server, port } = await runServer(bins);
    server.proc.kill("SIGTERM");
    await server.exited();
    const c = run(bins.client, ["--port", String(port), "--name", "Sam"], "c");
    expect(await c.exited()).toBe(1);
    await c.err.next(/can't connect to 127\.0\.0\.1:\d+: connection refused/);
  }, 20_000);

  test("the client says when the connection is lost and exits 1", async () => {
    const { server, port } = await runServer(bins);
    const c = run(bins.client, ["--port", String(port), "--name", "Sam"], "c");
    await c.out.next(joined("Sam"));
    server.proc.kill("SIGKILL");
    await server.exited();
    await c.out.next("Connection to the server lost.");
    expect(await c.exited()).toBe(1);
  }, 20_000);

  test.each([
    ["server", ["--help"], 0, /^Usage: bunchat-server \[--host <address>\] \[--port <port>\] \[limits\]$/],
    ["server", ["--version"], 0, /^bunchat-server \d+\.\d+\.\d+$/],
    [
      "client",
      ["--help"],
      0,
      /^Usage: bunchat \[--host <address>\] \[--port <port>\] \[--name <username>\] \[--tls \[--ca <file>\] \[--insecure\]\]$/,
    ],
    ["client", ["-v"], 0, /^bunchat \d+\.\d+\.\d+$/],
  ] as const)("%s %p", async (which, args, code, line) => {
    const p = run(which === "server" ? bins.server : bins.client, [...args]);
    expect(await p.exited()).toBe(code);
    await p.out.next(line);
  });

  test("client --help shows every flag, every command and an example of each", async () => {
    const p = run(bins.client, ["--help"]);
    expect(await p.exited()).toBe(0);
    await p.out.next(/^Examples:$/);
    const help = p.out.lines.join("\n");
    for (const flag of ["--host", "--port", "--name", "--tls", "--ca", "--insecure", "--no-timestamps", "--no-bell"]) {
      expect(help).toContain(`  ${flag}`);
    }
    for (const c of COMMANDS) {
      expect(help).toContain(c.usage);
      expect(help).toContain(c.example);
    }
    // The keys' rows line up with the commands' (one column for what each does).
    const column = (row: string) => /^ {2}.*?\S {2,}/.exec(row)?.[0].length;
    const rows = p.out.lines.filter((l) => /^ {2}(\/whois <name>|Ctrl-C|Ctrl-D|Tab|Up, Down) /.test(l));
    expect(rows).toHaveLength(5);
    expect(new Set(rows.map(column)).size).toBe(1);
  });

  test("server --help: every door in its header, no empty defaults", async () => {
    const p = run(bins.server, ["--help"]);
    expect(await p.exited()).toBe(0);
    await p.out.next(/^Examples:$/);
    const help = p.out.lines.join("\n");
    expect(help).toContain("IRC clients");
    expect(help).toContain("a browser");
    expect(help).not.toContain("(default (");
  });

  test.each([
    ["server", ["--port", "70000"], /--port needs a number from 0 to 65535/],
    ["server", ["--nope"], /Unknown option '--nope'/],
    ["server", ["--max-outbox", "0"], /--max-outbox needs a whole number of at least 1, not "0"/],
    ["server", ["--register-timeout", "soon"], /--register-timeout needs a whole number of at least 1/],
    ["client", ["--port", "abc"], /--port needs a number from 1 to 65535/],
    ["client", ["stray"], /stray/],
  ] as const)("%s %p is a usage error (exit 2)", async (which, args, message) => {
    const p = run(which === "server" ? bins.server : bins.client, [...args]);
    expect(await p.exited()).toBe(2);
    await p.err.next(message);
    await p.err.next(/^Try '.*--help'\.$/);
  });

  test("a client turned away at the door shows the server's reason", async () => {
    const { server, port } = await runServer(bins, ["--max-clients", "1"]);
    const first = await Peer.join(port, "First");
    const c = run(bins.client, ["--port", String(port), "--name", "Late"], "late");
    await c.out.next("! The server is full (1 connections); try again later.");
    expect(await c.exited()).toBe(1);
    expect(c.out.all("Connection to the server lost.")).toEqual([]); // the reason is enough
    first.close();
    server.proc.kill("SIGTERM");
    await server.exited();
  }, 20_000);

  test("the server says clearly when its port is taken, or its address is not this machine's", async () => {
    const { server, port } = await runServer(bins);
    const second = run(bins.server, ["--host", "127.0.0.1", "--port", String(port)], "second");
    expect(await second.exited()).toBe(1);
    await second.err.next(
      `bunchat-server: can't listen on 127.0.0.1:${port}: port ${port} is already in use (another bunchat-server?); choose another with --port`,
    );
    const nowhere = run(bins.server, ["--host", "10.9.9.9", "--port", "0"], "nowhere");
    expect(await nowhere.exited()).toBe(1);
    await nowhere.err.next(/10\.9\.9\.9 is not an address of this machine; choose one with --host/);
    server.proc.kill("SIGTERM");
    await server.exited();
  }, 20_000);
});

describe("releases", () => {
  test("the README's table of release targets is the one bun run release builds", async () => {
    const readme = await Bun.file(`${import.meta.dir}/../../README.md`).text();
    const section = readme.slice(readme.indexOf("## Building binaries"), readme.indexOf("## Developing"));
    const rows = [...section.matchAll(/^\| `([a-z0-9-]+)` +\| (.+?) +\|$/gm)].map((m) => ({ target: m[1], for: m[2] }));
    expect(rows).toEqual(RELEASE_TARGETS.map((t) => ({ target: t.target, for: t.for })));
  });

  test("a linux-x64-baseline binary (for CPUs without AVX2) cross-compiles and runs", async () => {
    const out = `${bins.dir}/bunchat-linux-x64-baseline`;
    await compile("client.ts", out, "linux-x64-baseline", true);
    const version = run(out, ["--version"], "baseline");
    expect(await version.exited()).toBe(0);
    await version.out.next(/^bunchat \d+\.\d+\.\d+$/);
  }, 60_000);
});

describe("running it", () => {
  test("npm start passes SIGTERM to the server: clients are told, the port is free, npm exits", async () => {
    // From the repository (npm needs its package.json); history in a directory of the test's own.
    const db = join(serverDir(), "bunchat.sqlite");
    const npm = run("npm", ["start", "--silent", "--", "--host", "127.0.0.1", "--port", "0", "--db", db], "npm start");
    const line = await npm.out.next(/listening on 127\.0\.0\.1:\d+/, 20_000);
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(line)![1]);
    const sam = await Peer.join(port, "Sam");
    npm.proc.kill("SIGTERM"); // npm itself, as a service manager or a terminal would
    await sam.next("!! The server is shutting down. Goodbye!", 5000);
    await sam.closed();
    await npm.exited(10_000);
    // Nothing is left listening: a new server can have the port.
    const again = run(bins.server, ["--host", "127.0.0.1", "--port", String(port)], "again");
    await again.out.next(/listening on/, 10_000);
    again.proc.kill("SIGTERM");
    expect(await again.exited()).toBe(0);
  }, 40_000);

  test.skipIf(!Bun.which("systemd-analyze"))("deploy/bunchat.service passes systemd-analyze verify", async () => {
    const unit = await Bun.file(`${import.meta.dir}/../../deploy/bunchat.service`).text();
    expect(unit).toContain("ExecStart=/usr/local/bin/bunchat-server ");
    // verify wants the binary to exist: point it at the one just built.
    const path = `${bins.dir}/bunchat.service`;
    await Bun.write(path, unit.replaceAll("/usr/local/bin/bunchat-server", bins.server));
    const verify = Bun.spawnSync(["systemd-analyze", "verify", path], { stderr: "pipe" });
    // Whatever it says about our unit is a finding (other lines are about the machine it runs on).
    expect(
      verify.stderr
        .toString()
        .split("\n")
        .filter((l) => l.includes("bunchat.service")),
    ).toEqual([]);
    expect(verify.exitCode).toBe(0);
  });
});

describe("deploy/bunchat.service", () => {
  test.skipIf(process.getuid?.() !== 0 || !Bun.which("setpriv"))(
    "its ExecStart runs as an unprivileged user in the directory the unit gives it, and keeps its history there",
    async () => {
      const unit = await Bun.file(`${import.meta.dir}/../../deploy/bunchat.service`).text();
      const setting = (key: string) => new RegExp(`^${key}=(.*)$`, "m").exec(unit)?.[1];
      expect(setting("StateDirectory")).toBe("bunchat");
      expect(setting("WorkingDirectory")).toBe("/var/lib/bunchat");
      const [binary, ...args] = setting("ExecStart")!.split(/\s+/);
      expect(binary).toBe("/usr/local/bin/bunchat-server");
      // What systemd makes: a state directory owned by the service's user (nobody, here), mode 700.
      const root = mkdtempSync(join(tmpdir(), "bunchat-unit-"));
      chmodSync(root, 0o755);
      const state = join(root, "state");
      mkdirSync(state, { mode: 0o700 });
      chownSync(state, 65534, 65534);
      const server = join(root, "bunchat-server");
      copyFileSync(bins.server, server);
      chmodSync(server, 0o755);
      try {
        // The unit's own arguments, its directory standing for /var/lib/bunchat, a free loopback port for 7878.
        const given = args.map((a) => a.replace("/var/lib/bunchat", state));
        given[given.indexOf("--port") + 1] = "0";
        const p = run("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", server, ...given, "--host", "127.0.0.1"], "unit", {}, state);
        await p.out.next(/listening on 127\.0\.0\.1:\d+ .*history in .*state\/bunchat\.sqlite/, 10_000);
        expect(existsSync(join(state, "bunchat.sqlite"))).toBe(true);
        p.proc.kill("SIGTERM");
        expect(await p.exited(10_000)).toBe(0);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
    30_000,
  );
});

describe("the README's TLS recipe", () => {
  test.skipIf(!Bun.which("openssl"))(
    "run as written: a CA and a localhost certificate; the client and openssl s_client check it",
    async () => {
      const readme = await Bun.file(`${import.meta.dir}/../../README.md`).text();
      const block = /```sh\n(# A private CA[\s\S]*?)```/.exec(readme)![1]!;
      const openssl = block.slice(0, block.indexOf("npm run build"));
      const dir = `${bins.dir}/recipe`;
      await Bun.$`mkdir -p ${dir}`.quiet();
      const made = Bun.spawnSync(["sh", "-ec", openssl], { cwd: dir, stderr: "pipe" });
      expect(made.exitCode).toBe(0);
      // The server and client lines of the recipe, with port 0 instead of 7443 (the test picks).
      expect(block).toContain("./dist/bunchat-server --port 7443 --tls-cert server.pem --tls-key server.key");
      expect(block).toContain("./dist/bunchat --host localhost --port 7443 --ca ca.pem --name Sam");
      const env = { BUNCHAT_PASSWORD: "correct horse" };
      const { server, port } = await runServer(
        bins,
        ["--tls-cert", `${dir}/server.pem`, "--tls-key", `${dir}/server.key`],
        env,
      );
      const sam = run(
        bins.client,
        ["--host", "localhost", "--port", String(port), "--ca", `${dir}/ca.pem`, "--name", "Sam"],
        "Sam",
        env,
      );
      await sam.out.next("Joined as Sam.");
      // The verifying s_client of the recipe: in with the CA, refused without it.
      const sClient = (ca: string) =>
        Bun.spawn(
          [
            "openssl",
            "s_client",
            "-quiet",
            "-verify_return_error",
            "-verify_hostname",
            "localhost",
            "-CAfile",
            ca,
            "-connect",
            `localhost:${port}`,
          ],
          { stdin: new TextEncoder().encode("correct horse\nDee\nquit\n"), stdout: "pipe", stderr: "pipe" },
        );
      const good = sClient(`${dir}/ca.pem`);
      expect(await new Response(good.stdout).text()).toContain("Hi Dee, you are in.");
      const bad = sClient(`${import.meta.dir}/../fixtures/tls/ca.pem`); // another CA
      expect(await bad.exited).not.toBe(0);
      expect(await new Response(bad.stdout).text()).not.toContain("Welcome");
      sam.send("quit");
      expect(await sam.exited()).toBe(0);
      server.proc.kill("SIGTERM");
      await server.exited();
    },
    30_000,
  );
});

describe("compiled binaries over TLS", () => {
  const fixture = (file: string) => `${import.meta.dir}/../fixtures/tls/${file}`;
  const tlsServer = (cert = "server") =>
    runServer(bins, ["--tls-cert", fixture(`${cert}.pem`), "--tls-key", fixture(`${cert}.key`)]);
  const stop = async (server: Awaited<ReturnType<typeof runServer>>["server"]) => {
    server.proc.kill("SIGTERM");
    expect(await server.exited()).toBe(0);
  };

  test("a client with --ca chats with a TLS user; the server says it serves TLS", async () => {
    const { server, port } = await tlsServer();
    expect(server.out.all(/listening on 127\.0\.0\.1:\d+ \(TLS, history in bunchat\.sqlite\)$/)).toHaveLength(1);
    const tls = await testTls();
    const watcher = await Peer.join(port, "Watcher", "text", { tls: { ca: tls.ca } });
    // localhost is what the certificate names; 127.0.0.1 is in it too.
    const c = run(bins.client, ["--host", "localhost", "--port", String(port), "--ca", fixture("ca.pem")], "c");
    c.send("Sam");
    c.send("over TLS");
    await watcher.next("Sam: over TLS");
    watcher.send("/pm Sam and back");
    await c.out.next("[pm from Watcher] and back");
    c.send("quit");
    expect(await c.exited()).toBe(0);
    watcher.close();
    await stop(server);
  }, 20_000);

  test("--tls without --ca does not trust a private CA: a clear message, exit 1", async () => {
    const { server, port } = await tlsServer();
    const c = run(bins.client, ["--port", String(port), "--tls", "--name", "Sam"], "c");
    expect(await c.exited()).toBe(1);
    await c.err.next(/TLS with 127\.0\.0\.1:\d+ failed: the server's certificate is not trusted .*pass --ca <file>/);
    await stop(server);
  }, 20_000);

  test("a certificate for another name fails hostname verification; --insecure connects anyway", async () => {
    const { server, port } = await tlsServer("other"); // self-signed for other.example
    const strict = run(bins.client, ["--port", String(port), "--ca", fixture("other.pem"), "--name", "Sam"], "strict");
    expect(await strict.exited()).toBe(1);
    await strict.err.next(/TLS with 127\.0\.0\.1:\d+ failed: the server's certificate is not for "127\.0\.0\.1"/);
    const loose = run(bins.client, ["--port", String(port), "--insecure", "--name", "Sam"], "loose");
    await loose.out.next(joined("Sam"));
    loose.send("quit");
    expect(await loose.exited()).toBe(0);
    await stop(server);
  }, 20_000);

  test("the plain client on a TLS port: told to use --tls, exit 1; the server logs why", async () => {
    const { server, port } = await tlsServer();
    const c = run(bins.client, ["--port", String(port), "--name", "Sam"], "c");
    await c.out.next(/^! 127\.0\.0\.1:\d+ speaks TLS: connect with --tls\.$/);
    expect(await c.exited()).toBe(1);
    expect(c.out.all("Connection to the server lost.")).toEqual([]);
    await server.out.next(/TLS handshake failed \(a plain-text client\?\)/);
    await stop(server);
  }, 20_000);

  test("the TLS client on a plain port: told to connect without --tls, exit 1; the server logs why", async () => {
    const { server, port } = await runServer(bins);
    const c = run(bins.client, ["--port", String(port), "--tls", "--name", "Sam"], "c");
    expect(await c.exited()).toBe(1);
    await c.err.next(/the server does not speak TLS on this port; connect without --tls\./);
    await server.out.next(/wrong-protocol/);
    await stop(server);
  }, 20_000);

  test("--tls-cert without --tls-key is a usage error", async () => {
    const s = run(bins.server, ["--tls-cert", fixture("server.pem")]);
    expect(await s.exited()).toBe(2);
    await s.err.next(/TLS needs both --tls-cert and --tls-key\./);
  });

  test("a key that does not match the certificate: a clear error, exit 1", async () => {
    const s = run(bins.server, ["--port", "0", "--tls-cert", fixture("other.pem"), "--tls-key", fixture("server.key")]);
    expect(await s.exited()).toBe(1);
    await s.err.next(/--tls-cert must be a PEM certificate and --tls-key its PEM private key \(.*KEY_VALUES_MISMATCH/);
  });
});
