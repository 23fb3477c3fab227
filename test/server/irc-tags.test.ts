// Lines with identity through the IRC door, beside nc users: msgid on every line for clients with
// message-tags (none for the others), +draft/reply answering a line, TAGMSG +draft/react reacting
// to one, REDACT deleting one, edits as notices; client tags relayed; labeled-response.

import { describe, expect, test } from "bun:test";
import { memoryStore } from "../helpers/accounts.ts";
import type { Peer } from "../helpers/peer.ts";
import { testServer } from "../helpers/server.ts";

function irc() {
  const file = memoryStore();
  return testServer({ irc: true, limits: { linesPerSecond: 0 }, history: file.history, accounts: file.accounts, bans: file.bans, roomStore: file.roomStore });
}

const TAGS = ["message-tags", "echo-message", "server-time", "draft/message-redaction", "labeled-response", "batch"];

async function joined(p: Peer, channel: string): Promise<void> {
  p.send(`JOIN ${channel}`);
  await p.next(new RegExp(` 366 \\S+ ${channel} `));
}

/** The msgid of the first line from `p` that matches `test`. */
async function msgidOf(p: Peer, test: RegExp): Promise<string> {
  const line = await p.next(test);
  const id = /msgid=([^; ]+)/.exec(line)?.[1];
  if (!id) throw new Error(`no msgid in ${line}`);
  return id;
}

describe("IRC door: lines with identity", () => {
  test("msgid for clients with message-tags only; +draft/reply answers a line; TAGMSG +draft/react reacts; REDACT deletes; nc sees each", async () => {
    const t = await irc();
    const ana = await t.irc("Ana", TAGS);
    const old = await t.irc("Old"); // no capabilities
    const sam = await t.join("Sam");
    await joined(ana, "#lobby");
    await joined(old, "#lobby");
    sam.send("the bild is green");
    const id = await msgidOf(ana, /PRIVMSG #lobby :the bild is green$/);
    await old.next(":Sam!Sam@bunchat PRIVMSG #lobby :the bild is green"); // no tags at all
    // An answer from IRC: nc sees it quoted, an IRC client without tags as addressed.
    ana.send(`@+draft/reply=${id} PRIVMSG #lobby :great news`);
    await sam.seen('Ana (re Sam "the bild is green"): great news');
    await old.next(":Ana!Ana@bunchat PRIVMSG #lobby :Sam: great news");
    const echo = await ana.next(/PRIVMSG #lobby :great news$/); // echo-message, with the reply tag
    expect(echo).toContain(`+draft/reply=${id}`);
    // An answer from nc: IRC clients with tags get +draft/reply.
    sam.send("/answer @Ana thanks");
    const reply = await ana.next(/PRIVMSG #lobby :thanks$/);
    expect(reply).toMatch(/\+draft\/reply=\d+/);
    // A reaction from IRC: nc is told; a reaction from nc reaches IRC clients with tags as TAGMSG.
    ana.send(`@+draft/react=🎉;+draft/reply=${id} TAGMSG #lobby`);
    await sam.seen(/^-- Ana reacted 🎉 to Sam's line from \d\d:\d\d \("the bild is green"\)$/);
    await old.next(/^:bunchat NOTICE #lobby :-- Ana reacted 🎉 to Sam's line/);
    sam.send(`/react ${id} 👍`);
    const tagmsg = await ana.next(/ :Sam!Sam@bunchat TAGMSG #lobby$/); // (her own reaction came back to her before)
    expect(tagmsg).toMatch(/^@time=[^ ]*;\+draft\/react=👍;\+draft\/reply=\d+ :Sam!Sam@bunchat TAGMSG #lobby$/);
    // An edit from nc: IRC clients are told in a notice (IRC has no spec for edits).
    sam.send(`/edit ${id} the build is green`);
    await old.next(/^:bunchat NOTICE #lobby :-- Sam edited their line from \d\d:\d\d: the build is green$/);
    // REDACT of someone else's line, not being an operator: refused with why, and nothing changes.
    ana.send(`REDACT #lobby ${id} :no`);
    await ana.next(/^:bunchat FAIL REDACT REDACT_FORBIDDEN #lobby \d+ :That line is Sam's/);
    // Sam deletes it: clients with the capability get REDACT, the others a notice without its text.
    sam.send(`/delete ${id}`);
    await ana.next(new RegExp(`^@time=[^ ]* :Sam!Sam@bunchat REDACT #lobby ${id}$`));
    await old.next(/^:bunchat NOTICE #lobby :-- Sam deleted their line from \d\d:\d\d\.$/);
    // Ana's own line, redacted by her with a reason: nc sees it go.
    const own = await (async () => {
      ana.send("PRIVMSG #lobby :oops, wrong room");
      return msgidOf(ana, /PRIVMSG #lobby :oops, wrong room$/);
    })();
    ana.send(`REDACT #lobby ${own} :wrong room`);
    await sam.seen(/^-- Ana deleted their line from \d\d:\d\d \(wrong room\)\.$/);
    ana.send("REDACT #lobby 999999");
    await ana.next(/^:bunchat FAIL REDACT UNKNOWN_MSGID #lobby 999999 :/);
  });

  test("client tags are relayed to clients that take tags; TAGMSG reaches only them; labels answer with ACK, the line, or a batch", async () => {
    const t = await irc();
    const ana = await t.irc("Ana", TAGS);
    const bo = await t.irc("Bo", ["message-tags"]);
    const old = await t.irc("Old");
    for (const p of [ana, bo, old]) await joined(p, "#dev");
    ana.send("@+example/vote=yes;notmine=1 PRIVMSG #dev :with tags");
    const line = await bo.next(/PRIVMSG #dev :with tags$/);
    expect(line).toContain("+example/vote=yes");
    expect(line).not.toContain("notmine");
    await old.next(":Ana!Ana@bunchat PRIVMSG #dev :with tags");
    ana.send("@+typing=active TAGMSG #dev");
    await bo.next(/^@time=[^ ]*;msgid=[^ ;]+;\+typing=active :Ana!Ana@bunchat TAGMSG #dev$/);
    old.send("PING :after");
    await old.next(":bunchat PONG bunchat :after"); // Old was sent no TAGMSG
    expect(old.log.all(/TAGMSG/)).toEqual([]);
    // labeled-response: a command with no answer is ACKed; one line labeled; several in a batch.
    ana.send("@label=a1 AWAY :lunch");
    await ana.next(/^@label=a1 :bunchat 306 Ana :/);
    ana.send("@label=a2 PRIVMSG #dev :labeled");
    await ana.next(/^@label=a2;time=[^ ]*;msgid=[^ ]* :Ana!Ana@bunchat PRIVMSG #dev :labeled$/);
    ana.send("@label=a3 NAMES #dev");
    await ana.next(/^@label=a3 :bunchat BATCH \+\S+ labeled-response$/);
    await ana.next(/^@batch=\S+ :bunchat 353 Ana = #dev :/);
    await ana.next(/^@batch=\S+ :bunchat 366 Ana #dev :/);
    await ana.next(/^:bunchat BATCH -\S+$/);
    ana.send("@label=a4 MODE #dev +v Bo");
    await ana.next(/^@label=a4;time=[^ ]* :Ana!Ana@bunchat MODE #dev \+v Bo$/);
    // More than 4094 bytes of tags: 417, nothing relayed.
    ana.send(`@+x=${"a".repeat(4100)} PRIVMSG #dev :too many tags`);
    await ana.next(/ 417 Ana :Input line was too long/);
  });
});
