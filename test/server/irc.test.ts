// The IRC door through real sockets: registration (CAP, PASS, NICK, USER, SASL), a room shared with
// nc and JSON users in both directions, private messages, nick changes, topics, NAMES/WHO/WHOIS,
// away, moderation as KICK and MODE, and IRC's own errors.

import { describe, expect, test } from "bun:test";
import { fakeClock } from "../helpers/clock.ts";
import { loggedIn, memoryStore } from "../helpers/accounts.ts";
import type { Peer } from "../helpers/peer.ts";
import { testRedis } from "../helpers/redis.ts";
import { testNode, testServer } from "../helpers/server.ts";
import { until } from "../helpers/until.ts";

const irc = (options: Parameters<typeof testServer>[0] = {}) => testServer({ irc: true, limits: { linesPerSecond: 0 }, ...options });

describe("IRC door: registration", () => {
  test("NICK and USER get 001-005 (ISUPPORT), LUSERS and the MOTD; the user is online for everyone", async () => {
    const t = await irc();
    const sam = await t.join("Sam");
    const p = await t.ircConnect();
    p.send("NICK Ana\r\nUSER ana 0 * :Ana A");
    await p.seen(/^:bunchat 001 Ana :Welcome to bunchat, Ana!/);
    const isupport = (await p.seen(/^:bunchat 005 Ana /)) + (p.log.lines.filter((l) => / 005 /.test(l)).join(" "));
    for (const token of ["CASEMAPPING=", "CHANTYPES=#", "PREFIX=", "CHANMODES=", "NICKLEN=24", "CHANNELLEN=", "NETWORK=bunchat"]) {
      expect(isupport).toContain(token);
    }
    await p.seen(/^:bunchat 251 Ana :There are 2 users and 0 invisible/);
    await p.seen(/^:bunchat 372 Ana :- .*a longer one is refused: 417/); // as it is: not cut
    await p.seen(/^:bunchat 376 Ana :End of \/MOTD command$/);
    p.send("MODE Ana +i\r\nLUSERS");
    await p.seen(/^:bunchat 251 Ana :There are 1 users and 1 invisible on 1 server$/);
    sam.send("/whois Ana");
    await sam.seen("-- Ana is a guest, online.");
  });

  test("a nick outside bunchat's rules gets 432 with the reason; a taken one 433; then another works", async () => {
    const t = await irc();
    await t.join("Sam");
    const p = await t.ircConnect();
    p.send("NICK b@d\r\nUSER x 0 * :x");
    await p.seen(/^:bunchat 432 \* b@d :A username may contain only letters/);
    p.send("NICK sam");
    await p.seen(/^:bunchat 433 \* sam :Nickname is already in use$/);
    p.send("NICK Kim");
    await p.seen(/^:bunchat 001 Kim /);
  });

  test("CAP LS 302 lists the capabilities; REQ and END; registration waits for END", async () => {
    const t = await irc({ ...memoryParts() });
    const p = await t.ircConnect();
    p.send("CAP LS 302\r\nNICK Ana\r\nUSER ana 0 * :Ana");
    const ls = await p.seen(/^:bunchat CAP \* LS :/);
    for (const cap of ["server-time", "echo-message", "multi-prefix", "invite-notify", "sasl=PLAIN", "message-tags", "labeled-response", "batch", "draft/message-redaction"]) {
      expect(ls).toContain(cap);
    }
    p.send("CAP REQ :server-time echo-message");
    await p.seen(/^:bunchat CAP \S+ ACK :server-time echo-message$/);
    p.send("CAP REQ :no-such-cap");
    await p.seen(/^:bunchat CAP \S+ NAK :no-such-cap$/);
    await sync(p);
    expect(p.log.lines.some((l) => / 001 /.test(l))).toBe(false);
    p.send("CAP END");
    await p.seen(/^:bunchat 001 Ana /);
  });

  test("a server password: PASS lets in; without it 464 and closed", async () => {
    const t = await irc({ password: "sesame" });
    const bad = await t.ircConnect();
    bad.send("NICK Bo\r\nUSER bo 0 * :Bo");
    await bad.seen(/^:bunchat 464 Bo :Password incorrect$/);
    await bad.closed();
    const good = await t.ircConnect();
    good.send("PASS sesame\r\nNICK Bo\r\nUSER bo 0 * :Bo");
    await good.seen(/^:bunchat 001 Bo /);
  });

  test("a registered name wants its password: SASL PLAIN logs in; without it 433 says why; a wrong SASL password 904", async () => {
    const t = await irc(memoryParts());
    (await loggedIn(t, "Sam")).send("quit");
    const guest = await t.ircConnect();
    guest.send("NICK Sam\r\nUSER s 0 * :s");
    await guest.seen(/^:bunchat 433 \* Sam :Sam is a registered name: log in with SASL/);
    const wrong = await t.ircConnect();
    wrong.send("CAP REQ :sasl\r\nNICK Sam\r\nUSER s 0 * :s\r\nAUTHENTICATE PLAIN");
    await wrong.seen("AUTHENTICATE +");
    wrong.send(`AUTHENTICATE ${btoa("\0Sam\0wrong-horse")}`);
    await wrong.seen(/^:bunchat 904 /);
    const p = await t.ircConnect();
    p.send("CAP REQ :sasl\r\nNICK sam\r\nUSER s 0 * :s\r\nAUTHENTICATE PLAIN");
    await p.seen("AUTHENTICATE +");
    p.send(`AUTHENTICATE ${btoa("\0Sam\0correct-horse")}`);
    await p.seen(/^:bunchat 900 \S+ \S+ Sam :You are now logged in as Sam$/);
    await p.seen(/^:bunchat 903 /);
    p.send("CAP END");
    await p.seen(/^:bunchat 001 Sam /);
    p.send("AUTHENTICATE PLAIN"); // after registration: not offered, as IRCv3 allows
    await p.seen(":bunchat 462 Sam :You may not reregister: SASL is for while connecting");
    expect(t.log.join("\n")).not.toContain("horse");
    const odd = await t.ircConnect();
    odd.send("CAP REQ :sasl\r\nNICK Kim\r\nUSER k 0 * :k\r\nAUTHENTICATE FOO");
    await odd.next(":bunchat 908 Kim PLAIN :are available SASL mechanisms");
    await odd.next(/^:bunchat 904 Kim :SASL authentication failed/);
    odd.send(`AUTHENTICATE PLAIN\r\nAUTHENTICATE ${"A".repeat(401)}`);
    await odd.next(":bunchat 905 Kim :SASL message too long: 400 bytes a line at most");
  });

  test("PASS carries a registered name's password when the server has none (a wrong one: 433 says so)", async () => {
    const t = await irc(memoryParts());
    (await loggedIn(t, "Sam")).send("quit");
    const wrong = await t.ircConnect();
    wrong.send("PASS wrong-horse\r\nNICK Sam\r\nUSER s 0 * :s");
    await wrong.seen(/^:bunchat 433 \* Sam :Sam is a registered name and that password is not its/);
    const p = await t.ircConnect();
    p.send("PASS correct-horse\r\nNICK Sam\r\nUSER s 0 * :s");
    await p.seen(/^:bunchat 001 Sam /);
  });

  test("IRC over TLS (--irc-tls-port, the certificate of --tls-cert) beside plain IRC", async () => {
    const t = await irc({ tls: true });
    const secure = await t.ircConnect("tls", true);
    secure.send("NICK Tee\r\nUSER t 0 * :t");
    await secure.seen(/^:bunchat 001 Tee /);
    const plain = await t.ircConnect();
    plain.send("NICK Pat\r\nUSER p 0 * :p\r\nJOIN #dev");
    await plain.seen(/ 366 Pat #dev /);
    secure.send("JOIN #dev\r\nPRIVMSG #dev :over TLS");
    await plain.seen(":Tee!Tee@bunchat PRIVMSG #dev :over TLS");
  });

  test("commands before registering get 451; PING is answered", async () => {
    const t = await irc();
    const p = await t.ircConnect();
    p.send("JOIN #dev\r\nPING :abc");
    await p.seen(/^:bunchat 451 \* :You have not registered$/);
    await p.seen(/^:bunchat PONG bunchat :abc$/);
  });
});

describe("IRC door: one room for everyone", () => {
  test("JOIN: the JOIN, topic and NAMES; lines both ways with nc and JSON users; /me as ACTION", async () => {
    const t = await irc();
    const sam = await t.join("Sam");
    const bo = await t.join("Bo", "json");
    sam.send("/join #dev");
    sam.send("/topic builds and coffee");
    await sam.seen("--- Sam set the topic: builds and coffee");
    bo.send("/join #dev");
    await bo.event("room");
    const ana = await t.irc("Ana");
    ana.send("JOIN #dev");
    await ana.seen(":Ana!Ana@bunchat JOIN #dev");
    await ana.seen(":bunchat 332 Ana #dev :builds and coffee");
    await ana.seen(/^:bunchat 333 Ana #dev Sam!Sam@bunchat \d+$/); // a mask, so clients don't show "by Sam []"
    await ana.seen(/^:bunchat 353 Ana = #dev :(?=.*\bAna\b)(?=.*\bBo\b)(?=.*\bSam\b)/);
    await ana.seen(":bunchat 366 Ana #dev :End of /NAMES list");
    await sam.seen(/^--> .*joined the chat.*\bAna\b|^--> Ana joined the chat$/); // #dev is Sam's current room
    ana.send("PRIVMSG #dev :hello from irssi");
    await sam.seen("Ana: hello from irssi");
    expect((await bo.event("public")).text).toBe("hello from irssi");
    sam.send("hi Ana");
    await ana.seen(":Sam!Sam@bunchat PRIVMSG #dev :hi Ana");
    bo.send("/me waves");
    await ana.seen(":Bo!Bo@bunchat PRIVMSG #dev :\u0001ACTION waves\u0001");
    ana.send("PRIVMSG #dev :\u0001ACTION nods\u0001");
    await sam.seen("* Ana nods");
    expect(ana.log.lines.filter((l) => l.includes("hello from irssi"))).toEqual([]); // no echo without echo-message
  });

  test("echo-message and server-time: the sender sees its own line, and every line carries its time", async () => {
    const t = await irc();
    const sam = await t.join("Sam");
    sam.send("/join #dev");
    const ana = await t.irc("Ana", ["echo-message", "server-time"]);
    ana.send("JOIN #dev");
    await ana.seen(/ 366 /);
    ana.send("PRIVMSG #dev :mine");
    await ana.seen(/^@time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z :Ana!Ana@bunchat PRIVMSG #dev :mine$/);
    sam.send("yours");
    await ana.seen(/^@time=\S+ :Sam!Sam@bunchat PRIVMSG #dev :yours$/);
  });

  test("away-notify: someone sharing a room goes away and comes back, told once however many rooms are shared", async () => {
    const t = await irc();
    const sam = await t.join("Sam");
    const ana = await t.irc("Ana", ["away-notify"]);
    for (const room of ["#dev", "#ops"]) {
      sam.send(`/join ${room}`);
      await sam.seen(`In ${room} (1): Sam`);
      ana.send(`JOIN ${room}`);
      await ana.seen(new RegExp(` 366 Ana ${room} `));
    }
    sam.send("/away lunch");
    await ana.seen(":Sam!Sam@bunchat AWAY :lunch");
    sam.send("/back");
    await ana.seen(":Sam!Sam@bunchat AWAY");
    await sync(ana);
    expect(ana.log.lines.filter((l) => /^:\S+ AWAY( |$)/.test(l)).length).toBe(2);
  });

  test("a quit reaches an IRC client as one QUIT however many channels are shared; an operator's kick as KICK", async () => {
    const t = await irc();
    const sam = await t.join("Sam");
    const bo = await t.join("Bo");
    const ana = await t.irc("Ana");
    for (const room of ["#dev", "#ops"]) {
      sam.send(`/join ${room}`); // Sam makes them: an operator there while in them
      await sam.seen(`In ${room} (1): Sam`);
    }
    for (const room of ["#lobby", "#dev", "#ops"]) {
      ana.send(`JOIN ${room}`);
      await ana.seen(new RegExp(` 366 Ana ${room} `));
    }
    sam.send("/kick Ana being tested"); // from #ops, Sam's current room
    await ana.seen(/^:Sam!Sam@[^ ]+ KICK #ops Ana :being tested$/);
    sam.send("quit");
    await ana.seen(":Sam!Sam@bunchat QUIT :quit");
    await sync(ana);
    expect(ana.log.lines.filter((l) => / QUIT /.test(l))).toHaveLength(1); // #lobby and #dev shared: once
    await bo.ping();
  });

  test("a JOIN says what it can't: an away joiner is followed by AWAY (away-notify), an admin by MODE +o", async () => {
    const file = memoryStore();
    const t = await irc({ history: file.history, accounts: file.accounts, admins: ["Sam"] });
    const ana = await t.irc("Ana", ["away-notify"]);
    ana.send("JOIN #dev");
    await ana.seen(/ 366 Ana #dev /);
    const kim = await t.join("Kim");
    kim.send("/away lunch");
    await kim.seen(/away/i);
    kim.send("/join #dev");
    await ana.seen(":Kim!Kim@bunchat JOIN #dev");
    await ana.seen(":Kim!Kim@bunchat AWAY :lunch");
    const sam = await loggedIn(t, "Sam");
    sam.send("/join #dev");
    await ana.seen(":Sam!Sam@bunchat JOIN #dev");
    await ana.seen(":bunchat MODE #dev +o Sam");
    const lines = ana.log.lines;
    const at = (what: string) => lines.findIndex((l) => l.includes(what));
    expect(at("Kim@bunchat AWAY")).toBeGreaterThan(at("Kim@bunchat JOIN"));
    expect(at("+o Sam")).toBeGreaterThan(at("Sam@bunchat JOIN"));
    await sync(ana);
    expect(lines.filter((l) => /^:\S+ AWAY /.test(l)).length).toBe(1); // Sam is not away: no AWAY for him
  });

  test("history on JOIN: the room's last lines, with their original times (server-time)", async () => {
    const file = memoryStore();
    const t = await irc({ history: file.history });
    const sam = await t.join("Sam");
    sam.send("/join #dev");
    sam.send("said before Ana came");
    await sam.ping();
    const ana = await t.irc("Ana", ["server-time"]);
    ana.send("JOIN #dev");
    // Its time in a tag, and in its text too: irssi asks for server-time, but shows it only with show_server_time on.
    await ana.seen(/^@time=\S+ :Sam!Sam@bunchat PRIVMSG #dev :\[\d\d:\d\d\] said before Ana came$/);
  });

  test("private messages both ways; to nobody 401; to a channel one is not in 404", async () => {
    const t = await irc();
    const sam = await t.join("Sam");
    const ana = await t.irc("Ana");
    ana.send("PRIVMSG Sam :psst");
    await sam.seen("[pm from Ana] psst");
    sam.send("/pm Ana back at you");
    await ana.seen(":Sam!Sam@bunchat PRIVMSG Ana :back at you");
    ana.send("PRIVMSG Nobody :hello?");
    await ana.seen(":bunchat 401 Ana Nobody :No such nick");
    sam.send("/join #dev");
    ana.send("PRIVMSG #dev :let me in");
    await ana.seen(":bunchat 404 Ana #dev :Cannot send to channel (+n): join it first");
    ana.send("PRIVMSG #nowhere :hm");
    await ana.seen(":bunchat 403 Ana #nowhere :No such channel");
  });

  test("INVITE both ways: 341 to the inviter, an INVITE line to the invitee; 401, 403, 442, 443 and 461 for what can't be", async () => {
    const t = await irc();
    const sam = await t.join("Sam");
    const ana = await t.irc("Ana");
    ana.send("JOIN #dev");
    await ana.seen(/^:bunchat 366 Ana #dev /);
    ana.send("INVITE Sam #dev");
    await ana.seen(":bunchat 341 Ana Sam #dev");
    await sam.seen("-- Ana invites you to #dev: /join #dev to go there.");
    sam.send("/join #ops");
    await sam.seen("In #ops (1): Sam");
    sam.send("/invite Ana");
    await ana.seen(":Sam!Sam@bunchat INVITE Ana #ops");
    ana.send("INVITE Nobody #dev");
    await ana.seen(":bunchat 401 Ana Nobody :No such nick");
    ana.send("INVITE Sam #nowhere");
    await ana.seen(":bunchat 403 Ana #nowhere :No such channel");
    ana.send("INVITE Sam #ops");
    await ana.seen(/^:bunchat 442 Ana #ops :/);
    sam.send("/join #dev");
    await sam.seen(/^In #dev \(2\)/);
    ana.send("INVITE Sam #dev");
    await ana.seen(":bunchat 443 Ana Sam #dev :is already on channel");
    ana.send("INVITE Sam");
    await ana.seen(":bunchat 461 Ana INVITE :Not enough parameters");
  });

  test("NICK, AWAY, PART, TOPIC, WHO, WHOIS, LIST, QUIT as everyone else sees them", async () => {
    const t = await irc();
    const sam = await t.join("Sam");
    sam.send("/join #dev");
    const ana = await t.irc("Ana");
    ana.send("JOIN #dev");
    await ana.seen(/ 366 /);
    ana.send("NICK Anna");
    await ana.seen(":Ana!Ana@bunchat NICK Anna");
    await sam.seen("--- Ana is now known as Anna");
    ana.send("AWAY :lunch");
    await ana.seen(":bunchat 306 Anna :You have been marked as being away");
    sam.send("/pm Anna are you there");
    ana.send("WHO #dev");
    await ana.seen(/^:bunchat 352 Anna #dev ~Ana bunchat bunchat Anna G :0 Ana$/); // user and real name from USER
    await ana.seen(":bunchat 315 Anna #dev :End of WHO list");
    ana.send("WHOIS Sam");
    await ana.seen(":bunchat 311 Anna Sam Sam bunchat * :Sam");
    await ana.seen(/^:bunchat 319 Anna Sam :.*#dev/);
    await ana.seen(":bunchat 318 Anna Sam :End of /WHOIS list");
    ana.send("WHOIS Nobody");
    await ana.seen(/^:bunchat 401 Anna Nobody /);
    await ana.seen(":bunchat 318 Anna Nobody :End of /WHOIS list");
    ana.send("AWAY");
    await ana.seen(":bunchat 305 Anna :You are no longer marked as being away");
    ana.send("TOPIC #dev :release day");
    await sam.seen(/Anna set the topic of #dev: release day|topic.*release day/);
    await ana.seen(":Anna!Anna@bunchat TOPIC #dev :release day");
    ana.send("TOPIC #dev");
    await ana.seen(":bunchat 332 Anna #dev :release day");
    ana.send("LIST");
    await ana.seen(/^:bunchat 322 Anna #dev 2 :release day$/);
    await ana.seen(":bunchat 323 Anna :End of /LIST");
    ana.send("PART #dev :bye now");
    await ana.seen(":Anna!Anna@bunchat PART #dev :bye now");
    await sam.seen("<-- Anna left #dev: bye now");
    ana.send("QUIT :off home");
    await ana.seen(/^ERROR :Closing link/);
    await ana.closed();
    // In no room with Sam any more: nobody is told, and she is gone.
    sam.send("/whois Anna");
    await sam.seen(/^! No user named "Anna"/);
  });

  test("moderation: KICK and MODE +b as an operator, refused (482) for anyone else", async () => {
    const t = await irc(memoryParts());
    const sam = await loggedIn(t, "Sam");
    sam.send("/join #dev"); // Sam owns #dev
    const bo = await t.irc("Bo");
    bo.send("JOIN #dev");
    await bo.seen(/ 366 /);
    bo.send("KICK #dev Sam :out");
    await bo.seen(":bunchat 482 Bo #dev :You're not a channel operator");
    bo.send("MODE #dev");
    await bo.seen(":bunchat 324 Bo #dev +n");
    bo.send("MODE #dev b");
    await bo.seen(":bunchat 368 Bo #dev :End of channel ban list");
    const ana = await loggedIn(t, "Ana");
    ana.send("/join #dev");
    await ana.seen(/^In #dev/);
    sam.send("/op Ana"); // IRC clients keep who is @ from MODE lines
    await bo.seen(":Sam!Sam@bunchat MODE #dev +o Ana");
    sam.send("/topic lock");
    await bo.seen(":Sam!Sam@bunchat MODE #dev +t");
    sam.send("/deop Ana");
    await bo.seen(":Sam!Sam@bunchat MODE #dev -o Ana");
    sam.send("/kick Bo too loud");
    await bo.seen(":Sam!Sam@bunchat KICK #dev Bo :too loud");
    // Bans read as the name was written (Kim, whose key is "klm"), in MODE lines and the ban list.
    // (Kim is not online: the ban is her name's alone, not her network's, which Wes shares.)
    sam.send("/ban Kim 1h");
    await ana.seen(/^-- Sam banned Kim from #dev for 1h/);
    const watcher = await t.irc("Wes");
    watcher.send("JOIN #dev");
    await watcher.seen(/ 366 Wes #dev /);
    watcher.send("MODE #dev b");
    await watcher.seen(/^:bunchat 367 Wes #dev Kim!\*@\* Sam \d+$/);
    sam.send("/unban Kim");
    await watcher.seen(":Sam!Sam@bunchat MODE #dev -b Kim!*@*");
  });

  test("bunchat's own commands as raw IRC commands: REGISTER (also IRCv3's form), HISTORY, answers as notices", async () => {
    const t = await irc(memoryParts());
    const ana = await t.irc("Ana");
    ana.send("REGISTER Ana * correct-horse");
    await ana.seen(":bunchat NOTICE Ana :Ana is registered: joining as Ana asks for this password from now on.");
    ana.send("JOIN #dev\r\nPRIVMSG #dev :kept line\r\nHISTORY");
    await ana.seen(/^:bunchat NOTICE Ana :.*kept line/);
    ana.send("QUIT");
    await ana.closed();
    const again = await t.ircConnect();
    again.send("NICK Ana\r\nUSER a 0 * :a");
    await again.seen(/^:bunchat 433 \* Ana :Ana is a registered name/);
  });

  test("unknown commands 421; lines over 512 bytes to IRC are cut, none lost", async () => {
    const t = await irc();
    const sam = await t.join("Sam");
    sam.send("/join #dev");
    const ana = await t.irc("Ana");
    ana.send("FROB x");
    await ana.seen(":bunchat 421 Ana FROB :Unknown command");
    ana.send("JOIN #dev");
    await ana.seen(/ 366 /);
    const long = "y".repeat(2000);
    sam.send(long);
    await ana.seen(/PRIVMSG #dev :y+$/);
    await sync(ana);
    const parts = ana.log.lines.filter((l) => /PRIVMSG #dev :y+$/.test(l));
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((l) => Buffer.byteLength(l) <= 510)).toBe(true);
    expect(parts.map((l) => l.replace(/^.* :/, "")).join("")).toBe(long);
  });
});

describe("IRC door: bunchat's limits hold", () => {
  test("no registration in time: ERROR and closed; no answer to the server's PING: ERROR and closed (on the server's own deadlines, a fake clock)", async () => {
    const clock = fakeClock();
    const t = await irc({ clock }); // as shipped: 30 s to register; pinged after 60 s of silence, 30 s to answer
    const silent = await t.ircConnect("silent");
    const [sleepy, awake] = [await t.irc("Sleepy"), await t.irc("Awake")];
    clock.advance(31_000);
    await silent.seen(/^ERROR :Closing link: No username chosen within 30 s/);
    await silent.closed();
    clock.advance(30_000);
    for (const p of [sleepy, awake]) await p.seen("PING :bunchat");
    awake.send("PONG :bunchat");
    await sync(awake); // its answer is in
    clock.advance(31_000); // past the ping timeout
    await sleepy.seen(/^ERROR :Closing link: Nothing heard from you in \d+ s/);
    await sleepy.closed();
    expect(t.server.hub.find("Awake")).toBeDefined();
    expect(t.server.hub.find("Sleepy")).toBeUndefined();
  });

  test("flood control: lines past the budget wait in order; past the backlog, ERROR and closed", async () => {
    const t = await irc({ limits: { linesPerSecond: 5, burstLines: 5, floodBacklog: 20 } });
    const sam = await t.join("Sam");
    sam.send("/join #dev");
    const ana = await t.irc("Ana");
    ana.send("JOIN #dev");
    await ana.seen(/ 366 /);
    ana.send(Array.from({ length: 8 }, (_, i) => `PRIVMSG #dev :line ${i}`).join("\r\n"));
    await sam.seen("Ana: line 7", 5000); // all of them, in order, at the flood rate
    expect(sam.log.lines.filter((l) => l.startsWith("Ana: line ")).map((l) => l.slice(10))).toEqual(["0", "1", "2", "3", "4", "5", "6", "7"]);
    ana.send(Array.from({ length: 100 }, (_, i) => `PRIVMSG #dev :flood ${i}`).join("\r\n"));
    await ana.seen(/^ERROR :Closing link: More than 20 lines were waiting/);
    await ana.closed();
  });
});

describe("IRC door in a cluster", () => {
  test("an IRC user on one node and an nc user on another share a room: names, lines both ways, private messages, a quit", async () => {
    const redis = await testRedis();
    const [a, b] = [await testNode(redis.url, "a", { irc: true }), await testNode(redis.url, "b")];
    const sam = await b.join("Sam");
    sam.send("/join #dev");
    await sam.seen(/^In #dev/);
    await until(() => a.server.hub.room("#dev")?.size === 1);
    const ana = await a.irc("Ana");
    ana.send("JOIN #dev");
    await ana.seen(/^:bunchat 353 Ana = #dev :(?=.*\bAna\b)(?=.*\bSam\b)/);
    await sam.seen(/Ana joined/);
    ana.send("PRIVMSG #dev :from node a");
    await sam.seen("Ana: from node a");
    sam.send("from node b");
    await ana.seen(":Sam!Sam@bunchat PRIVMSG #dev :from node b");
    sam.send("/pm Ana across");
    await ana.seen(":Sam!Sam@bunchat PRIVMSG Ana :across");
    ana.send("PRIVMSG Sam :and back");
    await sam.seen("[pm from Ana] and back");
    sam.send("quit");
    await ana.seen(/^:Sam!Sam@bunchat QUIT :quit$/);
  });
});

let syncs = 0;
/** Everything the server sent before this has arrived (IRC's PING, answered in order). */
async function sync(p: Peer): Promise<void> {
  const token = `sync${++syncs}`;
  p.send(`PING :${token}`);
  await p.seen(`:bunchat PONG bunchat :${token}`);
}

function memoryParts() {
  const file = memoryStore();
  return { history: file.history, accounts: file.accounts, bans: file.bans, roomStore: file.roomStore };
}
