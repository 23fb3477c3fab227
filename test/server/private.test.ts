// Private rooms through real sockets: invite-only, secret, a key, a limit, moderated with voice;
// settings kept across a restart (a registered owner's room) and gone with an empty guest's room;
// held on every node of a cluster; and the hostile cases: key guessing from many connections,
// enumeration of secret rooms by their answers, an invite storm.

import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_RETENTION } from "../../src/store/history.ts";
import { SqliteFile } from "../../src/store/sqlite/file.ts";
import { roleKey } from "../../src/store/rooms.ts";
import { KEY_GUESSES } from "../../src/core/rules.ts";
import type { Peer } from "../helpers/peer.ts";
import { loggedIn, memoryStore } from "../helpers/accounts.ts";
import { testRedis } from "../helpers/redis.ts";
import { until } from "../helpers/until.ts";
import { testNode, testServer } from "../helpers/server.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function server(file = memoryStore()) {
  return testServer({ history: file.history, accounts: file.accounts, bans: file.bans, roomStore: file.roomStore, limits: { linesPerSecond: 0 } });
}

/** The first line matching `test` that arrives after this call (an earlier one like it does not count). */
async function fresh(p: Peer, test: RegExp): Promise<void> {
  const from = p.log.lines.length;
  await until(() => p.log.lines.slice(from).some((l) => test.test(l)), 3000);
}

async function into(p: Peer, room: string) {
  p.send(`/join ${room}`);
  await p.seen(new RegExp(`^In ${room} \\(`));
}

describe("private rooms", () => {
  test("invite-only: the uninvited are told how to get in; an invite lets one in once; a guest's invite is not its name's", async () => {
    const t = await server();
    const [sam, kim, bo] = [await t.join("Sam"), await t.join("Kim"), await t.join("Bo")];
    await into(sam, "#ops"); // Sam made it: Sam runs it
    sam.send("/room invite-only on");
    await sam.seen("-- Sam changed the settings of #ops: it is invite-only.");
    kim.send("/join #ops");
    await kim.seen("! #ops is invite-only: one of its members can let you in with /invite Kim #ops.");
    sam.send("/invite Kim");
    await kim.seen("-- Sam invites you to #ops: /join #ops to go there.");
    await into(kim, "#ops");
    kim.send("/invite Bo"); // only operators invite to an invite-only room
    await kim.seen("! #ops is invite-only: only its operators (and server admins) can invite to it.");
    kim.send("/part #ops");
    await kim.seen(/^<-- You left #ops/);
    const refused = fresh(kim, /^! #ops is invite-only: one of its members/);
    kim.send("/join #ops"); // the invite was used
    await refused;
    // A guest's invite holds for that guest only: another who takes the name later is not let in.
    sam.send("/invite Bo #ops");
    await bo.seen(/^-- Sam invites you to #ops/);
    bo.send("quit");
    await bo.closed();
    const bo2 = await t.join("Bo");
    bo2.send("/join #ops");
    await bo2.seen(/^! #ops is invite-only/);
    sam.send("/invite Bo #ops"); // a minute has not passed, but this Bo is another guest: the invite is new
    await bo2.seen(/^-- Sam invites you to #ops/);
    await into(bo2, "#ops");
  });

  test("a registered name invited while offline comes in at its next /join; a name nobody has is unknown", async () => {
    const t = await server();
    const ana = await loggedIn(t, "Ana");
    ana.send("quit");
    await ana.closed();
    const sam = await t.join("Sam");
    await into(sam, "#ops");
    sam.send("/room invite-only on");
    await sam.seen(/^-- Sam changed the settings of #ops/);
    sam.send("/invite Ana");
    await sam.seen("-- Ana is not online: your invite to #ops holds for 24 hours, for their next /join of it.");
    sam.send("/invite Nobody");
    await sam.seen(/^! No user named "Nobody" is online/);
    const back = await t.connect();
    back.send("Ana");
    await back.seen(/^Ana is a registered name/);
    back.send("correct-horse");
    await back.seen(/^Hi Ana, you are in/);
    await into(back, "#ops");
  });

  test("secret: invisible to non-members in /rooms and /whois, answered as a room that does not exist; members see it", async () => {
    const t = await server();
    const [sam, kim] = [await t.join("Sam"), await t.join("Kim")];
    await into(sam, "#hidden");
    sam.send("/room secret on");
    await sam.seen("-- Sam changed the settings of #hidden: it is invite-only, secret.");
    kim.send("/rooms");
    await kim.seen("Rooms (1):");
    await kim.next(/^ {2}#lobby /);
    sam.send("/rooms hid");
    await sam.seen('Rooms, starting with "#hid" (1):');
    await sam.next(/^ {2}#hidden +1 user +\(invite-only, secret\)$/);
    kim.send("/whois Sam");
    await kim.seen("   in #lobby");
    sam.send("/whois Sam");
    await sam.seen("   in #lobby, #hidden (invite-only, secret)"); // its settings, to a member
    // Asked about by a non-member: the same words as for a room nobody made.
    kim.send("/invite Sam #hidden");
    const secret = await kim.next(/^! /);
    kim.send("/invite Sam #nowhere");
    const none = await kim.next(/^! /);
    expect(secret.replace("#hidden", "#X")).toBe(none.replace("#nowhere", "#X"));
    kim.send("/join #hidden"); // the one way it shows, as on IRC
    await kim.seen(/^! #hidden is invite-only/);
    sam.send("/invite Kim #hidden");
    await into(kim, "#hidden");
    kim.send("/rooms");
    await kim.seen("Rooms (2):");
  });

  test("a key and a limit: without the key or with a wrong one, refused with the reason; full, refused; an invite passes both", async () => {
    const t = await server();
    const [sam, kim, bo, jo] = [await t.join("Sam"), await t.join("Kim"), await t.join("Bo"), await t.join("Jo")];
    await into(sam, "#vault");
    sam.send("/room key s3cret limit 2");
    await sam.seen("-- Sam changed the settings of #vault: it is key, limit 2.");
    sam.send("/room");
    await sam.seen("-- #vault is key s3cret, limit 2:");
    kim.send("/join #vault");
    await kim.seen("! #vault needs a key: /join #vault <key>.");
    kim.send("/join #vault guess");
    await kim.seen("! That is not the key of #vault.");
    kim.send("/join #vault s3cret");
    await kim.seen(/^--> You joined #vault/);
    await kim.seen(/^-- #vault is key s3cret, limit 2 \(\/room/); // members see the key
    bo.send("/join #vault s3cret");
    await bo.seen("! #vault is full (its limit is 2): ask one of its members for an invite, or try later.");
    sam.send("/invite Jo");
    await jo.seen(/^-- Sam invites you to #vault/);
    await into(jo, "#vault"); // past the key and the limit
    jo.send("/rooms vault");
    await jo.seen(/^ {2}#vault +3 users +\(key s3cret, limit 2\)$/);
    bo.send("/rooms vault");
    await bo.seen(/^ {2}#vault +3 users +\(key, limit 2\)$/); // not a member: that it has a key, not which
  });

  test("moderated: only operators and the voiced speak, the others are told; voice given and taken", async () => {
    const t = await server();
    const [sam, kim] = [await t.join("Sam"), await t.join("Kim")];
    await into(sam, "#talk");
    await into(kim, "#talk");
    sam.send("/room moderated on");
    await kim.seen(/^-- Sam changed the settings of #talk: it is moderated/);
    kim.send("can I speak?");
    await kim.seen("! #talk is moderated: only its operators and those with voice speak (ask one of its operators for /voice). That was not sent.");
    kim.send("/voice Kim");
    await kim.seen("! Only a room's operators (and server admins) can use /voice.");
    sam.send("/voice Kim");
    await kim.seen("-- Sam gave Kim voice in #talk (while they stay).");
    kim.send("now I can");
    await sam.seen("Kim: now I can");
    sam.send("/devoice Kim");
    await kim.seen("-- Sam took Kim's voice in #talk.");
    const refused = fresh(kim, /^! #talk is moderated/);
    kim.send("and now?");
    await refused;
    sam.send("ops always speak");
    await kim.seen("Sam: ops always speak");
    expect(sam.log.lines).not.toContain("Kim: can I speak?");
    expect(sam.log.lines).not.toContain("Kim: and now?");
  });

  test("bad settings get their reason; nobody but operators changes them; anyone in the room sees them", async () => {
    const t = await server();
    const [sam, kim] = [await t.join("Sam"), await t.join("Kim")];
    await into(sam, "#x");
    await into(kim, "#x");
    for (const [line, answer] of [
      ["/room colour blue", '! "colour" is not a setting (invite-only, secret, key, limit, moderated, topic-lock, external). Usage: /room [invite-only|secret|moderated|topic-lock|external on|off] [key <key>|off] [limit <n>|off]'],
      ["/room limit 0", /^! A limit is a whole number from 1 to 100000\./],
      ["/room limit many", /^! A limit is a whole number/],
      ["/room key", /^! Say a value or off after key\./],
      ["/room key two,words", /^! A key is 1 to 32 printable ASCII characters without spaces or commas\./],
      ["/room invite-only maybe", /^! invite-only is on or off\./],
    ] as const) {
      sam.send(line);
      await sam.seen(answer);
    }
    kim.send("/room invite-only on");
    await kim.seen("! Only a room's operators (and server admins) can use /room.");
    kim.send("/room");
    await kim.seen("-- #x is a public room: anyone may join it and speak. Its operators change that with /room (/help room).");
    kim.send("/help room"); // who may run it, from the command table
    await kim.seen("  Who may: the operators of your current room, and server admins (anyone may look, without words).");
    sam.send("/room invite-only on");
    sam.send("/room invite-only on");
    await sam.seen("-- #x is like that already.");
  });

  test("a room a guest made starts afresh once empty; a registered owner's keeps its settings across a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bunchat-private-"));
    dirs.push(dir);
    const path = join(dir, "h.sqlite");
    const open = () => new SqliteFile({ path, retention: DEFAULT_RETENTION, status: { paused: () => {}, resumed: () => {} } });
    let file = open();
    let t = await server(file);
    const bo = await t.join("Bo");
    await into(bo, "#guests");
    bo.send("/room invite-only on");
    await bo.seen(/^-- Bo changed the settings of #guests/);
    const sam = await loggedIn(t, "Sam");
    await into(sam, "#team");
    sam.send("/room invite-only on key k1");
    await sam.seen(/^-- Sam changed the settings of #team/);
    // A moderated room of Sam's where Ana, registered, has voice, and a limit and a secret.
    const ana = await loggedIn(t, "Ana");
    await into(sam, "#talk");
    await into(ana, "#talk");
    sam.send("/room moderated on limit 3 secret on invite-only off");
    await ana.seen(/^-- Sam changed the settings of #talk/);
    sam.send("/voice Ana");
    await ana.seen("-- Sam gave Ana voice in #talk.");
    bo.send("/part #guests");
    await bo.seen(/^<-- You left #guests/);
    const kim = await t.join("Kim");
    await into(kim, "#guests"); // empty, nobody's: open again, and Kim runs it
    kim.send("/room");
    await kim.seen(/^-- #guests is a public room/);
    await t.server.shutdown();
    file.close();
    file = open();
    t = await server(file);
    const kim2 = await t.join("Kim");
    kim2.send("/join #team k1");
    await kim2.seen(/^! #team is invite-only/);
    const sam2 = await t.connect();
    sam2.send("Sam");
    await sam2.seen(/^Sam is a registered name/);
    sam2.send("correct-horse");
    await sam2.seen(/^Hi Sam, you are in/);
    await into(sam2, "#team"); // its owner comes in
    await sam2.seen(/^-- #team is invite-only, key k1 /);
    await into(sam2, "#talk");
    await sam2.seen(/^-- #talk is secret, limit 3, moderated /);
    kim2.send("/rooms");
    await kim2.seen("Rooms (2):"); // #lobby and #team: #talk is secret
    const ana2 = await t.connect();
    ana2.send("Ana");
    await ana2.seen(/^Ana is a registered name/);
    ana2.send("correct-horse");
    await ana2.seen(/^Hi Ana, you are in/);
    await into(ana2, "#talk");
    ana2.send("still voiced");
    await sam2.seen("Ana: still voiced");
    await into(kim2, "#talk");
    kim2.send("and me?");
    await kim2.seen(/^! #talk is moderated/);
    await t.server.shutdown();
    file.close();
  });

  test("structured clients get the settings with the room, and each change as state", async () => {
    const t = await server();
    const sam = await t.join("Sam", "json");
    sam.send("/join #ops");
    expect(await sam.event("room")).not.toHaveProperty("settings");
    sam.send("/room invite-only on limit 5");
    expect(await sam.event("settings")).toEqual({ type: "settings", room: "#ops", settings: { inviteOnly: true, limit: 5 } });
    expect((await sam.event("notice")).text).toBe("Sam changed the settings of #ops: it is invite-only, limit 5.");
    sam.send("/rooms");
    expect(await sam.event("rooms")).toMatchObject({ rooms: [{ name: "#lobby" }, { name: "#ops", settings: { inviteOnly: true, limit: 5 } }] });
  });
});

describe("private rooms, hostile", () => {
  test("guessing a key from many connections: the room takes a few wrong keys, then refuses every key for a while", async () => {
    const t = await server();
    const sam = await t.join("Sam");
    await into(sam, "#vault");
    sam.send("/room key right-one");
    await sam.seen(/^-- Sam changed the settings of #vault/);
    const guessers = await Promise.all(Array.from({ length: 4 }, (_, i) => t.join(`G${i}`)));
    for (let i = 0; i < KEY_GUESSES; i++) {
      const g = guessers[i % guessers.length]!;
      g.send(`/join #vault wrong${i}`);
      await g.next("! That is not the key of #vault.");
    }
    const late = guessers[0]!;
    late.send("/join #vault right-one"); // even the right key, from anyone, until the budget refills
    await late.seen("! Too many wrong keys were tried for #vault lately: try again in a minute, or ask one of its members for an invite.");
    sam.send("/invite G1"); // an invite still works
    await into(guessers[1]!, "#vault");
    expect(t.server.hub.room("#vault")!.has(t.server.hub.find("G0")!)).toBe(false);
  });

  test("enumerating secret rooms: every question a non-member can ask reads as for a room that does not exist", async () => {
    const t = await server();
    const sam = await t.join("Sam");
    await into(sam, "#zz-secret");
    sam.send("/room secret on");
    await sam.seen(/^-- Sam changed the settings/);
    const mal = await t.join("Mal");
    const answers = async (room: string) => {
      const got: string[] = [];
      for (const q of [`/invite Sam ${room}`, `/part ${room}`, `/rooms ${room.slice(1)}`]) {
        mal.send(q);
        got.push((await mal.next(/^(! |Rooms|No room)/)).replaceAll(room, "#X").replaceAll(room.slice(1), "X"));
      }
      return got;
    };
    expect(await answers("#zz-secret")).toEqual(await answers("#zz-nobody"));
  });

  test("an invite storm: the same invite again within a minute is refused, and a room keeps at most 100 invites", async () => {
    const t = await server();
    const [sam, kim] = [await t.join("Sam"), await t.join("Kim")];
    await into(sam, "#crowd");
    sam.send("/invite Kim");
    await kim.seen(/^-- Sam invites you to #crowd/);
    sam.send("/invite Kim");
    await sam.seen("! You invited Kim to #crowd less than a minute ago; the invite holds.");
    const room = t.server.hub.room("#crowd")!;
    const now = Date.now();
    // Many invitations (as a storm of /invite would make over time): the oldest lapse first.
    const { withInvite, MAX_INVITES } = await import("../../src/core/settings.ts");
    let roles = room.roles;
    for (let i = 0; i < 150; i++) roles = withInvite(roles, `~u${i}`, { by: "Sam", name: `u${i}`, at: now + i, until: now + 86_400_000 }, now);
    expect(Object.keys(roles.invites!)).toHaveLength(MAX_INVITES);
    expect(roles.invites!["~u149"]).toBeDefined();
    expect(roles.invites!["~u0"]).toBeUndefined();
    expect(kim.log.lines.filter((l) => l.includes("invites you")).length).toBe(1);
  });
});

describe("private rooms, bad input", () => {
  test("every private-room command with hostile arguments gets its answer, and the room is as it was", async () => {
    const t = await server();
    const sam = await t.join("Sam");
    await into(sam, "#x");
    const before = JSON.stringify(t.server.hub.room("#x")!.roles);
    const junk = ["\u0000\u001b[2J", "x".repeat(3000), "🔒🔑", "#", "key", "limit 999999999999", "key a,b", "secret on key", "-", "on off on"];
    let asked = 0;
    for (const command of ["/room", "/voice", "/devoice", "/invite", "/join #x"]) {
      for (const args of junk) {
        sam.send(`${command} ${args}`);
        asked++;
      }
    }
    await sam.ping(); // everything before it was answered
    const answers = sam.log.lines.filter((l) => l.startsWith("! ") || l.startsWith("-- "));
    expect(answers.length).toBeGreaterThanOrEqual(asked - junk.length); // /join #x of a room one is in switches to it, quietly
    expect(sam.log.lines.join("\n")).not.toContain("\u001b");
    expect(JSON.stringify(t.server.hub.room("#x")!.roles)).toBe(before);
  });
});

describe("private rooms in a cluster", () => {
  test("settings made on one node hold on the other; an invite made on one lets a user of the other in", async () => {
    const redis = await testRedis();
    const [a, b] = [await testNode(redis.url, "a"), await testNode(redis.url, "b")];
    const sam = await loggedIn(a, "Sam");
    await into(sam, "#ops");
    sam.send("/room invite-only on moderated on");
    await sam.seen(/^-- Sam changed the settings of #ops/);
    await until(() => b.server.hub.room("#ops")?.roles.inviteOnly === true || false);
    const kim = await b.join("Kim");
    kim.send("/join #ops");
    await kim.seen(/^! #ops is invite-only/);
    sam.send("/invite Kim");
    await kim.seen(/^-- Sam invites you to #ops/);
    await until(() => b.server.hub.room("#ops")?.roles.invites?.[roleKey({ name: "Kim" })] !== undefined);
    await into(kim, "#ops");
    kim.send("hello?");
    await kim.seen(/^! #ops is moderated/);
    await until(() => a.server.hub.room("#ops")?.has(a.server.hub.find("Kim")!) === true);
    sam.send("/voice Kim");
    await kim.seen("-- Sam gave Kim voice in #ops (while they stay).");
    await until(() => b.server.hub.room("#ops")?.roles.voiced?.includes(roleKey({ name: "Kim" })) === true);
    kim.send("hello now");
    await sam.seen("Kim: hello now");
  });
});
