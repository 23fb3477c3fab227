// Messages of several lines (issue 33) through real sockets: sent as {"type":"line"} by a structured
// client (the page, the terminal client), by an IRC client's draft/multiline batch, and by the HTTP
// API (test/web/api.test.ts); shown whole to JSON, under one prefix to nc, as a batch or line by
// line to IRC; kept whole; bounded in bytes and lines, refused with the reason beyond.

import { describe, expect, test } from "bun:test";
import { memoryStore } from "../helpers/accounts.ts";
import { testServer } from "../helpers/server.ts";

const line = (text: string) => JSON.stringify({ type: "line", text });

describe("messages of several lines", () => {
  test("a JSON line's text with newlines: whole to JSON users, under one prefix to nc, one line per line of it to IRC without draft/multiline, a batch with it", async () => {
    const t = await testServer({ irc: true, limits: { linesPerSecond: 0 } });
    const sam = await t.join("Sam", "json");
    const ana = await t.join("Ana", "json");
    const nc = await t.join("Cy");
    const plain = await t.irc("kim", ["message-tags", "server-time"]);
    const multi = await t.irc("lee", ["message-tags", "server-time", "batch", "draft/multiline"]);
    for (const irc of [plain, multi]) {
      irc.send("JOIN #lobby");
      await irc.seen(/ 366 \S+ #lobby /);
    }
    sam.send(line("Traceback (most recent call last):\n  File \"x.py\", line 3\n\n    boom()\n"));
    const got = await ana.event("public");
    expect(got.text).toBe('Traceback (most recent call last):\n  File "x.py", line 3\n\n    boom()'); // trailing blank line gone
    // nc: one prefix, each further line indented under the text (no line of it can pass for someone's).
    await nc.next("Sam: Traceback (most recent call last):");
    await nc.next('       File "x.py", line 3');
    await nc.next("     ");
    await nc.next("         boom()");
    // IRC without draft/multiline: each line that is not blank, the first with the message's id, the time on each.
    const first = await plain.next(/PRIVMSG #lobby :Traceback/);
    expect(first).toContain(`msgid=${got.id}`);
    const second = await plain.next(/PRIVMSG #lobby :  File "x.py", line 3$/);
    expect(second).toMatch(/^@time=\S+ :Sam!/);
    expect(second).not.toContain("msgid");
    await plain.next(/PRIVMSG #lobby :    boom\(\)$/);
    // With it: one batch, its start tagged with the id; a blank line kept inside it.
    const start = await multi.next(/ BATCH \+\S+ draft\/multiline #lobby$/);
    expect(start).toContain(`msgid=${got.id}`);
    const ref = /BATCH \+(\S+)/.exec(start)![1]!;
    expect(await multi.next(/PRIVMSG/)).toBe(`@batch=${ref} :Sam!Sam@bunchat PRIVMSG #lobby :Traceback (most recent call last):`);
    expect(await multi.next(/PRIVMSG/)).toBe(`@batch=${ref} :Sam!Sam@bunchat PRIVMSG #lobby :  File "x.py", line 3`);
    expect(await multi.next(/PRIVMSG/)).toBe(`@batch=${ref} :Sam!Sam@bunchat PRIVMSG #lobby :`);
    expect(await multi.next(/PRIVMSG/)).toBe(`@batch=${ref} :Sam!Sam@bunchat PRIVMSG #lobby :    boom()`);
    await multi.next(`:Sam!Sam@bunchat BATCH -${ref}`);
  });

  test("/pm, /me, /answer and /edit take several lines too; a quote of one is one line", async () => {
    const t = await testServer({ history: memoryStore().history, limits: { linesPerSecond: 0 } });
    const sam = await t.join("Sam", "json");
    const ana = await t.join("Ana", "json");
    const nc = await t.join("Cy");
    sam.send(line("/pm Ana one\ntwo"));
    expect((await ana.event("private")).text).toBe("one\ntwo");
    sam.send(line("/me looks\nagain"));
    expect((await ana.event("action")).text).toBe("looks\nagain");
    await nc.next("* Sam looks");
    await nc.next("      again");
    sam.send(line("/answer ^ first\nsecond"));
    const answer = await ana.event("public", (e) => e.reply !== undefined);
    expect(answer.text).toBe("first\nsecond");
    expect(answer.reply!.text).toBe("looks again"); // the quote: on one line
    sam.send(line("/edit now\nthree\nlines"));
    expect((await ana.event("edit")).text).toBe("now\nthree\nlines");
    await nc.next(/^-- Sam edited their line from \d\d:\d\d: now$/);
    await nc.next(/^ {20,}three$/);
  });

  test("bounded: more lines or bytes than the server takes are refused with both numbers, and nothing is said; a typed line stays at 4096 bytes", async () => {
    const t = await testServer({ limits: { linesPerSecond: 0, maxMessageLines: 5, maxMessageBytes: 5000 } });
    const sam = await t.join("Sam", "json");
    const ana = await t.join("Ana", "json");
    sam.send(line("1\n2\n3\n4\n5\n6"));
    expect((await sam.event("error")).message).toBe("That message has 6 lines; this server takes at most 5 in one message. It was not sent.");
    sam.send(line(`${"x".repeat(3000)}\n${"y".repeat(3000)}`));
    expect((await sam.event("error", (e) => e.message.includes("bytes"))).message).toBe("That message is 6001 bytes; this server takes at most 5000 in one message. It was not sent.");
    sam.send("z".repeat(4097)); // not a JSON line: one typed line's limit
    expect((await sam.event("error", (e) => e.message.includes("4096"))).code).toBe("line-too-long");
    sam.send(line("1\n2\n3\n4\n5"));
    expect((await ana.event("public")).text).toBe("1\n2\n3\n4\n5");
    // The hello says the bounds, for clients to check before sending.
    const hello = await t.connect("json");
    hello.send('{"type":"hello","proto":1}');
    expect(await hello.event("hello")).toMatchObject({ maxLineBytes: 4096, maxMessageBytes: 5000, maxMessageLines: 5 });
  });

  test("a plain-text connection's line never has several: {\"type\":\"line\"} from nc is text, and a CR is not a line break", async () => {
    const t = await testServer({ limits: { linesPerSecond: 0 } });
    const nc = await t.join("Cy");
    const ana = await t.join("Ana", "json");
    nc.send(line("a\nb"));
    expect((await ana.event("public")).text).toBe('{"type":"line","text":"a\\nb"}');
    nc.send("one\rtwo");
    expect((await ana.event("public", (e) => e.text.startsWith("one"))).text).toBe("onetwo");
  });

  test("an IRC client's formatting codes reach the others as Markdown: the page and the client show it, nc reads it, other IRC clients get the codes", async () => {
    const t = await testServer({ irc: true, limits: { linesPerSecond: 0 } });
    const ana = await t.join("Ana", "json");
    const nc = await t.join("Cy");
    const irc = await t.irc("kim");
    const other = await t.irc("lee");
    for (const c of [irc, other]) {
      c.send("JOIN #lobby");
      await c.seen(/ 366 \S+ #lobby /);
    }
    irc.send("PRIVMSG #lobby :\u0002ship\u0002 it \u00034now\u0003");
    expect((await ana.event("public")).text).toBe("**ship** it now");
    await nc.seen("kim: **ship** it now");
    await other.seen(":kim!kim@bunchat PRIVMSG #lobby :\u0002ship\u0002 it now");
  });

  test("IRC draft/multiline: a batch is one message (concat pieces joined, blank lines kept) for everyone; refused batches say why", async () => {
    const t = await testServer({ irc: true, limits: { linesPerSecond: 0, maxMessageLines: 3, maxMessageBytes: 4096 } });
    const ana = await t.join("Ana", "json");
    const irc = await t.irc("kim", ["message-tags", "batch", "draft/multiline", "echo-message", "labeled-response"]);
    irc.send("CAP LS 302");
    await irc.seen(/CAP kim LS :.*draft\/multiline=max-bytes=4096,max-lines=3/);
    irc.send("JOIN #lobby");
    await irc.seen(/ 366 kim #lobby /);
    irc.send("@label=x1 BATCH +b1 draft/multiline #lobby");
    irc.send("@batch=b1 PRIVMSG #lobby :hello");
    irc.send("@batch=b1 PRIVMSG #lobby :#how is ");
    irc.send("@batch=b1;draft/multiline-concat PRIVMSG #lobby :everyone?");
    irc.send("BATCH -b1");
    const said = await ana.event("public");
    expect(said).toMatchObject({ from: "kim", text: "hello\n#how is everyone?" });
    // Its echo: the batch with the label on its start, the pieces as sent.
    const start = await irc.next(/ BATCH \+\S+ draft\/multiline #lobby$/);
    expect(start).toMatch(/^@label=x1;/);
    await irc.next(/^@batch=\S+ :kim!\S+ PRIVMSG #lobby :hello$/);
    await irc.next(/^@batch=\S+ :kim!\S+ PRIVMSG #lobby :#how is $/);
    await irc.next(/^@batch=\S+;draft\/multiline-concat :kim!\S+ PRIVMSG #lobby :everyone\?$/);
    // Past the bounds, a concat on a blank line, a batch tag that is not open: FAIL BATCH, nothing said.
    irc.send("BATCH +b2 draft/multiline #lobby");
    for (let i = 0; i < 4; i++) irc.send(`@batch=b2 PRIVMSG #lobby :line ${i}`);
    irc.send("BATCH -b2");
    await irc.seen(/FAIL BATCH MULTILINE_MAX_LINES 3 :/);
    irc.send("BATCH +b3 draft/multiline #lobby");
    irc.send("@batch=b3 PRIVMSG #lobby :hi");
    irc.send("@batch=b3;draft/multiline-concat PRIVMSG #lobby :");
    await irc.seen(/FAIL BATCH MULTILINE_INVALID :A blank line can't continue/);
    irc.send("@batch=zz PRIVMSG #lobby :stray");
    await irc.seen(/FAIL BATCH MULTILINE_INVALID :There is no batch zz open/);
    irc.send("BATCH +b4 draft/multiline #lobby");
    irc.send(`@batch=b4 PRIVMSG #lobby :${"x".repeat(3000)}`);
    irc.send(`@batch=b4 PRIVMSG #lobby :${"x".repeat(1200)}`);
    await irc.seen(/FAIL BATCH MULTILINE_MAX_BYTES 4096 :/);
    irc.send("BATCH -b4");
    irc.send("PRIVMSG #lobby :after");
    expect((await ana.event("public", (e) => e.from === "kim" && e.text !== said.text)).text).toBe("after");
  });
});
