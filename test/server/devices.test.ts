// One account on several devices at once (issue 32), through real sockets: one name in every room
// with one join and one leave, lines and private messages on every device, the rooms joined and
// left from one shown on the others, /whois listing the doors, guests kept to one connection, the
// cap on connections per account, and IRC clients as devices of the same user.

import { describe, expect, test } from "bun:test";
import type { ServerEvent } from "../../src/protocol/events.ts";
import { ircLogIn, loggedIn, logIn, memoryStore } from "../helpers/accounts.ts";
import type { Peer } from "../helpers/peer.ts";
import { testServer, type TestServerOptions } from "../helpers/server.ts";

function server(options: TestServerOptions = {}) {
  const file = memoryStore();
  return testServer({ history: file.history, accounts: file.accounts, bans: file.bans, roomStore: file.roomStore, ...options, limits: { linesPerSecond: 0, ...options.limits } });
}

type Server = Awaited<ReturnType<typeof server>>;

/** Another device of `name` (registered already), through bunchat's port. */
const device = (t: Server, name: string, mode: "text" | "json" = "json"): Promise<Peer> => logIn(t, name, mode, `${name}'s ${mode} device`);

/** The JSON events `p` has been sent so far of this type. */
function events<T extends ServerEvent["type"]>(p: Peer, type: T): Extract<ServerEvent, { type: T }>[] {
  return p.log.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as ServerEvent).filter((e): e is Extract<ServerEvent, { type: T }> => e.type === type);
}

describe("one account on several devices", () => {
  test("a second device joins the same member: one join for others, lines and private messages on both, one leave when the last goes", async () => {
    const t = await server();
    const home = await loggedIn(t, "Ana", "json");
    const sam = await t.join("Sam", "json");
    await sam.ping();
    const work = await device(t, "Ana");
    const welcome = JSON.parse(work.log.lines.find((l) => l.includes('"welcome"'))!) as Extract<ServerEvent, { type: "welcome" }>;
    expect(welcome.name).toBe("Ana");
    expect(welcome.rooms).toEqual(["#lobby"]);
    await sam.ping();
    expect(events(sam, "join").filter((e) => e.name === "Ana")).toHaveLength(0); // Ana was in already: nothing new for Sam
    expect(t.server.hub.size).toBe(2);

    // A line from one device reaches the other (as Ana's) and Sam, not the device it came from.
    work.send("from work");
    await sam.event("public", (e) => e.from === "Ana" && e.text === "from work");
    await home.event("public", (e) => e.from === "Ana" && e.text === "from work");
    await work.ping();
    expect(events(work, "public").filter((e) => e.text === "from work")).toHaveLength(0);

    // A private message to Ana reaches both devices; one Ana sends shows on her other device.
    sam.send("/pm Ana hi both");
    await home.event("private", (e) => e.text === "hi both");
    await work.event("private", (e) => e.text === "hi both");
    home.send("/pm Sam from home");
    await sam.event("private", (e) => e.text === "from home");
    const echoed = await work.event("private-sent", (e) => e.text === "from home");
    expect(echoed.elsewhere).toBe(true);
    expect(echoed.to).toBe("Sam");

    // /whois lists both connections.
    sam.send("/whois Ana");
    const whois = await sam.event("whois");
    expect(whois.doors).toEqual(["tcp", "tcp"]);

    // One device leaves: nobody is told; the last one leaves: one leave.
    home.send("quit");
    await home.closed();
    await sam.ping();
    expect(events(sam, "leave").filter((e) => e.name === "Ana")).toHaveLength(0);
    expect(t.server.hub.find("Ana")?.devices).toHaveLength(1);
    work.send("still here");
    await sam.event("public", (e) => e.text === "still here");
    work.send("quit");
    await work.closed();
    await sam.event("leave", (e) => e.name === "Ana" && e.reason === "quit");
    expect(t.server.hub.find("Ana")).toBeUndefined();
  });

  test("a room joined or left on one device is joined or left on every one, told to them; others see one join and one leave", async () => {
    const t = await server();
    const a1 = await loggedIn(t, "Ana", "json");
    const a2 = await device(t, "Ana");
    const kim = await t.join("Kim", "json");
    kim.send("/join #dev");
    await kim.event("room");
    a1.send("/join #dev");
    const mine = await a1.event("room", (e) => e.room === "#dev");
    expect(mine.elsewhere).toBeUndefined();
    const other = await a2.event("room", (e) => e.room === "#dev");
    expect(other.elsewhere).toBe(true);
    expect(other.users).toContain("Kim");
    await kim.event("join", (e) => e.room === "#dev" && e.name === "Ana");

    // Plain lines from a2 still go to its own current room (#lobby), not #dev.
    a2.send("in the lobby");
    expect((await kim.event("public", (e) => e.text === "in the lobby")).room).toBe("#lobby");
    expect((await a1.event("public", (e) => e.text === "in the lobby")).room).toBe("#lobby");
    // Lines in #dev reach both devices.
    kim.send("hello dev");
    await a1.event("public", (e) => e.room === "#dev" && e.text === "hello dev");
    await a2.event("public", (e) => e.room === "#dev" && e.text === "hello dev");

    a2.send("/part #dev");
    const left = await a2.event("parted", (e) => e.room === "#dev");
    expect(left.elsewhere).toBeUndefined();
    const told = await a1.event("parted", (e) => e.room === "#dev");
    expect(told.elsewhere).toBe(true);
    expect(told.current).toBe("#lobby"); // a1's lines go back to the room it was in before
    await kim.event("leave", (e) => e.room === "#dev" && e.name === "Ana");
    kim.send("after");
    await kim.ping();
    await a1.ping();
    expect(events(a1, "public").filter((e) => e.text === "after")).toHaveLength(0);
    expect(events(kim, "join").filter((e) => e.name === "Ana")).toHaveLength(1);
  });

  test("a device that comes while its user is in several rooms is welcomed to them all (text: told of each)", async () => {
    const t = await server();
    const a1 = await loggedIn(t, "Ana", "json");
    a1.send("/join #dev");
    await a1.event("room");
    a1.send("/join #ops");
    await a1.event("room", (e) => e.room === "#ops");
    const a2 = await device(t, "Ana", "text");
    await a2.seen(/^--> You are in #dev too \(from another of your connections\)/);
    await a2.seen(/^--> You are in #ops too \(from another of your connections\)/);
    a2.send("/whois Ana");
    await a2.seen(/^ {3}in #lobby, #dev, #ops$/);
    await a2.seen(/^ {3}connected 2 times: bunchat's port \(nc, the terminal client\), bunchat's port/);
  });

  test("guests stay one connection per name; past --max-devices a login is refused with the reason", async () => {
    const t = await server({ limits: { maxDevices: 2 } });
    const guest = await t.join("Bo", "json");
    const again = await t.connect("json", "another Bo");
    again.send("Bo");
    const taken = await again.event("error");
    expect(taken.code).toBe("name-taken");
    guest.send("still the only Bo");

    await loggedIn(t, "Ana", "json");
    await device(t, "Ana");
    const third = await t.connect("json", "Ana's third");
    third.send("Ana");
    await third.event("ask-login");
    third.send("correct-horse");
    const refused = await third.event("error");
    expect(refused.code).toBe("too-many-devices");
    expect(refused.message).toContain("Ana is online from 2 connections");
    await third.event("ask-name"); // may still come in under another name
    expect(t.server.hub.find("Ana")?.devices).toHaveLength(2);
  });

  test("IRC clients as devices: the second is sent JOINs of the user's channels; a line from one shows on the other; WHOIS says so", async () => {
    const t = await server({ irc: true });
    (await loggedIn(t, "Ana")).send("quit");
    const kim = await t.irc("Kim");
    kim.send("JOIN #dev");
    await kim.seen(/ JOIN #dev$/);
    const one = await ircLogIn(t, "Ana");
    one.send("JOIN #dev");
    await one.seen(/^:Ana!\S+ JOIN #dev$/);
    await kim.seen(/^:Ana!\S+ JOIN #dev$/);
    const two = await ircLogIn(t, "Ana");
    await two.seen(/^:Ana!\S+ JOIN #dev$/);
    await two.seen(/^:bunchat 366 Ana #dev /);
    one.send("PRIVMSG #dev :from one");
    await kim.seen(/^:Ana!\S+ PRIVMSG #dev :from one$/);
    await two.seen(/^:Ana!\S+ PRIVMSG #dev :from one$/);
    kim.send("PRIVMSG Ana :to both");
    await one.seen(/^:Kim!\S+ PRIVMSG Ana :to both$/);
    await two.seen(/^:Kim!\S+ PRIVMSG Ana :to both$/);
    two.send("PRIVMSG Kim :back from two");
    await kim.seen(/PRIVMSG Kim :back from two$/);
    await one.seen(/^:Ana!\S+ PRIVMSG Kim :back from two$/); // without echo-message: another device's own line still shows
    kim.send("WHOIS Ana");
    await kim.seen(/^:bunchat 320 Kim Ana :is connected 2 times: IRC, IRC$/);
    // A channel joined and left on one is joined and left on the other, as its own JOIN and PART.
    one.send("JOIN #ops");
    await two.seen(/^:Ana!\S+ JOIN #ops$/);
    await two.seen(/^:bunchat 366 Ana #ops /);
    two.send("PART #ops");
    await one.seen(/^:Ana!\S+ PART :?#ops$/);
    two.send("QUIT :bye");
    await two.closed();
    kim.send("PING sync");
    await kim.seen(/PONG/);
    expect(kim.log.lines.some((l) => /^:Ana!\S+ QUIT/.test(l))).toBe(false);
    one.send("QUIT :bye");
    await kim.seen(/^:Ana!\S+ QUIT :/);
  });
});

describe("always on", () => {
  test("/always-on on: the last connection goes, the user stays in its rooms, away; back, it is in them again and shown what it missed", async () => {
    const t = await server({ admins: ["Boss"] });
    const ana = await loggedIn(t, "Ana", "json");
    ana.send("/join #dev");
    await ana.event("room");
    ana.send("/always-on");
    expect((await ana.event("notice")).text).toContain("leaves the chat when its last connection goes");
    ana.send("/always-on on");
    expect((await ana.event("notice", (e) => e.text.includes("always on now"))).text).toBe("Ana is always on now: you stay in your rooms when your last connection goes.");
    ana.send("/read #dev");
    await ana.event("marker");
    const sam = await t.join("Sam", "json");
    sam.send("/join #dev");
    await sam.event("room");
    ana.send("quit");
    await ana.closed();
    sam.send("/users");
    const users = await sam.event("users", (e) => e.room === "#dev");
    expect(users.users).toContain("Ana");
    expect(users.away).toEqual({ Ana: "not connected (always on)" });
    expect(events(sam, "leave").filter((e) => e.name === "Ana")).toHaveLength(0);
    await Bun.sleep(5);
    sam.send("said while Ana was gone");
    sam.send("/pm Ana are you there?");
    expect((await sam.event("away-notice")).reason).toBe("not connected (always on)");

    const back = await device(t, "Ana");
    expect(JSON.parse(back.log.lines.find((l) => l.includes('"welcome"'))!).rooms).toEqual(["#lobby", "#dev"]);
    const missed = await back.event("history", (e) => e.room === "#dev");
    expect(missed.events.map((e) => e.text)).toContain("said while Ana was gone");
    sam.send("/users");
    expect((await sam.event("users", (e) => e.room === "#dev" && !e.away)).users).toContain("Ana"); // not away any more
    expect(events(sam, "join").filter((e) => e.name === "Ana")).toHaveLength(0); // never left, never joined again

    // A server admin's /kick takes an always-on user out, connected or not.
    const boss = await loggedIn(t, "Boss", "json");
    const kim = await loggedIn(t, "Kim", "json");
    kim.send("/always-on on");
    await kim.event("notice", (e) => e.text.includes("always on now"));
    kim.send("quit");
    await kim.closed();
    expect(t.server.hub.find("Kim")?.devices).toHaveLength(0);
    boss.send("/kick Kim enough");
    await sam.event("leave", (e) => e.name === "Kim" && e.reason === "kicked");
    expect(t.server.hub.find("Kim")).toBeUndefined();

    // /always-on off: the last connection's going is a leave again.
    back.send("/always-on off");
    await back.event("notice", (e) => e.text.includes("leaves the chat with its last connection"));
    back.send("quit");
    await sam.event("leave", (e) => e.name === "Ana");
  });
});
