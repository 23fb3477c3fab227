// IRC's draft/chathistory through real sockets (issue 32): a channel's and a kept conversation's
// lines by msgid and by time, in a batch with their own tags; TARGETS; a labeled request's label
// on its batch; what is refused (a channel one is not in, a guest's conversation, a bad bound).
// irctest's chathistory.py checks the rest (test/irc/irctest.test.ts).

import { describe, expect, test } from "bun:test";
import { ircLogIn, loggedIn, memoryStore } from "../helpers/accounts.ts";
import type { Peer } from "../helpers/peer.ts";
import { testServer } from "../helpers/server.ts";
import { until } from "../helpers/until.ts";

const CAPS = ["batch", "message-tags", "server-time", "echo-message", "labeled-response", "draft/chathistory"];

function server() {
  const file = memoryStore();
  return testServer({ irc: true, history: file.history, accounts: file.accounts, markers: file.markers, limits: { linesPerSecond: 0 } });
}

/** The next whole batch `p` is sent after its first `from` lines: its start, its lines, and their texts. */
async function batchOf(p: Peer, from: number): Promise<{ start: string; texts: string[]; lines: string[] }> {
  let found: { start: string; lines: string[] } | undefined;
  await until(() => {
    const at = p.log.lines.findIndex((l, i) => i >= from && / BATCH \+\S+ (chathistory|draft\/chathistory-targets)/.test(l));
    if (at < 0) return false;
    const ref = / BATCH \+(\S+)/.exec(p.log.lines[at]!)![1]!;
    const end = p.log.lines.findIndex((l, i) => i > at && l.endsWith(` BATCH -${ref}`));
    if (end >= 0) found = { start: p.log.lines[at]!, lines: p.log.lines.slice(at + 1, end) };
    return found !== undefined;
  });
  return { ...found!, texts: found!.lines.map((l) => / :([^:]*)$/.exec(l)?.[1] ?? l) };
}

describe("IRC chathistory", () => {
  test("a channel's lines by msgid and by time, each with its own time and msgid; LATEST, BEFORE, AFTER, AROUND, BETWEEN", async () => {
    const t = await server();
    const ana = await t.irc("ana", CAPS);
    ana.send("JOIN #dev");
    await ana.seen(/ 366 ana #dev /);
    const sent: { id: string; time: string }[] = [];
    for (let i = 0; i < 6; i++) {
      ana.send(`PRIVMSG #dev :line ${i}`);
      const echo = await ana.seen(new RegExp(`PRIVMSG #dev :line ${i}$`));
      sent.push({ id: /msgid=([^; ]+)/.exec(echo)![1]!, time: /time=([^; ]+)/.exec(echo)![1]! });
      await Bun.sleep(3); // distinct times
    }
    const ask = async (line: string) => {
      const from = ana.log.lines.length;
      ana.send(line);
      return batchOf(ana, from);
    };
    const latest = await ask("CHATHISTORY LATEST #dev * 3");
    expect(latest.start).toMatch(/ BATCH \+\S+ chathistory #dev$/);
    expect(latest.texts).toEqual(["line 3", "line 4", "line 5"]);
    expect(latest.lines[0]).toStartWith(`@batch=`);
    expect(latest.lines[0]).toContain(`time=${sent[3]!.time};msgid=${sent[3]!.id}`);
    expect((await ask(`CHATHISTORY BEFORE #dev msgid=${sent[3]!.id} 2`)).texts).toEqual(["line 1", "line 2"]);
    expect((await ask(`CHATHISTORY BEFORE #dev timestamp=${sent[3]!.time} 10`)).texts).toEqual(["line 0", "line 1", "line 2"]);
    expect((await ask(`CHATHISTORY AFTER #dev msgid=${sent[3]!.id} 10`)).texts).toEqual(["line 4", "line 5"]);
    expect((await ask(`CHATHISTORY AFTER #dev timestamp=${sent[3]!.time} 1`)).texts).toEqual(["line 4"]);
    expect((await ask(`CHATHISTORY AROUND #dev msgid=${sent[2]!.id} 3`)).texts).toEqual(["line 1", "line 2", "line 3"]);
    expect((await ask(`CHATHISTORY BETWEEN #dev msgid=${sent[5]!.id} msgid=${sent[0]!.id} 2`)).texts).toEqual(["line 3", "line 4"]);
    expect((await ask(`CHATHISTORY BETWEEN #dev timestamp=${sent[0]!.time} timestamp=${sent[5]!.time} 10`)).texts).toEqual(["line 1", "line 2", "line 3", "line 4"]);
    expect((await ask(`CHATHISTORY LATEST #dev msgid=${sent[4]!.id} 10`)).texts).toEqual(["line 5"]);

    // A labeled request: the label on the batch's start.
    const from = ana.log.lines.length;
    ana.send("@label=h1 CHATHISTORY LATEST #dev * 1");
    expect((await batchOf(ana, from)).start).toMatch(/^@label=h1 :bunchat BATCH \+\S+ chathistory #dev$/);

    // Refused, with the reason.
    ana.send("CHATHISTORY LATEST #elsewhere * 10");
    await ana.seen(/ FAIL CHATHISTORY INVALID_TARGET LATEST #elsewhere :/);
    ana.send("CHATHISTORY BEFORE #dev yesterday 10");
    await ana.seen(/ FAIL CHATHISTORY INVALID_PARAMS BEFORE :A bound is msgid=/);
    ana.send("CHATHISTORY LATEST #dev *");
    await ana.seen(/ FAIL CHATHISTORY INVALID_PARAMS LATEST :/);
    ana.send("CHATHISTORY SIDEWAYS #dev * 1");
    await ana.seen(/ FAIL CHATHISTORY INVALID_PARAMS SIDEWAYS :Unknown subcommand/);
  });

  test("a kept conversation by the other's nick, each line as it was sent; TARGETS lists channels and conversations by their newest line; a guest's is no target", async () => {
    const t = await server();
    for (const name of ["Ana", "Sam"]) (await loggedIn(t, name)).send("quit");
    const ana = await ircLogIn(t, "Ana", CAPS);
    const sam = await ircLogIn(t, "Sam", CAPS);
    ana.send("PRIVMSG Sam :hi Sam");
    await sam.seen(/PRIVMSG Sam :hi Sam$/);
    sam.send("PRIVMSG Ana :hi Ana");
    await ana.seen(/PRIVMSG Ana :hi Ana$/);
    let from = ana.log.lines.length;
    ana.send("CHATHISTORY LATEST Sam * 10");
    const talk = await batchOf(ana, from);
    expect(talk.start).toMatch(/ chathistory Sam$/);
    expect(talk.lines.map((l) => l.replace(/^@\S+ /, ""))).toEqual([":Ana!Ana@bunchat PRIVMSG Sam :hi Sam", ":Sam!Sam@bunchat PRIVMSG Ana :hi Ana"]);

    ana.send("JOIN #dev");
    await ana.seen(/ 366 Ana #dev /);
    ana.send("PRIVMSG #dev :in the channel");
    await ana.seen(/PRIVMSG #dev :in the channel$/);
    // A client with draft/chathistory fetches history itself: joining replays nothing to it.
    const late = await t.irc("kim", CAPS);
    late.send("JOIN #dev");
    await late.seen(/ 366 kim #dev /);
    late.send("PING after-join");
    await late.seen(/PONG \S+ :?after-join$/);
    expect(late.log.lines.filter((l) => l.includes("in the channel"))).toEqual([]);
    await ana.seen(/PRIVMSG #dev :in the channel$/);
    from = ana.log.lines.length;
    ana.send("CHATHISTORY TARGETS timestamp=2020-01-01T00:00:00.000Z timestamp=2262-01-01T00:00:00.000Z 10");
    const targets = await batchOf(ana, from);
    expect(targets.start).toMatch(/ BATCH \+\S+ draft\/chathistory-targets$/);
    expect(targets.lines.map((l) => l.replace(/^@\S+ :bunchat /, "").replace(/ \S+$/, ""))).toEqual(["CHATHISTORY TARGETS Sam", "CHATHISTORY TARGETS #dev"]);

    const guest = await t.irc("cy", CAPS);
    guest.send("PRIVMSG Ana :from a guest");
    await ana.seen(/PRIVMSG Ana :from a guest$/);
    ana.send("CHATHISTORY LATEST cy * 10");
    await ana.seen(/ FAIL CHATHISTORY INVALID_TARGET LATEST cy :/);
  });
});
