// The hostile catalogue (issue 3): each case does something a careless or malicious client
// would, then checks three things: the offender got a clear answer or a clean disconnect, the
// bystanders' chat is unaffected (arena.unaffected), and the server keeps serving newcomers.

import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { arena } from "../helpers/arena.ts";
import { Peer } from "../helpers/peer.ts";
import { testTls } from "../helpers/server.ts";
import { quietCrowd } from "../helpers/crowd.ts";
import { until } from "../helpers/until.ts";
import { loggedIn, memoryStore } from "../helpers/accounts.ts";
import { RawWebSocket } from "../helpers/web.ts";

const bytes = (...b: number[]) => new Uint8Array(b);
const utf8 = (text: string) => new TextEncoder().encode(text);
const join = (...parts: Uint8Array[]) => Buffer.concat(parts);

describe("framing", () => {
  test("a\\nb\\n in one write: two messages, in order", async () => {
    const a = await arena();
    const mal = await a.t.join("Mal");
    mal.write("a\nb\n");
    await a.ana.next("Mal: a");
    await a.ana.next("Mal: b");
    await a.unaffected();
  });

  test("a line sent byte by byte, splitting an emoji: intact", async () => {
    const a = await arena();
    const mal = await a.t.join("Mal");
    for (const byte of utf8("wörld 😀\n")) {
      mal.write(bytes(byte));
      await Bun.sleep(1); // separate TCP segments
    }
    await a.ana.next("Mal: wörld 😀");
    await a.unaffected();
  });

  test("CRLF and LF alike", async () => {
    const a = await arena();
    const mal = await a.t.join("Mal");
    mal.write("crlf\r\nlf\n");
    await a.ana.next("Mal: crlf");
    await a.ana.next("Mal: lf");
    await a.unaffected();
  });

  test("exactly the maximum length is accepted; one byte more is an error and the connection stays", async () => {
    const a = await arena();
    const mal = await a.t.join("Mal");
    mal.send("x".repeat(4096));
    await a.ana.next(`Mal: ${"x".repeat(4096)}`);
    mal.send("y".repeat(4097));
    await mal.next("! That line was longer than 4096 bytes; it was not sent.");
    // A long line is refused while it is still arriving, once, and never stored whole.
    const slice = new Uint8Array(4 * 1024).fill(0x41);
    for (let i = 0; i < 3; i++) {
      mal.write(slice);
      if (i === 1) await mal.next(/longer than 4096 bytes/);
    }
    mal.send("");
    mal.send("after");
    await a.ana.next("Mal: after");
    await mal.ping();
    expect(mal.log.all(/longer than 4096 bytes/)).toHaveLength(2);
    expect(a.ana.log.all(/yyyy|AAAA/)).toEqual([]);
    expect(a.t.server.connections).toBe(3);
    await a.unaffected();
  });

  test("16 KiB with no newline: disconnected with a reason", async () => {
    const a = await arena();
    const mal = await a.t.join("Mal");
    mal.write(new Uint8Array(16 * 1024 + 1).fill(0x41));
    await mal.next("! 16384 bytes arrived without a newline; bunchat reads lines. Closing.");
    await mal.closed();
    await a.ana.next("<-- Mal left the chat (dropped: flooding)");
    expect(a.ana.log.all(/AAAA/)).toEqual([]);
    await a.unaffected();
  });

  test("part of a line that never ends: dropped with a notice after the limit; the connection stays", async () => {
    const a = await arena({ limits: { unfinishedLineMs: 300 }, sweepMs: 50 });
    const mal = await a.t.join("Mal");
    for (let i = 0; i < 20; i++) {
      mal.write("z"); // one byte per TCP segment, never a newline
      await Bun.sleep(1);
    }
    await mal.next(
      "! Part of a line waited 0.3 s for its end (a newline); it was dropped, and so is the rest of it.",
      3000,
    );
    mal.send(" and the rest");
    mal.send("a fresh line");
    await a.ana.next("Mal: a fresh line");
    expect(a.ana.log.all(/zzz|the rest/)).toEqual([]);
    await a.unaffected();
  });

  test("EOF after an unterminated fragment: the fragment is dropped", async () => {
    const a = await arena();
    const mal = await a.t.join("Mal");
    mal.write("half a line");
    mal.endInput();
    await a.ana.next("<-- Mal left the chat (disconnected)");
    await mal.closed();
    expect(a.ana.log.all(/half a line/)).toEqual([]);
    await a.unaffected();
  });

  test("printf 'alice\\nhi\\n' | nc -N: hi is delivered and the replies still arrive", async () => {
    const a = await arena();
    const p = await Peer.connect(a.t.port, "text", "alice");
    p.write("alice\nhi\n/ping done\n");
    p.endInput();
    await p.next(/^Hi alice, you are in/);
    await p.next("pong done");
    await a.ana.next("alice: hi");
    await a.ana.next("<-- alice left the chat (disconnected)");
    await p.closed();
    await a.unaffected();
  });
});

describe("text that reaches other terminals", () => {
  test("hi\\rbob: pwned: the CR can't make a line look as if Bob wrote it", async () => {
    const a = await arena();
    const mal = await a.t.join("Mal");
    mal.send("hi\rBo: pwned");
    await a.ana.next("Mal: hiBo: pwned");
    expect((await a.bo.event("public")).from).toBe("Mal");
    await a.unaffected();
  });

  test.each([
    ["clear screen (ESC [2J), removed whole", "\u001b[2Jclear", "clear"],
    ["colours (ESC [31m … ESC [0m), removed whole", "\u001b[31mred\u001b[0m", "red"],
    ["window title (OSC 0), its text too", "\u001b]0;owned\u0007title", "title"],
    ["clipboard write (OSC 52), its text too", "\u001b]52;c;ZXZpbA==\u0007clip", "clip"],
    ["hyperlink (OSC 8), its address too", "\u001b]8;;http://evil\u001b\\link\u001b]8;;\u001b\\", "link"],
    ["a device control string (DCS)", "\u001bP1$r0m\u001b\\dcs", "dcs"],
    ["C1 CSI (C2 9B)", "\u009b31mred", "red"],
    ["DEL and backspaces", "abc\u007f\b\b\bxyz", "abcxyz"],
    ["NUL", "nu\u0000ll", "null"],
    ["BOM in the middle", "b\ufeffom", "bom"],
    ["right-to-left override (U+202E)", "\u202etxt.exe", "txt.exe"],
    ["bidi isolates (U+2066-2069)", "\u2066a\u2067b\u2068c\u2069", "abc"],
    ["bell", "ding\u0007", "ding"],
    ["a zero-width space", "Al\u200bice", "Alice"],
    ["a word joiner and a soft hyphen", "Al\u2060i\u00adce", "Alice"],
    ["a Hangul filler", "\u3164hi", "hi"],
    ["a zero-width joiner between letters", "Al\u200dice", "Alice"],
    ["a variation selector after a letter", "A\ufe0flice", "Alice"],
  ])("%s never reaches another terminal", async (_name, sent, shown) => {
    const a = await arena();
    const mal = await a.t.join("Mal");
    mal.send(sent);
    await a.ana.next(`Mal: ${shown}`);
    expect((await a.bo.event("public")).text).toBe(shown);
    await a.unaffected();
  });

  test("the joiners inside emoji sequences are kept", async () => {
    const a = await arena();
    const mal = await a.t.join("Mal");
    mal.send("family 👨\u200d👩\u200d👧 flag 🏳\ufe0f\u200d🌈");
    await a.ana.next("Mal: family 👨\u200d👩\u200d👧 flag 🏳\ufe0f\u200d🌈");
    await a.unaffected();
  });

  test("/me is now known as Alice can't pass for a rename, in either mode", async () => {
    const a = await arena();
    const mal = await a.t.join("Mal");
    mal.send("/me is now known as Alice");
    const forged = await a.ana.next(/is now known as Alice$/);
    expect((await a.bo.event("action")).from).toBe("Mal");
    mal.send("/nick Alice");
    const real = await a.ana.next(/is now known as Alice$/);
    expect(forged).toBe("* Mal is now known as Alice");
    expect(real).toBe("--- Mal is now known as Alice");
    await a.unaffected();
  });

  test("a line of nothing but control characters is not sent, and the sender is told", async () => {
    const a = await arena();
    const mal = await a.t.join("Mal");
    mal.send("\u001b\u0007\u0008");
    await mal.next("! Nothing left to send once control characters are removed.");
    await a.unaffected();
  });

  test.each([
    ["a lone FF", bytes(0x61, 0xff, 0x62)],
    ["overlong C0 AF", bytes(0xc0, 0xaf)],
    ["an encoded surrogate ED A0 80 (a lone surrogate)", bytes(0x61, 0xed, 0xa0, 0x80)],
    ["a truncated sequence E2 82", bytes(0x61, 0xe2, 0x82)],
  ])("invalid UTF-8 (%s): an error, not relayed, connection kept", async (_name, line) => {
    const a = await arena();
    const mal = await a.t.join("Mal");
    mal.write(join(line, utf8("\n")));
    await mal.next("! That line was not valid UTF-8, so it was not sent. Is your terminal set to UTF-8?");
    mal.send("fine now");
    await a.ana.next("Mal: fine now");
    expect(a.ana.log.all((l) => l.startsWith("Mal: ") && l !== "Mal: fine now")).toEqual([]);
    await a.unaffected();
  });

  test("e followed by 5,000 combining marks: refused as too long at once; 2,000 are relayed intact", async () => {
    const a = await arena();
    const mal = await a.t.join("Mal");
    mal.send(`e${"\u0301".repeat(5000)}`);
    await mal.next(/^! That line was longer than 4096 bytes/);
    const zalgo = `e${"\u0301".repeat(2000)}`;
    mal.send(zalgo);
    await a.ana.next(`Mal: ${zalgo}`);
    await a.unaffected();
  });

  test("empty and blank lines are ignored", async () => {
    const a = await arena();
    const mal = await a.t.join("Mal");
    mal.write("\n   \n\r\n");
    mal.send("after");
    await a.ana.next("Mal: after");
    expect(a.ana.log.all(/^Mal: \s*$/)).toEqual([]);
    await a.unaffected();
  });

  test("Bo typing 'Ana: hi' is shown as from Bo", async () => {
    const a = await arena();
    const mal = await a.t.join("Mal");
    a.bo.send("Ana: hi");
    await mal.next("Bo: Ana: hi");
    await a.unaffected();
  });
});

describe("telnet", () => {
  test("Ctrl-C in telnet (IAC IP, IAC DO TIMING-MARK): answered, the half line dropped, the user hears on and is heard", async () => {
    const a = await arena();
    const mal = await a.t.join("Mal");
    // What telnet sends: part of a line, then Ctrl-C, then it shows nothing until the timing mark.
    mal.write(Buffer.concat([utf8("never fin"), bytes(255, 244, 255, 253, 6)]));
    // The timing mark is answered first (IAC WILL TIMING-MARK, read here as text: U+FFFD U+FFFD
    // U+0006), then the notice: telnet throws away whatever comes before that answer.
    await mal.next(/^\ufffd\ufffd\u0006-- Interrupted\. Ctrl-C does not leave bunchat: type quit to leave/);
    mal.send("after ctrl-c");
    await a.ana.next("Mal: after ctrl-c");
    expect(a.ana.log.all(/never fin/)).toEqual([]);
    mal.send("/ping tm");
    await mal.next("pong tm");
    await a.unaffected();
  });

  test("telnet's option requests (IAC DO/WILL) are refused, never shown to anyone, and the chat goes on", async () => {
    const a = await arena();
    const p = await Peer.connect(a.t.port, "text", "telnet");
    p.write(Buffer.concat([bytes(255, 251, 31, 255, 253, 1, 255, 250, 24, 1, 255, 240), utf8("Tel\r\n")]));
    await p.next(/Hi Tel, you are in\./);
    p.send("hi from telnet");
    await a.ana.next("Tel: hi from telnet");
    await a.unaffected();
  });
});

describe("names", () => {
  test.each([
    ["starting with a dash", "-x", "! A username must start with a letter or a digit."],
    ["too long", "x".repeat(25), /at most 24/],
    ["illegal characters", "a/b", /letters A-Z, digits/],
  ])("%s: an error and asked again; after 5 refusals the connection is closed", async (_name, name, error) => {
    // Not slowed per address here (the newcomer of unaffected() shares 127.0.0.1): that is tested below.
    const a = await arena({ limits: { attemptBurst: 100 } });
    const p = await Peer.connect(a.t.port, "text", "mal");
    p.send(name);
    await p.next(error as string | RegExp);
    await p.next("Enter your username:");
    p.send("   "); // an empty answer is not an attempt: just asked again
    await p.next("Enter your username:");
    for (let i = 0; i < 4; i++) p.send("bad name");
    await p.next("! 5 names refused; closing the connection.");
    await p.closed();
    await a.unaffected();
  });

  test("Alice while alice is online: refused, and the same connection can try another", async () => {
    const a = await arena();
    await a.t.join("alice");
    const p = await Peer.connect(a.t.port, "text", "Alice");
    p.send("Alice");
    await p.next('! The name "Alice" is taken by alice.');
    await p.next("Enter your username:"); // the same connection tries again
    p.send("Alice2");
    await p.next(/^Hi Alice2, you are in/);
    await a.unaffected();
  });

  test.each([
    ["AIice", "Alice"],
    ["B0b", "Bob"],
    ["Sarn", "Sam"],
  ])("%s while %s is online: refused as a look-alike, and told whom it looks like", async (fake, real) => {
    const a = await arena();
    await a.t.join(real);
    const p = await Peer.connect(a.t.port, "text", fake);
    p.send(fake);
    await p.next(`! The name "${fake}" looks too much like ${real}, who is online.`);
    await a.unaffected();
  });

  test("/nick to a look-alike of someone online: refused; to a look-alike of one's own name: allowed", async () => {
    const a = await arena();
    await a.t.join("Alice");
    const mal = await a.t.join("Mal");
    mal.send("/nick AIice");
    await mal.next('! The name "AIice" looks too much like Alice, who is online.');
    mal.send("/nick MaI");
    await a.ana.next("--- Mal is now known as MaI");
    await a.unaffected();
  });

  test.each(["S3rver", "Adm1n", "r00t", "sys0p"])("%p: refused as reserved (a look-alike)", async (name) => {
    const a = await arena();
    const p = await Peer.connect(a.t.port);
    p.send(name);
    await p.next(/^! The name ".*" is reserved \(it looks like ".*"\)/);
    await a.unaffected();
  });

  test("Cyrillic аlice (non-ASCII): refused", async () => {
    const a = await arena();
    const p = await Peer.connect(a.t.port, "text", "cyrillic");
    p.send("\u0430lice");
    await p.next(/^! .*letters A-Z, digits/);
    await a.unaffected();
  });

  test("two clients claiming one name at the same instant: exactly one wins", async () => {
    const a = await arena();
    const [p, q] = await Promise.all([Peer.connect(a.t.port), Peer.connect(a.t.port)]);
    p.send("Twin");
    q.send("twin");
    const outcome = async (peer: Peer) => (await peer.next(/^(Hi Twin|Hi twin|! The name)/)).startsWith("Hi");
    const wins = await Promise.all([outcome(p), outcome(q)]);
    expect(wins.filter(Boolean)).toHaveLength(1);
    await a.unaffected();
  });

  test.each(["server", "System", "ADMIN", "root", "nobody"])("%p: refused as reserved", async (name) => {
    const a = await arena();
    const p = await Peer.connect(a.t.port);
    p.send(name);
    await p.next(/^! .*reserved/);
    await a.unaffected();
  });

  test("a name is free again right after quit", async () => {
    const a = await arena();
    const mal = await a.t.join("Mal");
    mal.send("quit");
    await mal.closed();
    const again = await a.t.join("Mal");
    await again.ping();
    await a.unaffected();
  });
});

describe("private messages", () => {
  test.each([
    ["/pm Mal hi", "! You can't send a private message to yourself."],
    ["/pm Nobody hi", '! No user named "Nobody" is online. /users shows who is.'],
    ["/pm Ana", "! Nothing to send to Ana. Usage: /pm <user> <message>"],
  ])("%p: a defined reply and nobody receives anything", async (line, reply) => {
    const a = await arena();
    const mal = await a.t.join("Mal");
    mal.send(line);
    await mal.next(reply);
    await a.unaffected();
    expect(a.ana.log.all(/pm from Mal/)).toEqual([]);
  });

  test("/pm BO (other case) and extra spaces reach Bo only", async () => {
    const a = await arena();
    const mal = await a.t.join("Mal");
    mal.send("/pm   BO    hello  there");
    expect(await a.bo.event("private")).toMatchObject({ from: "Mal", text: "hello  there" });
    await mal.next("[pm to Bo] hello  there");
    await a.unaffected();
    expect(a.ana.log.all(/hello {2}there/)).toEqual([]);
  });
});

describe("abuse", () => {
  test("lines over the rate wait and arrive in order; the sender is told once; others are not delayed", async () => {
    const a = await arena({ limits: { burstLines: 5, linesPerSecond: 20 } });
    const mal = await a.t.join("Mal");
    mal.write(Array.from({ length: 30 }, (_, i) => `line ${i}\n`).join(""));
    await mal.next(/^! You are sending faster than 20 lines a second \(5 at once\)/);
    a.bo.send("not held up");
    await a.ana.next("Bo: not held up");
    expect(a.ana.log.all(/^Mal: line/).length).toBeLessThan(30); // Bo overtook the backlog
    await a.ana.next("Mal: line 29", 5000);
    expect(a.ana.log.all(/^Mal: line/)).toEqual(Array.from({ length: 30 }, (_, i) => `Mal: line ${i}`));
    expect(mal.log.all(/sending faster/)).toHaveLength(1);
    await a.unaffected();
  });

  test("sustained sending over the rate: throttled after the burst, then dropped when the backlog is full", async () => {
    // The catalogue's "10 lines/s for a minute" against 5/s, scaled: 80 lines/s against 20/s.
    const a = await arena({ limits: { burstLines: 5, linesPerSecond: 20, floodBacklog: 20 } });
    const mal = await a.t.join("Mal");
    const started = performance.now();
    let sent = 0;
    for (let round = 0; round < 50 && !mal.log.isEnded; round++) {
      mal.write(Array.from({ length: 8 }, () => `steady ${sent++}\n`).join(""));
      await Bun.sleep(100);
    }
    const seconds = (performance.now() - started) / 1000;
    await mal.seen(/^! More than 20 lines were waiting to be sent; disconnected for flooding\.$/);
    expect(mal.log.all(/sending faster/).length).toBeGreaterThanOrEqual(1);
    await a.ana.seen("<-- Mal left the chat (dropped: flooding)");
    const got = a.ana.log.all(/^Mal: steady/);
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => `Mal: steady ${i}`)); // in order, no gaps
    expect(got.length).toBeLessThanOrEqual(5 + Math.ceil(20 * seconds) + 1); // never faster than the budget
    expect(sent).toBeLessThan(400); // dropped long before the sender gave up
    await a.unaffected();
  });

  test("20 lines then a half-close (nc -N): every line is still delivered, at the flood rate", async () => {
    const a = await arena({ limits: { burstLines: 5, linesPerSecond: 50 } });
    const p = await Peer.connect(a.t.port, "text", "piper");
    p.write(`piper\n${Array.from({ length: 20 }, (_, i) => `piped ${i}\n`).join("")}`);
    p.endInput();
    await a.ana.next("<-- piper left the chat (disconnected)", 5000);
    expect(a.ana.log.all(/^piper: /)).toEqual(Array.from({ length: 20 }, (_, i) => `piper: piped ${i}`));
    await p.closed();
    await a.unaffected();
  });

  test("1,000 lines in one write: the burst is handled in order, then the sender is dropped for flooding", async () => {
    const a = await arena();
    const mal = await a.t.join("Mal");
    mal.write(Array.from({ length: 1000 }, (_, i) => `spam ${i}\n`).join(""));
    await mal.next("! More than 100 lines were waiting to be sent; disconnected for flooding.");
    await mal.closed();
    await a.ana.next("<-- Mal left the chat (dropped: flooding)");
    // The burst (10 lines: the name was not charged to it) went out in order; the rest was dropped.
    const got = a.ana.log.all(/^Mal: spam/);
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => `Mal: spam ${i}`));
    await a.unaffected();
  });

  test("100,000 tiny lines: dropped for flooding; nothing piles up", async () => {
    const a = await arena();
    const mal = await a.t.join("Mal");
    mal.write("x\n".repeat(100_000));
    await mal.next(/disconnected for flooding/);
    await mal.closed();
    await a.unaffected();
    expect(a.ana.log.all("Mal: x")).toHaveLength(10); // the burst (the name line is not charged to it)
  });

  test("200 connections from one address: past the cap each is refused with a reason", async () => {
    const a = await arena(); // default cap: 32 per address; Ana and Bo are on another address
    const peers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => Peer.connect(a.t.port, "text", `c${i}`, { from: "127.0.0.2" })),
    );
    for (const p of peers) await p.next(/^(! Too many connections|Welcome to bunchat)/);
    const refused = peers.filter(
      (p) => p.log.all(/^! Too many connections from 127\.0\.0\.2 \(the limit is 32\)/).length,
    );
    expect(refused.length).toBe(200 - 32);
    for (const p of refused) await p.closed();
    expect(a.t.server.connections).toBe(2 + 32);
    for (const p of peers) p.close();
    await a.unaffected();
  });

  test("a crowd of addresses from one network: capped per network, each told why; other networks still get in", async () => {
    // The attack filled --max-clients from 174 addresses of one /24; scaled: 60 addresses, a cap of 20.
    const a = await arena({ limits: { maxPerNet: 20 }, logWindowMs: 1000, sweepMs: 50 });
    const peers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => Peer.connect(a.t.port, "text", `c${i}`, { from: `127.0.1.${i + 2}` })),
    );
    for (const p of peers) await p.next(/^(! Too many connections|Welcome to bunchat)/);
    const refused = peers.filter((p) => p.log.lines[0]?.startsWith("! "));
    expect(refused).toHaveLength(40);
    for (const p of refused) {
      expect(p.log.lines[0]).toBe(
        "! Too many connections from your network 127.0.1.0/24 (the limit is 20); try again later.",
      );
      await p.closed();
    }
    expect(a.t.server.connections).toBe(2 + 20);
    await a.unaffected(); // the newcomer is on 127.0.0.1: another network
    // The log names the first few refusals, then sums up the rest in one line when the window ends.
    const summary = "! 37 more connections refused at the door from 127.0.1.0/24 in the last 1 s";
    for (let i = 0; i < 60 && !a.t.log.includes(summary); i++) await Bun.sleep(50);
    expect(a.t.log).toContain(summary);
    expect(a.t.log.filter((l) => /^! refused 127\.0\.1\./.test(l))).toHaveLength(3);
    for (const p of peers) p.close();
  });

  test("connect and close 100 times as fast as possible: throttled past the burst; nothing announced or left open", async () => {
    // The server's clock stands still, so the burst is all there is: exactly 64 get in, whatever
    // the machine's speed.
    const at = Date.now();
    const a = await arena({ now: () => at });
    const fds = () => readdirSync("/proc/self/fd").length;
    const before = fds();
    const outcomes: string[] = [];
    for (let i = 0; i < 100; i++) {
      const p = await Peer.connect(a.t.port, "text", `c${i}`, { from: "127.0.0.3" });
      outcomes.push(await p.next(/^(! Too many new connections|Welcome to bunchat)/));
      if (i % 2 === 0) p.kill();
      else p.endInput();
    }
    const welcomed = outcomes.filter((o) => o.startsWith("Welcome")).length;
    expect(welcomed).toBe(64);
    expect(outcomes.slice(64)).toEqual(
      Array.from({ length: 36 }, () => "! Too many new connections from 127.0.0.3 (more than 10 a second); try again in 1 s."),
    );
    await a.unaffected();
    await until(() => a.t.server.connections === 2);
    expect(fds()).toBeLessThanOrEqual(before + 2); // the late joiner's socket may still be closing
    expect(a.ana.log.all(/joined the chat|left the chat/).filter((l) => !/Late|Bo/.test(l))).toEqual([]);
  });

  test("connect and stay silent: closed at the registration deadline", async () => {
    const a = await arena({ limits: { registerTimeoutMs: 300 }, sweepMs: 50 });
    const p = await Peer.connect(a.t.port);
    await p.next("! No username chosen within 0.3 s; closing the connection.", 3000);
    await p.closed();
    await a.unaffected();
  });

  test("a name sent in time while the server was stalled past the deadline is read, not refused", async () => {
    const a = await arena({ limits: { registerTimeoutMs: 500 }, sweepMs: 50 });
    const p = await Peer.connect(a.t.port, "text", "patient");
    await p.next("Enter your username:");
    p.send("Patient"); // in the kernel's buffer before the stall
    const stalledUntil = Date.now() + 1500;
    while (Date.now() < stalledUntil); // the server's thread is stopped, as by SIGSTOP or a long GC
    await p.next(/^Hi Patient, you are in\./);
    expect(p.log.all(/No username chosen/)).toEqual([]);
    expect(a.t.log.some((l) => /stopped or starved for \d+ ms/.test(l))).toBe(true);
    await a.unaffected();
  });

  test("one byte every 50 ms before a name: the deadline is absolute, not reset by traffic", async () => {
    const a = await arena({ limits: { registerTimeoutMs: 500 }, sweepMs: 50 });
    const p = await Peer.connect(a.t.port);
    const started = performance.now();
    for (let i = 0; i < 100 && !p.log.isEnded; i++) {
      p.write("a"); // a name that never ends
      await Bun.sleep(50);
    }
    await p.seen("! No username chosen within 0.5 s; closing the connection.");
    await p.closed();
    expect(performance.now() - started).toBeLessThan(4000); // well before 100 trickled bytes
    await a.unaffected();
  });

  test("GET / HTTP/1.1 as the first line on the plain port: told and closed at once", async () => {
    const a = await arena();
    const p = await Peer.connect(a.t.port);
    p.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await p.next(/^! This port speaks bunchat's plain-text protocol, not HTTP/);
    await p.closed();
    await a.unaffected();
  });

  test("a browser made to POST IRC lines to the IRC door (cross-protocol): closed at the request line, nothing said", async () => {
    const a = await arena({ irc: true });
    const p = await a.t.ircConnect("webevil");
    const body = "NICK webevil\r\nUSER a 0 * :b\r\nJOIN #lobby\r\nPRIVMSG #lobby :hi\r\n";
    p.write(`POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    await p.next(/^ERROR :.*This port speaks IRC, not HTTP: connect with an IRC client/);
    await p.closed();
    // Headers alone, with no request line first, are HTTP too.
    const q = await a.t.ircConnect("headers");
    q.write("Host: 127.0.0.1\r\nNICK webevil2\r\nUSER a 0 * :b\r\n");
    await q.next(/^ERROR :.*not HTTP/);
    await q.closed();
    await a.unaffected();
    expect(a.ana.log.all(/webevil|hi$/)).toEqual([]);
    expect(a.t.server.hub.find("webevil")).toBeUndefined();
  });

  test("50 guesses at one registered name at once: 5 are checked, the rest told to wait; the owner waits no longer than the rate says", async () => {
    const file = memoryStore();
    const a = await arena({ history: file.history, accounts: file.accounts, limits: { maxPerIp: 0, maxPerNet: 0, connectsPerSecond: 0 } });
    (await loggedIn(a.t, "Sam")).close();
    await until(() => a.t.server.hub.find("Sam") === undefined);
    const guessers = await Promise.all(Array.from({ length: 50 }, (_, i) => Peer.connect(a.t.port, "text", `guess${i}`)));
    for (const [i, p] of guessers.entries()) p.write(`Sam\nwrong-horse-${i}\n`);
    const answers = await Promise.all(guessers.map((p) => p.next(/^! (Wrong password for Sam\.|Too many passwords tried for Sam lately \(right or wrong, from anywhere\); the next one is checked in (\d+) s\.)$/, 5000)));
    expect(answers.filter((l) => l.startsWith("! Wrong password")).length).toBe(5);
    const waits = answers.map((l) => Number(/checked in (\d+) s/.exec(l)?.[1] ?? 0));
    expect(Math.max(...waits)).toBeLessThanOrEqual(5); // one attempt's worth (one every 5 s), not 45 of them
    for (const p of guessers) p.close();
    await a.unaffected();
  });

  test("one account logged in to from 200 addresses at once: 5 logins are checked (the name's rate), the rest told to wait; no more than --max-devices get in, the others told why; one user, and bystanders chat on", async () => {
    const file = memoryStore();
    const a = await arena({ history: file.history, accounts: file.accounts, limits: { maxPerIp: 0, maxPerNet: 0, connectsPerSecond: 0, maxDevices: 3 } });
    (await loggedIn(a.t, "Sam")).send("/join #lobby");
    const crowd = await Promise.all(Array.from({ length: 200 }, (_, i) => Peer.connect(a.t.port, "json", `device${i}`, { from: `127.0.${1 + Math.floor(i / 100)}.${1 + (i % 100)}` })));
    for (const p of crowd) p.send("Sam");
    await Promise.all(crowd.map((p) => p.event("ask-login")));
    for (const p of crowd) p.send("correct-horse");
    const answers = await Promise.all(crowd.map((p) => p.next((l) => /"welcome"|"too-many-devices"|"slow-down"/.test(l), 10_000)));
    expect(answers.filter((l) => l.includes('"slow-down"'))).toHaveLength(195); // "Too many passwords tried for Sam lately": counted before checked, right or wrong
    expect(answers.filter((l) => l.includes('"welcome"'))).toHaveLength(2); // with the first one: 3
    expect(answers.filter((l) => l.includes("Sam is online from 3 connections"))).toHaveLength(3);
    expect(a.t.server.hub.find("Sam")?.devices).toHaveLength(3);
    expect(a.t.server.hub.size).toBe(3); // Ana, Bo and Sam: one user however many connections
    for (const p of crowd) p.close();
    await a.unaffected();
  }, 30_000);

  test("unfinished HTTP requests to the web port count against the caps (503 past them); bystanders chat on and a newcomer gets in", async () => {
    const a = await arena({ http: true, limits: { maxPerIp: 32, connectsPerSecond: 0, httpRequestMs: 60_000 } });
    const port = a.t.server.httpPort!;
    // 40 unfinished requests from one address: its 32 are held, the rest refused at once.
    const hogs = await Promise.all(Array.from({ length: 40 }, (_, i) => Peer.connect(port, "text", `hog${i}`, { from: "127.0.0.9" })));
    for (const h of hogs) h.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    await until(() => hogs.filter((h) => h.log.lines.some((l) => l.startsWith("HTTP/1.1 503 "))).length === 8, 5000);
    expect(a.t.log.some((l) => /^! refused 127\.0\.0\.9:\d+ \(web\): too-many-connections$/.test(l))).toBe(true);
    await a.unaffected();
    for (const h of hogs) h.close();
  });

  test("a rebound page (its own name pointing here, Origin and Host agreeing) can't open the WebSocket or read /metrics", async () => {
    const a = await arena({ http: true });
    const port = a.t.server.httpPort!;
    for (const path of ["/ws", "/metrics"]) {
      const p = await Peer.connect(port, "text", "rebound");
      p.write(
        `GET ${path} HTTP/1.1\r\nHost: evil.example:${port}\r\nOrigin: http://evil.example:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      await p.next(/^HTTP\/1\.1 421 /);
      p.close();
    }
    await a.unaffected();
  });

  test("WebSocket messages begun and never finished hold no more than a line's bound each, and go at the registration deadline", async () => {
    const a = await arena({ http: true, limits: { registerTimeoutMs: 800, maxPerIp: 0 }, sweepMs: 50 });
    const held = await Promise.all(Array.from({ length: 30 }, () => RawWebSocket.open(a.t.server.httpPort!)));
    for (const ws of held) ws.frame(2, "q".repeat(15_000), false); // under the 16 KiB run bound: held, never ended
    await a.unaffected();
    await until(() => held.every((ws) => ws.closed), 5000);
    expect(a.ana.log.all(/qqqq/)).toEqual([]);
  });

  test("wrong API tokens from many addresses: 401s, then 429s per address, and the log sums them up per network", async () => {
    const file = memoryStore(); // where tokens are kept
    const a = await arena({ http: true, history: file.history, tokens: file.tokens, limits: { attemptBurst: 5 } });
    const port = a.t.server.httpPort!;
    const token = `bunchat_000000000000_${"A".repeat(43)}`;
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) {
      // 6 requests from each of 10 addresses of one /24, on a kept-alive connection each.
      const p = await Peer.connect(port, "text", `guess${i}`, { from: `127.0.5.${2 + (i % 10)}` });
      p.write(`GET /api/rooms/lobby/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`);
      statuses.push(Number(/^HTTP\/1\.1 (\d+)/.exec(await p.next(/^HTTP\/1\.1 /))![1]));
      p.close();
    }
    expect(statuses.filter((s) => s === 401).length).toBe(50); // 5 per address, then…
    expect(statuses.filter((s) => s === 429).length).toBe(10); // …slowed
    expect(a.t.log.filter((l) => l.startsWith("! API: a wrong token from")).length).toBe(3); // per /24, then a sum
    await a.unaffected();
  });

  test("/history paged as fast as the server lets ten users (flood control as shipped): the askers are slowed, the bystanders are not", async () => {
    const file = memoryStore();
    const a = await arena({ history: file.history });
    // 200 lines of 300 characters to page through, from 20 users of their 10-line burst each.
    for (let i = 0; i < 20; i++) {
      const f = await a.t.join(`Filler${i}`);
      f.write(Array.from({ length: 10 }, (_, k) => `line ${i}.${k} ${"h".repeat(290)}\n`).join(""));
      await f.ping();
      f.close();
    }
    const pagers = await Promise.all(Array.from({ length: 10 }, (_, i) => Peer.join(a.t.port, `Pager${i}`, "text", { from: `127.0.6.${2 + i}` })));
    for (const p of pagers) p.write("/history 200\n/history 200\n/part\n/join #lobby\n".repeat(5));
    await a.unaffected();
    await Promise.all(pagers.map((p) => p.seen(/^! Your commands asked for more output than 40 KiB a second/, 10_000)));
    await a.unaffected();
  }, 20_000);

  test("anyone who connects first as an admin's name not registered yet can't register it, nor become admin", async () => {
    const file = memoryStore();
    const a = await arena({ history: file.history, accounts: file.accounts, tokens: file.tokens, admins: ["Boss", "Chief"] });
    for (const name of ["Boss", "Ch1ef"]) {
      const mal = await a.t.join(name);
      mal.send("/register correct-horse");
      await mal.next(/server admin's name \(--admin\): registering it needs the setup code/);
      mal.send("/register correct-horse AAAA-AAAA-AAAA");
      await mal.next(/needs the right code/);
      mal.send("/token new evil");
      await mal.next(/^! Only server admins can use \/token/);
      mal.send("/kick Ana");
      await mal.next(/^! Only a room.s operators \(and server admins\) can use \/kick/);
    }
    await a.unaffected();
  });

  test("a TLS ClientHello on the plain port: told and closed at once", async () => {
    const a = await arena();
    const p = await Peer.connect(a.t.port);
    p.write(bytes(0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03));
    await p.next(/^! This port speaks bunchat's plain-text protocol, not TLS/);
    await p.closed();
    await a.unaffected();
  });

  test("failed names from one address are slowed after a few", async () => {
    const a = await arena({ limits: { attemptBurst: 2, attemptEveryMs: 400 } });
    const p = await Peer.connect(a.t.port);
    p.send("bad name");
    p.send("bad name");
    await p.next(/^! .*letters A-Z, digits/);
    await p.next(/^! .*letters A-Z, digits/);
    const started = Date.now();
    p.send("Fine");
    await p.next("! Too many failed attempts from 127.0.0.1; the next one is answered in 1 s.");
    await p.next(/^Hi Fine, you are in/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    await a.unaffected();
  });
});

describe("amplification", () => {
  test("/users in a big room is a summary with counts; /users <prefix> finds someone", async () => {
    const a = await arena();
    quietCrowd(a.t.server.hub, 150);
    a.ana.send("/users");
    const summary = await a.ana.next(/^In #lobby \(152\): /);
    expect(summary).toEndWith("and 52 more; 150 away (/users <start of a name> finds someone)");
    expect(summary.length).toBeLessThan(12_000); // the whole list was 18 KB here, 236 KB at 2000 users
    a.ana.send("/users crowd014");
    await a.ana.next(/^In #lobby, starting with "crowd014" \(10\): crowd0140 \(away: gone fishing/);
    a.bo.send("/users b");
    expect(await a.bo.event("users")).toEqual({ type: "users", room: "#lobby", users: ["Bo"], count: 1, prefix: "b" });
    a.ana.send("/users *!");
    await a.ana.next(/^! Names hold only A-Z, a-z, 0-9, _ and -, so none starts with that\. Usage: \/users/);
    await a.unaffected();
  });

  test("/users over and over: the asker's own output slows the asker; the room is not held up", async () => {
    const a = await arena();
    quietCrowd(a.t.server.hub, 100); // each reply is about 12 KB: the output budget is 80 KiB, then 40 KiB/s
    const mal = await a.t.join("Mal");
    mal.write("/users\n".repeat(9)); // within the line budget
    await mal.next(
      /^! Your commands asked for more output than 40 KiB a second \(\/users in a big room, say\); your next lines wait \d+ s/,
    );
    const delayed = mal.log.all(/^In #lobby \(103\)/).length;
    expect(delayed).toBeLessThan(9); // the rest wait for the budget
    a.bo.send("not held up");
    await a.ana.next("Bo: not held up");
    await mal.next(/^In #lobby \(103\)/, 5000);
    await a.unaffected();
  });

  test("readers that fell behind: past the total bound the one holding the most is dropped and told why; the rest go on", async () => {
    // The attack: 2000 connections each just under the 1 MiB cap held 1.91 GB. Scaled: a bound of
    // 4 MiB in all, with room for 64 MiB each.
    const a = await arena({
      limits: { maxOutboxTotalBytes: 4 * 1024 * 1024, maxOutboxBytes: 64 * 1024 * 1024, linesPerSecond: 0 },
    });
    const early = await a.t.join("Early");
    const late = await a.t.join("Late");
    early.pause();
    const filler = "w".repeat(4000);
    let i = 0;
    for (; i < 4000 && !a.ana.log.lines.includes("<-- Early left the chat (dropped: not reading)"); i++) {
      if (i === 200) late.pause(); // 800 KB after Early: holds less
      a.bo.send(`${i} ${filler}`);
      if (i % 25 === 24) await a.ana.next(new RegExp(`^Bo: ${i} w+$`), 5000);
    }
    await a.ana.seen("<-- Early left the chat (dropped: not reading)", 5000);
    expect(a.ana.log.all(/Late left/)).toEqual([]);
    expect(
      a.t.log.some((l) => /^! output waiting for slow readers passed 4 MiB in all: dropped the 1 connection/.test(l)),
    ).toBe(true);
    early.resume(); // what the kernel held, then why
    await early.seen(
      /^! The server holds too much for readers that fell behind \(4096 KiB in all\), and \d+ KiB of it was waiting for you; disconnected\.$/,
      10_000,
    );
    await early.closed();
    late.resume();
    await late.next(new RegExp(`^Bo: ${i - 1} w+$`), 10_000);
    await late.ping();
    await a.unaffected();
  }, 30_000);
});

describe("rooms", () => {
  test("rooms filled with long lines to be replayed: what is held for joiners stays in its byte budget, evicted rooms replay from the file", async () => {
    // The attack: 5000 rooms × 21 lines × 4000 bytes held 954 MB for replay. Scaled: 40 rooms, a budget of 1 MiB.
    const budget = 1024 * 1024;
    const file = memoryStore(budget);
    const a = await arena({ history: file.history, limits: { linesPerSecond: 0, maxRoomsPerUser: 100 } });
    const mal = await a.t.join("Mal");
    const filler = "m".repeat(3990);
    for (let room = 0; room < 40; room++) {
      mal.send(`/join #fill${room}`);
      mal.write(Array.from({ length: 21 }, (_, i) => `${room}:${i}:${filler}\n`).join(""));
      mal.send("/ping filled");
      await mal.next("pong filled", 5000);
      expect(file.history.ringMemory).toBeLessThanOrEqual(budget);
    }
    await a.unaffected();
    // The first room's ring is long gone: a joiner is shown its lines from the file.
    a.ana.send("/join #fill0");
    await a.ana.seen(new RegExp(`^\\[\\d\\d:\\d\\d\\] Mal: 0:20:m+$`));
    expect(file.history.ringMemory).toBeLessThanOrEqual(budget);
  }, 20_000);

  test("join/part storms from many addresses: flooders throttled then dropped, bystanders hear none of it, no room is left behind", async () => {
    const a = await arena();
    const churners = await Promise.all(
      Array.from({ length: 20 }, (_, i) => Peer.join(a.t.port, `churn${i}`, "text", { from: `127.0.3.${i + 2}` })),
    );
    // Each writes 300 joins and parts of rooms of its own in one go: far past the flood backlog.
    for (const [i, p] of churners.entries()) {
      p.write(Array.from({ length: 150 }, (_, k) => `/join #c${i}-${k}\n/part\n`).join(""));
    }
    for (const p of churners) {
      await p.next(/^! More than 100 lines were waiting to be sent; disconnected for flooding\.$/, 5000);
      await p.closed();
    }
    await a.unaffected();
    for (const bystander of [a.ana, a.bo]) {
      expect(bystander.log.lines.filter((l) => l.includes("#c"))).toEqual([]);
    }
    expect(a.ana.log.all(/^<-- (churn\d+ left the chat|\d+ left the chat: churn)/).length).toBeGreaterThan(0);
    await until(() => a.t.server.hub.roomCount === 1); // only the lobby: every churned room went with its last member
  });

  test("a crowd filling the server's rooms: newcomers are told the bound and can use the rooms there are; freed when the crowd goes", async () => {
    const a = await arena({ limits: { maxRooms: 30 } });
    const crowd = await Promise.all(
      Array.from({ length: 10 }, (_, i) => Peer.join(a.t.port, `crowd${i}`, "text", { from: `127.0.4.${i + 2}` })),
    );
    for (const [i, p] of crowd.entries()) p.write(Array.from({ length: 5 }, (_, k) => `/join #r${i}-${k}\n`).join(""));
    for (const p of crowd) await p.seen(/^(In #r\d+-4 |! The server has 30 rooms)/);
    expect(a.t.server.hub.roomCount).toBe(30);
    a.ana.send("/join #mine");
    await a.ana.next("! The server has 30 rooms, the most it allows; join one of them.");
    a.ana.send("/join #r0-0");
    await a.ana.next(/^In #r0-0 \(2\)/);
    a.ana.send("/join #lobby");
    await a.ana.next(/^-- Your lines go to #lobby now\./);
    await a.unaffected();
    for (const p of crowd) p.close();
    await until(() => a.t.server.hub.roomCount === 2); // the lobby, and #r0-0 with Ana in it
    a.ana.send("/join #mine");
    await a.ana.next("In #mine (1): Ana");
  });
});

describe("faults", () => {
  test("a structured client that stops answering is pinged, dropped, and its leave announced once", async () => {
    const a = await arena({ limits: { pingIdleMs: 200, pingTimeoutMs: 200 }, sweepMs: 50 });
    const mal = await a.t.join("Mal", "json", false);
    await mal.event("ping");
    const error = await mal.event("error");
    expect(error).toMatchObject({ code: "ping-timeout" });
    await mal.closed();
    await a.ana.next("<-- Mal left the chat (timed out)");
    expect(a.ana.log.all(/Mal left/)).toHaveLength(1);
    await a.unaffected();
    const again = await a.t.join("Mal"); // the name is free again
    await again.ping();
  });

  test("a structured client that answers pings stays", async () => {
    const a = await arena({ limits: { pingIdleMs: 100, pingTimeoutMs: 200 }, sweepMs: 25 });
    const sam = await a.t.join("Sam", "json"); // answers each ping with an empty line
    for (let i = 0; i < 3; i++) await sam.event("ping");
    await sam.ping();
    expect(a.t.server.hub.find("Sam")).toBeDefined();
    expect(a.ana.log.all(/Sam left/)).toEqual([]);
    await a.unaffected();
  });

  test("a reset in the middle of a broadcast: no crash, a single leave", async () => {
    const a = await arena({ limits: { linesPerSecond: 0 } });
    const mal = await a.t.join("Mal");
    const victim = await a.t.join("Victim");
    victim.pause();
    for (let i = 0; i < 200; i++) mal.send(`${i} ${"z".repeat(2000)}`);
    victim.kill();
    await a.ana.seen("<-- Victim left the chat (disconnected)");
    await a.ana.next(/^Mal: 199 z+$/, 5000);
    expect(a.ana.log.all(/Victim left/)).toHaveLength(1);
    await a.unaffected();
  });

  test("quit from nc, which keeps its side open after Goodbye: the server's side is closed all the same", async () => {
    const a = await arena();
    const nc = await Peer.connect(a.t.port, "text", "nc", { keepOpen: true });
    nc.send("Nc");
    await nc.next(/^Hi Nc, you are in/);
    nc.send("quit");
    await nc.next("Goodbye, Nc!");
    await nc.closed(); // the server's FIN
    for (let i = 0; i < 100 && a.t.server.connections > 2; i++) await Bun.sleep(20);
    expect(a.t.server.connections).toBe(2); // Ana and Bo: nothing of nc's is held
    await a.unaffected();
    nc.close();
  });

  test("quit\\nhello\\n: hello is not broadcast", async () => {
    const a = await arena();
    const mal = await a.t.join("Mal");
    mal.write("quit\nhello\n");
    await mal.closed();
    await a.ana.next("<-- Mal left the chat (quit)");
    await a.unaffected();
    expect(a.ana.log.all("Mal: hello")).toEqual([]);
  });

  test("a reader that never reads while others chat: dropped at its outbox cap, nobody stalls", async () => {
    const a = await arena({ limits: { maxOutboxBytes: 64 * 1024, linesPerSecond: 0 } });
    const mal = await a.t.join("Mal");
    mal.pause();
    const filler = "w".repeat(4000);
    for (let i = 0; i < 1500 && !a.ana.log.lines.includes("<-- Mal left the chat (dropped: not reading)"); i++) {
      a.bo.send(`${i} ${filler}`);
      if (i % 25 === 24) await a.ana.next(new RegExp(`^Bo: ${i} w+$`), 5000);
    }
    await a.ana.seen("<-- Mal left the chat (dropped: not reading)", 5000);
    await a.unaffected();
  }, 20_000);
});

describe("password", () => {
  test("right password: then the name; wrong: told and closed; repeated wrong ones are slowed", async () => {
    const a = await arena({ password: "s3cret", limits: { attemptBurst: 2, attemptEveryMs: 400 } });
    const guess = async (password: string) => {
      const p = await Peer.connect(a.t.port, "text", "guesser");
      await p.next("This server needs a password:");
      p.send(password);
      return p;
    };
    for (let i = 0; i < 2; i++) {
      const p = await guess("wrong");
      await p.next("! Wrong password; closing the connection.");
      await p.closed();
    }
    const started = Date.now();
    const slowed = await guess("wrong again");
    await slowed.next(/^! Too many failed attempts from 127\.0\.0\.1; the next one is answered in 1 s\.$/);
    await slowed.next("! Wrong password; closing the connection.");
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    await slowed.closed();
    await a.unaffected();
  });
});

describe("TLS", () => {
  test("binary garbage instead of a ClientHello on the TLS port: handshake fails, logged, closed", async () => {
    const a = await arena({ tls: true }); // Ana and Bo chat over TLS
    const p = await Peer.connect(a.t.port, "text", "garbage");
    p.write(bytes(...Array.from({ length: 64 }, (_, i) => (i * 37 + 11) % 256)));
    await p.closed();
    expect(a.t.log.some((l) => /^! 127\.0\.0\.1:\d+: TLS handshake failed/.test(l))).toBe(true);
    expect(a.t.log.filter((l) => l.includes("joined"))).toHaveLength(2);
    await a.unaffected();
  });

  test("a flood of failed TLS handshakes: a few are logged, the rest summed up per network", async () => {
    const a = await arena({ tls: true, logWindowMs: 2000, sweepMs: 50 });
    const garbage = bytes(...Array.from({ length: 64 }, (_, i) => (i * 37 + 11) % 256));
    for (let round = 0; round < 5; round++) {
      const peers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          Peer.connect(a.t.port, "text", "garbage", { from: `127.0.2.${round * 20 + i + 2}` }),
        ),
      );
      for (const p of peers) p.write(garbage);
      for (const p of peers) await p.closed();
    }
    const summary = /^! (\d+) more failed TLS handshakes from 127\.0\.2\.0\/24 in the last \d+ s$/;
    for (let i = 0; i < 80 && !a.t.log.some((l) => summary.test(l)); i++) await Bun.sleep(50); // the window ends
    expect(a.t.log.filter((l) => /^! 127\.0\.2\.\d+:\d+: TLS handshake failed/.test(l))).toHaveLength(3);
    expect(a.t.log.filter((l) => summary.test(l))).toEqual([
      "! 97 more failed TLS handshakes from 127.0.2.0/24 in the last 2 s",
    ]);
    await a.unaffected();
  });

  test("a plain client on the TLS port: closed at once, and the server log says why", async () => {
    const a = await arena({ tls: true });
    const p = await Peer.connect(a.t.port, "text", "plain"); // no TLS
    p.send("Samantha"); // at least a TLS record header's worth (5 bytes): shorter waits for the deadline
    await p.closed();
    expect(p.log.lines.join("")).not.toContain("Welcome");
    expect(a.t.log.some((l) => /TLS handshake failed \(a plain-text client\?\)/.test(l))).toBe(true);
    await a.unaffected();
  });

  test("a client that does not trust the certificate fails its handshake; nobody else notices", async () => {
    const a = await arena({ tls: true });
    const tls = await testTls();
    const p = await Peer.connect(a.t.port, "text", "distrustful", { tls: { ca: tls.other.cert } });
    await p.closed();
    expect(p.log.lines).toEqual([]);
    await a.unaffected();
  });

  test("a handshake that never starts is reset after the handshake deadline, not held forever", async () => {
    const a = await arena({ tls: true, sweepMs: 50, limits: { handshakeTimeoutMs: 300 } });
    const p = await Peer.connect(a.t.port, "text", "silent"); // plain TCP: never sends a ClientHello
    expect(a.t.server.connections).toBe(3); // counted from the start, handshake or not
    await p.closed();
    await a.unaffected();
  });

  test("connections stuck in their handshake count against the per-address cap", async () => {
    const a = await arena({ tls: true, limits: { maxPerIp: 3 } }); // Ana and Bo are on 127.0.0.1
    const silent = await Promise.all(
      [1, 2, 3].map(() => Peer.connect(a.t.port, "text", "silent", { from: "127.0.0.2" })),
    );
    const late = await Peer.connect(a.t.port, "text", "late", { from: "127.0.0.2", tls: a.t.peerTls });
    await late.next(/^! Too many connections from 127\.0\.0\.2 \(the limit is 3\)/);
    await late.closed();
    for (const p of silent) p.close();
    await a.unaffected();
  });
});

describe("lines with identity", () => {
  /** An arena with history in a file (lines kept, found, changed), flood control as shipped. */
  async function keeping() {
    const file = memoryStore();
    return arena({ history: file.history, accounts: file.accounts, bans: file.bans, roomStore: file.roomStore });
  }

  test("a reaction storm on one line from many users: bounded per person and per line, each told why; bystanders chat on", async () => {
    const a = await keeping();
    a.ana.send("react to this");
    await a.bo.event("public", (e) => e.text === "react to this");
    const mals = await Promise.all(Array.from({ length: 8 }, (_, i) => a.t.join(`Mal${i}`)));
    const emoji = ["👍", "🎉", "😂", "👀", "🚀", "🔥", "💯", "🙏", "✅", "❌", "🤔", "❤️"];
    for (const mal of mals) for (const e of emoji) mal.send(`/react @Ana ${e}`);
    for (const mal of mals) await mal.next(/^! You have 5 reactions on that line already/);
    await a.unaffected();
    // Each holds 5 of them; the line holds at most 20 different ones.
    const line = (a.t.server.hub.history!.recent("#lobby", 5) as { event: { text: string; reactions?: { names: string[] }[] } }[]).find((k) => k.event.text === "react to this")!;
    const reactions = line.event.reactions ?? [];
    expect(reactions.length).toBeLessThanOrEqual(20);
    expect(reactions.reduce((n, r) => n + r.names.length, 0)).toBe(8 * 5);
  });

  test("reactions that are not one short emoji (a long ZWJ sequence, a paragraph, controls) are refused with why", async () => {
    const a = await keeping();
    const mal = await a.t.join("Mal");
    a.ana.send("hello");
    await mal.next("Ana: hello");
    mal.send(`/react ^ ${"👨‍👩‍👧‍👦".repeat(4)}`); // 25 bytes each
    await mal.next(/^! A reaction is one emoji or a short word, at most 32 bytes/);
    mal.send(`/react ^ ${"a".repeat(4000)}`);
    await mal.next(/^! A reaction is one emoji or a short word, at most 32 bytes/);
    mal.send("/react ^ \u202egnp.exe");
    await mal.next(/^! A reaction is one emoji or a short word/);
    await a.unaffected();
    expect(a.ana.log.all(/reacted/)).toEqual([]);
  });

  test("edits of 4096 bytes are taken like a line of 4096; one byte more is refused; nobody else's line can be edited", async () => {
    const a = await keeping();
    const mal = await a.t.join("Mal");
    mal.send("short");
    await a.ana.next("Mal: short");
    mal.send(`/edit ${"x".repeat(4096 - "/edit ".length)}`);
    await a.ana.next(new RegExp(`^-- Mal edited their line from \\d\\d:\\d\\d: x{${4096 - 6}}$`));
    mal.send(`/edit ${"y".repeat(4096)}`);
    await mal.next("! That line was longer than 4096 bytes; it was not sent.");
    mal.send("/edit @Ana mine now");
    await mal.next(/^! There is no such line|^! Ana has said nothing/);
    a.ana.send("mine");
    await mal.next("Ana: mine");
    mal.send("/edit @Ana mine now");
    await mal.next("! That line is Ana's: you can edit only your own.");
    await a.unaffected();
  });

  test("deletes of lines older than history keeps, of guessed ids, of others' lines: refused; an edit storm is paced like lines", async () => {
    const file = memoryStore();
    const a = await arena({ history: file.history, accounts: file.accounts, bans: file.bans, roomStore: file.roomStore, limits: { burstLines: 5, linesPerSecond: 5 } });
    const mal = await a.t.join("Mal");
    mal.send("/delete 1"); // the first line ever: long gone, or never Mal's to see
    await mal.next(/^! There is no such line/);
    mal.send("/delete 99999999");
    await mal.next(/^! There is no such line/);
    a.ana.send("keep this");
    await mal.next("Ana: keep this");
    mal.send("/delete @Ana");
    await mal.next(/^! That line is Ana's: only they/);
    mal.send("spam");
    await a.ana.next("Mal: spam");
    for (let i = 0; i < 30; i++) mal.send(`/edit spam ${i}`);
    await mal.next(/^! You are sending faster than 5 lines a second/); // edits are paced as lines are
    await a.unaffected();
    expect(a.ana.log.all(/deleted/)).toEqual([]);
  });
});
