// The server over real TCP, with peers in plain-text (nc) and structured (JSON) mode.

import { describe, expect, test } from "bun:test";
import { Peer } from "../helpers/peer.ts";
import { until } from "../helpers/until.ts";
import { testServer } from "../helpers/server.ts";
import type { Session } from "../../src/session/session.ts";

describe("joining", () => {
  test("a raw line client is greeted, asked for a name and told how to chat and who is online", async () => {
    const t = await testServer();
    const ana = await t.join("Ana");
    const sam = await t.connect("text", "Sam");
    await sam.next("Welcome to bunchat 0.1.0.");
    await sam.next("Enter your username:");
    sam.send("Sam");
    await sam.next("Hi Sam, you are in. Type a line and press Enter to send it to everyone.");
    for (const usage of ["/pm <user> <message>", "/users", "/help", "quit"]) await sam.next((l) => l.includes(usage));
    await sam.next("Online (2): Ana, Sam");
    await ana.next("--> Sam joined the chat");
    expect(t.log.some((l) => /^\+ Sam joined from 127\.0\.0\.1:\d+, 2 online$/.test(l))).toBe(true);
  });

  test("the joiner is not told of their own join", async () => {
    const t = await testServer();
    const sam = await t.join("Sam");
    await sam.ping();
    expect(sam.log.all(/joined the chat/)).toEqual([]);
  });

  test.each([
    ["Sam Smith", "spaces"],
    ["server", "reserved"],
    ["x".repeat(25), "at most 24"],
    ["\u001b[31mred", "control characters"],
  ])("an invalid name %p is refused (%s) and asked again", async (name, reason) => {
    const t = await testServer();
    const p = await t.connect();
    p.send(name);
    const error = await p.next(/^! /);
    expect(error).toContain(reason);
    expect(error).not.toContain("\u001b");
    await p.next("Enter your username:");
    p.send("Fine");
    await p.next(/^Hi Fine, you are in/);
  });

  test("commands before a name are refused; quit before a name says goodbye and closes", async () => {
    const t = await testServer();
    const p = await t.connect();
    p.send("/users");
    await p.next("! Choose a username first; commands work once you have joined.");
    p.send("quit");
    await p.next("Goodbye!");
    await p.closed();
  });
});

describe("messages", () => {
  test("a public line reaches every other user with the sender's name, and is not echoed to the sender", async () => {
    const t = await testServer();
    const [sam, ana, bo] = [await t.join("Sam"), await t.join("Ana"), await t.join("Bo", "json")];
    sam.send("hello everyone");
    await ana.next("Sam: hello everyone");
    const event = await bo.event("public");
    expect(event).toMatchObject({ from: "Sam", text: "hello everyone" });
    expect(typeof event.ts).toBe("number");
    await sam.ping();
    expect(sam.log.all(/hello everyone/)).toEqual([]);
    expect(t.log).toContain("[Broadcast message from Sam] hello everyone");
  });

  test("/pm reaches only its target, marked private; the server log does not hold its text", async () => {
    const t = await testServer();
    const [sam, eliya, ana, bo] = [
      await t.join("Sam"),
      await t.join("Eliya"),
      await t.join("Ana"),
      await t.join("Bo", "json"),
    ];
    eliya.send("/pm sam Hello!");
    await sam.next("[pm from Eliya] Hello!");
    await eliya.next("[pm to Sam] Hello!");
    await ana.ping();
    await bo.ping();
    expect(ana.log.all(/Hello!/)).toEqual([]);
    expect(bo.log.all(/Hello!/)).toEqual([]);
    expect(t.log).toContain("[Private message from Eliya to Sam]");
    expect(t.log.join("\n")).not.toContain("Hello!");
  });

  test("/pm in structured mode is a distinct event type", async () => {
    const t = await testServer();
    const [sam, eliya] = [await t.join("Sam", "json"), await t.join("Eliya", "json")];
    eliya.send("/pm Sam Hello!");
    expect(await sam.event("private")).toMatchObject({ from: "Eliya", text: "Hello!" });
    expect(await eliya.event("private-sent")).toMatchObject({ to: "Sam", text: "Hello!" });
  });

  test.each([
    ["/pm Nobody hi", '! No user named "Nobody" is online. /users shows who is.'],
    ["/pm Ana", "! Nothing to send to Ana. Usage: /pm <user> <message>"],
    ["/pm", "! Say who the message is for. Usage: /pm <user> <message>"],
    ["/pm Sam hi", "! You can't send a private message to yourself."],
  ])("%p gets an error that names the problem", async (line, error) => {
    const t = await testServer();
    const [sam, ana] = [await t.join("Sam"), await t.join("Ana")];
    sam.send(line);
    await sam.next(error);
    await ana.ping();
    expect(ana.log.all(/pm from/)).toEqual([]);
  });

  test("/users lists who is online; /help lists the commands", async () => {
    const t = await testServer();
    const sam = await t.join("Sam");
    await t.join("ana");
    sam.send("/users");
    await sam.next("In #lobby (2): ana, Sam");
    sam.send("/help");
    await sam.next("Commands:");
    await sam.next(/^ {2}\/pm <user> <message> +send a private message/);
  });

  test("an unknown command gets an error with a hint and is not broadcast", async () => {
    const t = await testServer();
    const [sam, ana] = [await t.join("Sam"), await t.join("Ana")];
    sam.send("/pmm Ana hi");
    await sam.next(/^! Unknown command "\/pmm"\. Did you mean \/pm\? \/help lists the commands/);
    await ana.ping();
    expect(ana.log.all(/pmm/)).toEqual([]);
  });

  test("// sends a message that starts with a slash", async () => {
    const t = await testServer();
    const [sam, ana] = [await t.join("Sam"), await t.join("Ana")];
    sam.send("//shrug");
    await ana.next("Sam: /shrug");
  });

  test("plain and structured users chat together", async () => {
    const t = await testServer();
    const [text, json] = [await t.join("Txt"), await t.join("Jsn", "json")];
    text.send("from text");
    json.send("from json");
    expect(await json.event("public")).toMatchObject({ from: "Txt", text: "from text" });
    await text.next("Jsn: from json");
  });
});

describe("more commands: /me, /reply, /nick, /away, /back, /help <command>", () => {
  test("/me is shown to everyone else as an action; empty /me is a usage error", async () => {
    const t = await testServer();
    const [sam, ana, bo] = [await t.join("Sam"), await t.join("Ana"), await t.join("Bo", "json")];
    sam.send("/me waves");
    await ana.next("* Sam waves");
    expect(await bo.event("action")).toMatchObject({ from: "Sam", text: "waves" });
    sam.send("/me   ");
    await sam.next(/^! Say what you are doing\. Usage: \/me <action>$/);
    expect(sam.log.all(/\* Sam waves/)).toEqual([]); // not echoed
  });

  test("/reply answers whoever last sent a pm; with nobody, or after they left, it says so", async () => {
    const t = await testServer();
    const [sam, ana, bo] = [await t.join("Sam"), await t.join("Ana"), await t.join("Bo")];
    sam.send("/reply anyone?");
    await sam.next("! Nobody has sent you a private message yet.");
    ana.send("/pm Sam lunch?");
    await sam.next("[pm from Ana] lunch?");
    bo.send("/pm Sam coffee?");
    await sam.next("[pm from Bo] coffee?");
    sam.send("/reply yes");
    await bo.next("[pm from Sam] yes");
    await sam.next("[pm to Bo] yes");
    await ana.ping();
    expect(ana.log.all(/yes/)).toEqual([]);
    bo.send("quit");
    await sam.next("<-- Bo left the chat (quit)");
    sam.send("/r still there?");
    await sam.next("! Bo is no longer online.");
  });

  test("/nick renames under the joining rules and tells everyone; the old name is free, the new one taken", async () => {
    const t = await testServer();
    const [sam, ana, bo] = [await t.join("Sam"), await t.join("Ana"), await t.join("Bo", "json")];
    sam.send("/nick Samuel");
    await ana.next("--- Sam is now known as Samuel");
    await sam.next("--- Sam is now known as Samuel");
    expect(await bo.event("rename")).toMatchObject({ from: "Sam", to: "Samuel" });
    sam.send("hi");
    await ana.next("Samuel: hi");
    sam.send("/nick ana");
    await sam.next('! The name "ana" is taken by Ana.');
    sam.send("/nick server");
    await sam.next(/^! The name "server" is reserved/);
    sam.send("/nick no spaces");
    await sam.next(/^! /);
    ana.send("/pm samuel found you");
    await sam.next("[pm from Ana] found you");
    const newcomer = await t.join("Sam"); // the old name is free again
    newcomer.send("/users");
    await newcomer.next("Online (4): Ana, Bo, Sam, Samuel");
    expect(t.log).toContain("~ Sam is now Samuel");
  });

  test("/away shows in /users and answers a pm with the reason; /back clears it", async () => {
    const t = await testServer();
    const [sam, ana] = [await t.join("Sam"), await t.join("Ana", "json")];
    ana.send("/away lunch");
    expect(await ana.event("away")).toEqual({ type: "away", reason: "lunch" });
    sam.send("/users");
    await sam.next("In #lobby (2): Ana (away: lunch), Sam");
    sam.send("/pm Ana you there?");
    await sam.next("[pm to Ana] you there?");
    await sam.next("Ana is away: lunch");
    expect(await ana.event("private")).toMatchObject({ from: "Sam", text: "you there?" });
    const late = await t.join("Late");
    expect(late.log.lines).toContain("Online (3): Ana (away: lunch), Late, Sam");
    ana.send("/back");
    expect(await ana.event("away")).toEqual({ type: "away", reason: null });
    sam.send("/pm Ana now?");
    await sam.next("[pm to Ana] now?");
    await sam.ping();
    expect(sam.log.all(/is away/)).toHaveLength(1);
  });

  test("/help <command> explains one command with an example", async () => {
    const t = await testServer();
    const sam = await t.join("Sam");
    sam.send("/help reply");
    await sam.next("/reply <message> (also /r): answer the last private message you got.");
    await sam.next(/^ {2}A private message to whoever last sent you one/);
    await sam.next("  Example: /reply on my way");
    sam.send("/help /nick");
    await sam.next(/^\/nick <new name> \(also \/name\): change your name\.$/);
    sam.send("/help nope");
    await sam.next('! There is no command "nope". /help lists them.');
  });
});

describe("delivery", () => {
  test("replies, private messages and broadcasts of one turn keep their order for each reader", async () => {
    const t = await testServer({ limits: { linesPerSecond: 0 } });
    const [bo, ana] = [await t.join("Bo"), await t.join("Ana")];
    // One write: Carl's join (a broadcast), a pm to Bo, a public line, a pm to Ana, and /users:
    // handled in one turn, and each reader must see its share in that order.
    const carl = await Peer.connect(t.port, "text", "Carl");
    carl.write("Carl\n/pm Bo first\nsecond\n/pm Ana third\n/users\n");
    for (const p of [bo, ana]) await p.seen("Carl: second");
    await carl.next(/^Online \(3\): /);
    const order = (p: Peer, lines: (string | RegExp)[]) =>
      lines.map((l) => p.log.lines.findLastIndex((x) => (typeof l === "string" ? x === l : l.test(x))));
    // Joins close together are announced together ("--> 2 joined the chat: Ana, Carl"), but always
    // before the newcomer is heard from.
    const carlJoined = /^--> (Carl joined the chat|\d+ joined the chat: .*\bCarl\b)/;
    const bos = order(bo, [carlJoined, "[pm from Carl] first", "Carl: second"]);
    const anas = order(ana, [carlJoined, "Carl: second", "[pm from Carl] third"]);
    for (const idx of [bos, anas]) {
      expect(idx.every((i) => i >= 0)).toBe(true);
      expect(idx).toEqual([...idx].sort((x, y) => x - y));
    }
    const mine = order(carl, ["[pm to Bo] first", "[pm to Ana] third", "In #lobby (3): Ana, Bo, Carl"]);
    expect(mine).toEqual([...mine].sort((x, y) => x - y));
    expect(carl.log.lines).not.toContain("Carl: second"); // not echoed
    carl.close();
  });

  test("a reader that stops reading for a while still gets every message, in order, once it reads again", async () => {
    // This test is about order, not the caps: no outbox cap, no flood control.
    const t = await testServer({ limits: { maxOutboxBytes: 64 * 1024 * 1024, linesPerSecond: 0 } });
    const [sam, ana, bo] = [await t.join("Sam"), await t.join("Ana"), await t.join("Bo")];
    ana.pause();
    const filler = "x".repeat(4000);
    // 8 MB: loopback kernel buffers hold about 4 MB here, so Bun's write() must come up short.
    const count = 2000;
    for (let i = 0; i < count; i++) sam.send(`${i} ${filler}`);
    sam.send("last");
    await bo.next("Sam: last", 10_000); // the others are not held up meanwhile
    ana.resume();
    await ana.next("Sam: last", 10_000);
    const got = ana.log.all(/^Sam: \d+ x+$/).map((l) => Number(l.split(" ")[1]));
    expect(got).toEqual(Array.from({ length: count }, (_, i) => i));
  }, 20_000);

  test("a reader that never reads is dropped at its outbox cap; everyone else gets everything", async () => {
    const t = await testServer({ limits: { maxOutboxBytes: 256 * 1024, linesPerSecond: 0 } });
    const [sam, ana, bo] = [await t.join("Sam"), await t.join("Ana"), await t.join("Bo")];
    ana.pause();
    const filler = "x".repeat(4000);
    const count = 2500; // 10 MB: kernel buffers (~4 MB) plus the 256 KiB cap can't hold it
    // Paced in 100 KB batches behind a reader that keeps up, as chat is; a single 10 MB burst
    // would put any reader more than 256 KiB behind for a moment (flood control, off here so
    // that 10 MB can be sent at all, keeps real senders far below that).
    for (let i = 0; i < count; i++) {
      sam.send(`${i} ${filler}`);
      if (i % 25 === 24) await bo.next(new RegExp(`^Sam: ${i} x+$`), 10_000);
    }
    sam.send("last");
    await sam.next("<-- Ana left the chat (dropped: not reading)", 10_000);
    await bo.next("Sam: last", 10_000);
    // A leave can be announced a moment after lines said since: leaves close together go out together.
    await bo.seen("<-- Ana left the chat (dropped: not reading)");
    expect(bo.log.all("<-- Ana left the chat (dropped: not reading)")).toHaveLength(1);
    const got = bo.log.all(/^Sam: \d+ x+$/).map((l) => Number(l.split(" ")[1]));
    expect(got).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(bo.log.all(/Bo left/)).toEqual([]);
    expect(t.server.hub.find("Ana")).toBeUndefined();
    expect(t.log.some((l) => l.startsWith("- Ana left (dropped: not reading)"))).toBe(true);
    // Once it reads again it finds the end of the stream: the server holds nothing more for it.
    ana.resume();
    await ana.closed(10_000);
  }, 20_000);
});

describe("connection limits", () => {
  test("past --max-per-ip a new connection gets one line saying why, then is closed", async () => {
    const t = await testServer({ limits: { maxPerIp: 2 } });
    const sam = await t.join("Sam");
    await t.join("Ana");
    const third = await t.connect("text", "third");
    await third.next("! Too many connections from 127.0.0.1 (the limit is 2); close one and try again.");
    await third.closed();
    expect(third.log.all(/Welcome/)).toEqual([]);
    sam.send("quit");
    await sam.closed();
    await until(() => t.server.connections === 1);
    const fourth = await t.join("Dee"); // a slot is free again
    await fourth.ping();
  });

  test("past --max-clients a new connection is told the server is full", async () => {
    const t = await testServer({ limits: { maxClients: 1 } });
    await t.join("Sam");
    const second = await t.connect("json", "second");
    await second.next("! The server is full (1 connections); try again later.");
    await second.closed();
  });

});

describe("leaving", () => {
  test("quit says goodbye, closes, and everyone else is told once", async () => {
    const t = await testServer();
    const [sam, ana] = [await t.join("Sam"), await t.join("Ana")];
    sam.send("quit");
    await sam.next("Goodbye, Sam!");
    await sam.closed();
    await ana.next("<-- Sam left the chat (quit)");
    await ana.ping();
    expect(ana.log.all(/left the chat/)).toHaveLength(1);
    expect(t.server.hub.find("Sam")).toBeUndefined();
  });

  test("/quit and /exit work like quit", async () => {
    const t = await testServer();
    const [sam, bo] = [await t.join("Sam"), await t.join("Bo")];
    sam.send("/quit");
    await sam.next("Goodbye, Sam!");
    bo.send("/exit");
    await bo.next("Goodbye, Bo!");
    await bo.closed();
  });

  test("an abrupt disconnect (reset) removes the user and is announced exactly once", async () => {
    const t = await testServer();
    const [sam, ana] = [await t.join("Sam"), await t.join("Ana")];
    sam.kill();
    await ana.next("<-- Sam left the chat (disconnected)");
    await ana.ping();
    expect(ana.log.all(/Sam left/)).toHaveLength(1);
    ana.send("/users");
    await ana.next("In #lobby (1): Ana");
    // The name is free again.
    await t.join("Sam");
  });

  test("a structured client with a wrong protocol version is told why and closed", async () => {
    const t = await testServer();
    const p = await t.connect("text");
    p.send('{"type":"hello","proto":99}');
    const line = await p.next((l) => l.startsWith("{") && l.includes("error"));
    expect(JSON.parse(line)).toMatchObject({ type: "error", code: "bad-hello" });
    await p.closed();
  });
});

describe("shutdown", () => {
  test("every client gets the notice, then the connection closes; shutdown resolves", async () => {
    const t = await testServer();
    const [sam, bo] = [await t.join("Sam"), await t.join("Bo", "json")];
    const naming = await t.connect();
    await naming.next("Enter your username:");
    await t.server.shutdown();
    await sam.next("!! The server is shutting down. Goodbye!");
    await bo.event("shutdown");
    await naming.next("!! The server is shutting down. Goodbye!");
    for (const p of [sam, bo, naming]) await p.closed();
    expect(sam.log.all(/left the chat/)).toEqual([]);
  });

  test("a client that never reads does not hold shutdown past the grace period; one that reads is told and closed", async () => {
    const t = await testServer({ limits: { shutdownGraceMs: 300, linesPerSecond: 0 } });
    const [sam, ana, bo] = [await t.join("Sam"), await t.join("Ana"), await t.join("Bo")];
    // Sam stops reading, and Bo talks until the kernel's buffers are full and Sam's outbox holds
    // the rest (less than its 1 MiB bound, past which Sam would be dropped): his shutdown notice
    // can't go out. Only the grace period ends his wait. (The kernel's buffers vary: 200 KB at a
    // time, up to 20 MB, not a fixed amount that one machine's buffers might swallow whole.)
    sam.pause();
    const stuck = (t.server.hub.find("Sam")!.devices[0] as Session).outbox;
    const filler = "x".repeat(4000);
    let said = 0;
    for (let batch = 0; batch < 100 && stuck.queuedBytes === 0; batch++) {
      for (let i = 0; i < 50; i++) bo.send(`${said++} ${filler}`);
      await ana.seen(new RegExp(`^Bo: ${said - 1} x+$`), 10_000);
    }
    expect(stuck.queuedBytes).toBeGreaterThan(0);
    const started = Date.now();
    await t.server.shutdown();
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(300); // the grace period mattered: Sam was really stuck
    expect(took).toBeLessThan(2000);
    await ana.seen("!! The server is shutting down. Goodbye!");
    await ana.closed();
    sam.resume();
    await sam.closed(5000);
    expect(sam.log.lines).not.toContain("!! The server is shutting down. Goodbye!");
  });
});

describe("password", () => {
  test("plain: asked before the name; the right one lets you choose a name", async () => {
    const t = await testServer({ password: "correct horse" });
    const p = await t.connect();
    await p.next("This server needs a password:");
    p.send("correct horse");
    await p.next("Enter your username:");
    p.send("Sam");
    await p.next(/^Hi Sam, you are in/);
    expect(t.log.join("\n")).not.toContain("correct horse");
  });

  test("structured: the hello says so, then ask-password; a wrong one is refused and closed", async () => {
    const t = await testServer({ password: "pw" });
    const p = await t.connect("json");
    expect(await p.event("hello")).toMatchObject({ password: true });
    await p.event("ask-password");
    p.send("nope");
    expect(await p.event("error")).toMatchObject({ code: "bad-password" });
    await p.closed();
    expect(t.server.hub.size).toBe(0);
  });

  test("without a password the hello says none is needed", async () => {
    const t = await testServer();
    const p = await t.connect("json");
    expect(await p.event("hello")).toMatchObject({ password: false, burstLines: 10, linesPerSecond: 5 });
    await p.event("ask-name");
  });
});
