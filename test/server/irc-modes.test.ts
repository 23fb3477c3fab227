// Private rooms through the IRC door: channel modes as bunchat's room settings (one MODE line per
// change, each letter on its own), JOIN with keys and its refusals, INVITE, +m with voice, +s
// hidden from non-members, KICK from the kicker; and what nc users see of the same changes.

import { describe, expect, test } from "bun:test";
import { loggedIn, memoryStore } from "../helpers/accounts.ts";
import type { Peer } from "../helpers/peer.ts";
import { testServer } from "../helpers/server.ts";

function irc() {
  const file = memoryStore();
  return testServer({ irc: true, limits: { linesPerSecond: 0 }, history: file.history, accounts: file.accounts, bans: file.bans, roomStore: file.roomStore });
}

let syncs = 0;
/** Everything before it has been answered. */
async function sync(p: Peer): Promise<void> {
  const token = `sync${++syncs}`;
  p.send(`PING :${token}`);
  await p.next(`:bunchat PONG bunchat :${token}`);
}

async function joined(p: Peer, channel: string, key = ""): Promise<void> {
  p.send(`JOIN ${channel}${key ? ` ${key}` : ""}`);
  await p.next(new RegExp(` 366 \\S+ ${channel} `));
}

describe("IRC door: channel modes", () => {
  test("a guest who makes a channel runs it: +ik in one MODE line, 324 with the key to members, JOIN refused without it and let in with it", async () => {
    const t = await irc();
    const ana = await t.irc("Ana");
    ana.send("JOIN #ops");
    await ana.next(/^:Ana!Ana@bunchat JOIN #ops$/); // the JOIN first: no MODE +o before it
    await ana.next(":bunchat 353 Ana = #ops :@Ana");
    await sync(ana);
    ana.send("MODE #ops +ixk s3cret");
    await ana.next(":bunchat 472 Ana x :is not a mode bunchat rooms have (+bovisklmtn)");
    await ana.next(":Ana!Ana@bunchat MODE #ops +ik s3cret");
    ana.send("MODE #ops");
    await ana.next(":bunchat 324 Ana #ops +ikn s3cret");
    const bo = await t.irc("Bo");
    bo.send("MODE #ops");
    await bo.next(":bunchat 324 Bo #ops +ikn *");
    bo.send("JOIN #ops");
    await bo.next(/^:bunchat 473 Bo #ops :Cannot join channel \(\+i\): #ops is invite-only/);
    ana.send("MODE #ops -i");
    await ana.next(":Ana!Ana@bunchat MODE #ops -i");
    bo.send("JOIN #ops nope");
    await bo.next(/^:bunchat 475 Bo #ops :Cannot join channel \(\+k\): That is not the key of #ops\.$/);
    await joined(bo, "#ops", "s3cret");
    bo.send("MODE #ops +k other");
    await bo.next(":bunchat 482 Bo #ops :You're not a channel operator");
    for (const [mode, answer] of [
      ["+k :two words", ":bunchat 696 Ana #ops k * :Invalid key: 1 to 32 printable ASCII characters without spaces or commas"],
      ["+l 0", ":bunchat 696 Ana #ops l 0 :Invalid limit: a whole number from 1 to 100000"],
      ["+l", ":bunchat 461 Ana MODE :Not enough parameters"],
    ]) {
      ana.send(`MODE #ops ${mode}`);
      await ana.next(answer!);
    }
    await sync(ana);
    expect(ana.log.lines.filter((l) => / MODE #ops [+-]l/.test(l))).toEqual([]);
  });

  test("+l, INVITE past it, +m with +v, and the nc user's view of the same room", async () => {
    const t = await irc();
    const ana = await t.irc("Ana");
    await joined(ana, "#room");
    const nc = await t.join("Nc");
    nc.send("/join #room");
    await nc.seen(/^In #room/);
    ana.send("MODE #room +l 2");
    await ana.next(":Ana!Ana@bunchat MODE #room +l 2");
    await nc.seen("-- Ana changed the settings of #room: it is limit 2.");
    const bo = await t.irc("Bo");
    bo.send("JOIN #room");
    await bo.next(/^:bunchat 471 Bo #room :Cannot join channel \(\+l\)/);
    ana.send("INVITE Bo #room");
    await ana.next(":bunchat 341 Ana Bo #room");
    await bo.next(":Ana!Ana@bunchat INVITE Bo #room");
    bo.send("INVITE");
    await bo.next(":bunchat 336 Bo #room");
    await bo.next(":bunchat 337 Bo :End of /INVITE list");
    await joined(bo, "#room");
    ana.send("MODE #room +m");
    await bo.next(":Ana!Ana@bunchat MODE #room +m");
    bo.send("PRIVMSG #room :may I?");
    await bo.next(/^:bunchat 404 Bo #room :Cannot send to channel: #room is moderated/);
    ana.send("MODE #room +v Bo");
    await bo.next(":Ana!Ana@bunchat MODE #room +v Bo");
    await nc.seen("-- Ana gave Bo voice in #room (while they stay).");
    bo.send("NAMES #room");
    await bo.next(/^:bunchat 353 Bo = #room :(?=.*@Ana)(?=.*\+Bo)/);
    bo.send("PRIVMSG #room :thanks");
    await nc.seen("Bo: thanks");
    ana.send("MODE #room +v Nobody");
    await ana.next(":bunchat 401 Ana Nobody :No such nick");
    const cy = await t.irc("Cy");
    ana.send("MODE #room +o Cy");
    await ana.next(":bunchat 441 Ana Cy #room :They aren't on that channel");
    ana.send("KICK #room Cy");
    await ana.next(":bunchat 441 Ana Cy #room :They aren't on that channel");
    ana.send("KICK #room Bo :enough");
    await bo.next(":Ana!Ana@bunchat KICK #room Bo :enough");
    await sync(cy);
  });

  test("+s: hidden from LIST, NAMES and WHO of non-members, answered 403 like a channel that does not exist; joinable, as on IRC", async () => {
    const t = await irc();
    const ana = await t.irc("Ana");
    await joined(ana, "#hid");
    ana.send("MODE #hid +s");
    await ana.next(":Ana!Ana@bunchat MODE #hid +s");
    const bo = await t.irc("Bo");
    const asks = ["TOPIC #X", "MODE #X", "PRIVMSG #X :hi", "KICK #X Ana", "PART #X", "INVITE Ana #X", "NAMES #X", "WHO #X"];
    const answers = async (channel: string) => {
      const got: string[] = [];
      for (const ask of asks) {
        bo.send(ask.replace("#X", channel));
        const mark = bo.log.lines.length;
        await sync(bo);
        got.push(bo.log.lines.slice(mark).filter((l) => !l.includes("PONG")).join("\n").replaceAll(channel, "#X"));
      }
      return got;
    };
    expect(await answers("#hid")).toEqual(await answers("#none"));
    bo.send("LIST");
    await bo.next(/ 323 /);
    expect(bo.log.lines.filter((l) => / 322 /.test(l)).join("\n")).not.toContain("#hid");
    await joined(bo, "#hid");
    bo.send("NAMES #hid");
    await bo.next(/^:bunchat 353 Bo @ #hid :/);
  });
});

describe("IRC door: operators and the past", () => {
  test("OPER: an admin's name and password give this connection an admin's rights (KILL, WALLOPS, *); anything else is a wrong password", async () => {
    const file = memoryStore();
    const t = await testServer({ irc: true, limits: { linesPerSecond: 0 }, history: file.history, accounts: file.accounts, admins: ["Boss"] });
    const boss = await loggedIn(t, "Boss"); // registered with the setup code
    boss.send("quit");
    await boss.closed();
    const sam = await loggedIn(t, "Sam"); // registered, but no admin
    const wes = await t.irc("Wes");
    const bo = await t.irc("Bo");
    bo.send("MODE Bo +w");
    await bo.next(":Bo!Bo@bunchat MODE Bo :+w");
    wes.send("KILL Bo :go");
    await wes.next(":bunchat 481 Wes :Permission Denied- You're not an IRC operator");
    for (const tried of ["OPER Boss wrong-password", "OPER Sam correct-horse", "OPER Nobody correct-horse"]) {
      wes.send(tried);
      await wes.next(":bunchat 464 Wes :Password incorrect"); // the same answer whatever is wrong
    }
    wes.send("OPER Boss correct-horse");
    await wes.next(/^:bunchat 381 Wes :You are now an IRC operator/);
    await wes.next(":Wes!Wes@bunchat MODE Wes :+o");
    wes.send("MODE Wes");
    await wes.next(":bunchat 221 Wes +o");
    wes.send("WHO Wes");
    await wes.next(/^:bunchat 352 Wes \* \S+ \S+ bunchat Wes H\* /);
    await joined(bo, "#ops");
    await joined(wes, "#ops");
    wes.send("KICK #ops Bo :out of the channel only");
    await bo.next(":Wes!Wes@bunchat KICK #ops Bo :out of the channel only"); // an admin's KICK is of the channel, not the server
    wes.send("MODE #ops +b Bo");
    await wes.next(":Wes!Wes@bunchat MODE #ops +b Bo!*@*"); // a ban from the channel, not the server
    bo.send("JOIN #ops");
    await bo.next(/^:bunchat 474 Bo #ops /);
    wes.send("WALLOPS :maintenance at 5");
    await bo.next(":Wes!Wes@bunchat WALLOPS :maintenance at 5"); // still here
    sam.send("/whois Wes");
    await sam.seen("   a server admin");
    wes.send("KILL Bo :enough");
    await bo.closed();
    expect(t.log.some((l) => l.startsWith("! Wes is an IRC operator, as the admin Boss"))).toBe(true);
    wes.send("MODE Wes -o");
    await wes.next(":Wes!Wes@bunchat MODE Wes :-o");
    wes.send("WALLOPS :again");
    await wes.next(":bunchat 481 Wes :Permission Denied- You're not an IRC operator");
  });

  test("WHOWAS: the last stays of a name that left, most recent first; a name never seen is 406", async () => {
    const t = await irc();
    const ana = await t.irc("Ana");
    for (const realname of ["First Ana", "Second Ana"]) {
      const p = await t.ircConnect();
      p.send(`NICK Cy\r\nUSER cy 0 * :${realname}`);
      await p.seen(/ 376 /);
      p.send("QUIT :bye");
      await p.closed();
    }
    ana.send("WHOWAS Cy");
    await ana.next(":bunchat 314 Ana Cy ~cy bunchat * :Second Ana");
    await ana.next(/^:bunchat 312 Ana Cy bunchat :/);
    await ana.next(":bunchat 314 Ana Cy ~cy bunchat * :First Ana");
    await ana.next(/^:bunchat 312 Ana Cy bunchat :/);
    await ana.next(":bunchat 369 Ana Cy :End of WHOWAS");
    ana.send("WHOWAS Cy 1");
    await ana.next(":bunchat 314 Ana Cy ~cy bunchat * :Second Ana");
    await ana.next(/^:bunchat 312 /);
    await ana.next(":bunchat 369 Ana Cy :End of WHOWAS");
    ana.send("WHOWAS Zed");
    await ana.next(":bunchat 406 Ana Zed :There was no such nickname");
    await ana.next(":bunchat 369 Ana Zed :End of WHOWAS");
  });
});

describe("IRC door: MONITOR and WHOX", () => {
  test("MONITOR: online and offline now, then as it changes (a rename too, not a change of case); the list is bounded, listed, cleared", async () => {
    const t = await irc();
    const ana = await t.irc("Ana");
    await t.join("Sam");
    ana.send("MONITOR + Sam,Kim");
    await ana.next(/^:bunchat 730 Ana :Sam!Sam@bunchat$/);
    await ana.next(":bunchat 731 Ana :Kim");
    const kim = await t.join("Kim");
    await ana.next(/^:bunchat 730 Ana :Kim!Kim@bunchat$/);
    kim.send("/nick KIM");
    await kim.seen(/is now known as KIM/);
    kim.send("/nick Kimberly");
    await ana.next(":bunchat 731 Ana :KIM");
    ana.send("NICK Anna"); // a monitoring client's own rename keeps its list
    await ana.next(/ NICK :?Anna$/);
    ana.send("MONITOR L");
    await ana.next(":bunchat 732 Anna :Sam,Kim");
    await ana.next(":bunchat 733 Anna :End of MONITOR list");
    ana.send(`MONITOR + ${Array.from({ length: 120 }, (_, i) => `n${i}`).join(",")}`);
    await ana.next(/^:bunchat 734 Anna 100 n98,n99,.*n119 :Monitor list is full$/);
    ana.send("MONITOR C");
    ana.send("MONITOR L");
    await ana.next(":bunchat 733 Anna :End of MONITOR list");
  });

  test("bot mode: MODE +B, 335 in WHOIS, B in WHO's flags", async () => {
    const t = await irc();
    const bot = await t.irc("Deploy");
    bot.send("MODE Deploy +B");
    await bot.next(":Deploy!Deploy@bunchat MODE Deploy :+B");
    const ana = await t.irc("Ana");
    ana.send("WHOIS Deploy");
    await ana.next(":bunchat 335 Ana Deploy :is a bot");
    ana.send("WHO Deploy");
    await ana.next(/^:bunchat 352 Ana \* \S+ \S+ bunchat Deploy HB /);
  });

  test("WHOX: the fields asked for, in WHOX's order, with the token", async () => {
    const t = await irc();
    const ana = await t.irc("Ana");
    await joined(ana, "#dev");
    ana.send("WHO #dev %tcnfr,42");
    await ana.next(":bunchat 354 Ana 42 #dev Ana H@ :Ana");
    await ana.next(":bunchat 315 Ana #dev :End of WHO list");
  });
});

describe("IRC door: STATUSMSG and SETNAME", () => {
  test("PRIVMSG @#room reaches its operators alone, in every door, and is not kept; +#room its voiced members too", async () => {
    const t = await irc();
    const ana = await t.irc("Ana");
    await joined(ana, "#dev"); // Ana made it: its operator
    const bo = await t.irc("Bo");
    await joined(bo, "#dev");
    const nc = await t.join("Nc");
    nc.send("/join #dev");
    await nc.seen(/^In #dev/);
    ana.send("MODE #dev +o Nc");
    await bo.next(":Ana!Ana@bunchat MODE #dev +o Nc");
    bo.send("PRIVMSG @#dev :psst, operators");
    await ana.next(":Bo!Bo@bunchat PRIVMSG @#dev :psst, operators");
    await nc.seen("Bo (to operators): psst, operators"); // #dev is its current room
    ana.send("MODE #dev -o Nc");
    await nc.seen(/took Nc's operator status/);
    bo.send("PRIVMSG @#dev :again");
    await ana.next(":Bo!Bo@bunchat PRIVMSG @#dev :again");
    nc.send("/history");
    await nc.seen(/^-- No earlier lines in #dev\.|^--- end of earlier lines/);
    expect(nc.log.lines.some((l) => l.includes("again"))).toBe(false);
    ana.send("MODE #dev +v Nc");
    await nc.seen(/gave Nc voice/);
    bo.send("PRIVMSG +#dev :voices too");
    await nc.seen("Bo (to voiced and operators): voices too");
  });

  test("SETNAME: the new real name in WHOIS; every client sharing a room that asked for setname is told, no one else", async () => {
    const t = await irc();
    const [ana, bo, cy] = [await t.irc("Ana", ["setname"]), await t.irc("Bo", ["setname"]), await t.irc("Cy")];
    for (const p of [ana, bo, cy]) await joined(p, "#dev");
    ana.send("SETNAME :Ana Lovelace");
    await ana.next(":Ana!Ana@bunchat SETNAME :Ana Lovelace");
    await bo.next(":Ana!Ana@bunchat SETNAME :Ana Lovelace");
    cy.send("WHOIS Ana");
    await cy.next(/^:bunchat 311 Cy Ana \S+ bunchat \* :Ana Lovelace$/);
    expect(cy.log.lines.some((l) => l.includes("SETNAME"))).toBe(false);
    ana.send(`SETNAME :${"x".repeat(101)}`);
    await ana.next(":bunchat FAIL SETNAME INVALID_REALNAME :A real name is 1 to 100 characters");
  });
});
