// What registered names do, seen by users through real sockets, against each store that keeps
// them (the history file: test/server/accounts.test.ts; Redis: test/cluster/accounts.test.ts).

import { describe, expect, test } from "bun:test";
import { Peer } from "../helpers/peer.ts";
import type { TestServer } from "../helpers/server.ts";

export type MakeAccountServer = () => Promise<TestServer>;

/** Sam registers with `password` and leaves. */
async function registered(t: TestServer, password = "correct-horse") {
  const sam = await t.join("Sam");
  sam.send(`/register ${password}`);
  await sam.seen("-- Sam is registered: joining as Sam asks for this password from now on.");
  sam.send("quit");
  await sam.closed();
}

/** A connection that gives `name` and waits for the password question. */
async function asked(t: TestServer, name: string, mode: "text" | "json" = "text"): Promise<Peer> {
  const p = await t.connect(mode);
  p.send(name);
  if (mode === "json") await p.event("ask-login");
  else await p.seen(/is a registered name\. Password/);
  return p;
}

export function accountBehaviour(label: string, make: MakeAccountServer): void {
  describe(`registered names (${label})`, () => {
    test("joining as a registered name asks its password: a wrong one is told and asked again, the right one lets in", async () => {
      const t = await make();
      await registered(t);
      const p = await asked(t, "sam");
      p.send("wrong-horse");
      await p.next("! Wrong password for Sam.");
      await p.next("Sam is a registered name. Password:"); // the unencrypted warning was said once
      p.send("correct-horse");
      await p.seen(/^Hi Sam, you are in\./);
      expect(t.log.join("\n")).not.toContain("horse"); // no password in the log
    });

    test("a guest can never take a registered name, online or not, nor one that looks like it", async () => {
      const t = await make();
      await registered(t);
      for (const name of ["Sam", "SAM", "Sarn"]) {
        const p = await asked(t, name);
        p.send(""); // an empty line: choose another name
        await p.next("Enter your username:");
        p.send("Guest");
        await p.seen(/^Hi Guest, you are in\./);
        p.send("quit");
        await p.closed();
      }
      const json = await asked(t, "sam", "json");
      json.send("correct-horse");
      expect(await json.event("welcome")).toMatchObject({ name: "Sam" }); // as registered, not as typed
      // Online: its password is asked all the same (the right one makes another device of Sam's), and only it lets in.
      const other = await t.connect();
      other.send("Sam");
      await other.seen(/^Sam is a registered name\. Password/);
      other.send("wrong-horse");
      await other.seen("! Wrong password for Sam.");
      expect(t.server.hub.find("Sam")?.devices).toHaveLength(1);
    });

    test("/register, /passwd and /unregister check what they are given; the new password works, the old does not", async () => {
      const t = await make();
      const sam = await t.join("Sam");
      for (const [line, message] of [
        ["/register short", "A password needs at least 8 characters."],
        ["/register has a space", "A password can't hold spaces."],
        [`/register ${"x".repeat(1025)}`, "A password can have at most 1024 characters."],
        ["/passwd a b", "Sam is not registered"],
      ] as const) {
        sam.send(line);
        await sam.seen(new RegExp(message));
      }
      sam.send("/register correct-horse");
      await sam.seen(/^-- Sam is registered/);
      sam.send("/register another-horse");
      await sam.seen("! Sam is registered already; /passwd changes its password.");
      sam.send("/passwd wrong-horse new-horse-1");
      await sam.seen("! That is not your password; nothing changed.");
      sam.send("/passwd correct-horse new-horse-1");
      await sam.seen("-- The password of Sam is changed; every page session of it is signed out.");
      sam.send("quit");
      await sam.closed();
      const p = await asked(t, "Sam");
      p.send("correct-horse");
      await p.next("! Wrong password for Sam.");
      p.send("new-horse-1");
      await p.seen(/^Hi Sam, you are in\./);
      p.send("/unregister wrong-horse");
      await p.seen("! That is not your password; nothing changed.");
      p.send("/unregister new-horse-1");
      await p.seen(/^-- Sam is no longer registered/);
      p.send("quit");
      await p.closed();
      const guest = await t.join("Sam"); // a guest's name again
      guest.send("/whois Sam");
      await guest.seen("-- Sam is a guest, online.");
    });

    test("/whois says who is registered, online or not, since when, idle, away and where", async () => {
      const t = await make();
      await registered(t);
      const ana = await t.join("Ana");
      ana.send("/away lunch");
      ana.send("/whois sam");
      await ana.seen("-- Sam is a registered name, not online now.");
      ana.send("/whois Ana");
      await ana.seen("-- Ana is a guest, online.");
      await ana.seen("   away: lunch");
      await ana.seen("   in #lobby");
      ana.send("/whois Nobody");
      await ana.seen(/^! No user named "Nobody"/);
      // A look-alike's answer says whose it is.
      ana.send("/whois Sarn");
      await ana.next("-- Nobody is called Sarn; it looks like Sam, who is:");
      await ana.next("-- Sam is a registered name, not online now.");
    });

    test("wrong passwords for one name from many addresses slow that name's next tries, from any address", async () => {
      const t = await make();
      await registered(t);
      for (let i = 0; i < 5; i++) {
        // Each from an address of its own (127.0.0.x): the per-address limit never trips.
        const p = await Peer.connect(t.port, "text", `attacker ${i}`, { from: `127.0.0.${10 + i}` });
        p.send("Sam");
        await p.seen(/is a registered name\. Password/);
        p.send(`wrong-${i}-horse`);
        await p.next("! Wrong password for Sam.");
        p.close();
      }
      const p = await Peer.connect(t.port, "text", "late", { from: "127.0.0.99" });
      p.send("Sam");
      await p.seen(/is a registered name\. Password/);
      p.send("correct-horse");
      await p.seen(/^! Too many passwords tried for Sam lately \(right or wrong, from anywhere\); the next one is checked in \d+ s\.$/);
      p.close();
    });
  });
}
