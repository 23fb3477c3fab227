// What every bus must do, run against each of them (test/cluster/bus.test.ts): the in-memory bus
// in milliseconds, Redis for real. The pattern of hono's router suite: one set of behaviours, a
// factory per implementation.

import { describe, expect, test } from "bun:test";
import { joined, left } from "../helpers/lines.ts";
import { Peer } from "../helpers/peer.ts";
import type { TestServer } from "../helpers/server.ts";
import { until } from "../helpers/until.ts";

/** Nodes of one chat, and a way to start one more later. */
export interface Cluster {
  nodes: TestServer[];
  add(): Promise<TestServer>;
}

export type MakeCluster = (count: number) => Promise<Cluster>;

const byName = (a: string, b: string) => a.toLowerCase().localeCompare(b.toLowerCase());

export function busBehaviour(label: string, make: MakeCluster): void {
  /** Two nodes; Sam (plain text) on the first and Kim on the second, who Sam has seen join. */
  async function samAndKim(kimMode: "text" | "json" = "text") {
    const cluster = await make(2);
    const [a, b] = cluster.nodes as [TestServer, TestServer];
    const sam = await a.join("Sam");
    const kim = await b.join("Kim", kimMode);
    await sam.next(joined("Kim"));
    return { cluster, a, b, sam, kim };
  }

  describe(`${label}: one chat across nodes`, () => {
    test("public messages, joins and leaves reach users on the other node; /users lists everyone", async () => {
      const { sam, kim } = await samAndKim("json");
      kim.send("hello from b");
      await sam.next("Kim: hello from b");
      sam.send("hello from a");
      expect((await kim.event("public")).text).toBe("hello from a");
      sam.send("/users");
      await sam.next("In #lobby (2): Kim, Sam");
      kim.send("/users *");
      expect((await kim.event("users")).users).toEqual(["Kim", "Sam"]);
      sam.send("quit");
      expect(await kim.event("leave")).toMatchObject({ name: "Sam", reason: "quit", room: "#lobby" });
      // A sender never gets its own line back from the other node.
      await sam.closed();
      expect(sam.log.all(/hello from a$/).filter((l) => l.startsWith("Sam:"))).toEqual([]);
    });

    test("a welcome lists the users of every node, with away reasons, and /away and /back travel", async () => {
      const {
        nodes: [a, b],
      } = await make(2);
      const sam = await a!.join("Sam");
      sam.send("/away lunch");
      await sam.next(/marked as away: lunch/);
      await until(() => b!.server.hub.awayReason(b!.server.hub.find("Sam")!) === "lunch");
      const kim = await Peer.connect(b!.port, "json", "kim");
      kim.send("Kim");
      const welcome = await kim.event("welcome");
      expect([...welcome.users].sort(byName)).toEqual(["Kim", "Sam"]);
      expect(welcome.away).toEqual({ Sam: "lunch" });
      sam.send("/back");
      await sam.next("You are back.");
      await until(() => b!.server.hub.awayReason(b!.server.hub.find("Sam")!) === undefined);
      kim.send("/users");
      expect((await kim.event("users")).away).toBeUndefined();
      kim.close();
    });

    test("private messages, /reply and away notices cross nodes and reach only their user, with three nodes", async () => {
      const { cluster, a, sam, kim } = await samAndKim();
      const c = await cluster.add();
      const lee = await a.join("Lee");
      const zed = await c.join("Zed");
      await until(() => a.server.hub.find("Zed") !== undefined && c.server.hub.find("Kim") !== undefined);
      sam.send("/pm kim psst");
      await sam.next("[pm to Kim] psst");
      await kim.next("[pm from Sam] psst");
      kim.send("/r back at you");
      await sam.next("[pm from Kim] back at you");
      kim.send("/away in a meeting");
      await kim.next(/marked as away/);
      await until(() => a.server.hub.awayReason(a.server.hub.find("Kim")!) === "in a meeting");
      sam.send("/pm Kim are you there?");
      await sam.next("Kim is away: in a meeting");
      sam.send("/pm Nobody hi");
      await sam.next(/No user named "Nobody" is online/);
      await Promise.all([lee.ping(), zed.ping(), sam.ping()]);
      for (const p of [lee, zed]) expect(p.log.all(/psst|back at you|are you there/)).toEqual([]);
      expect(sam.log.all(/left before your private message/)).toEqual([]); // the third node stays out of it
    });

    test("names are unique across nodes, ignoring case, when both claim at the same moment", async () => {
      const {
        nodes: [a, b],
      } = await make(2);
      const names = Array.from({ length: 10 }, (_, i) => `user${i}`);
      const peers: Peer[] = [];
      const [onA, onB] = await Promise.all(
        [a!, b!].map((node, side) =>
          Promise.all(
            names.map(async (name) => {
              const peer = await Peer.connect(node.port, "json", `${name}@${side}`);
              peer.send(side === 0 ? name : name.toUpperCase());
              // Kept open until every answer is in: a winner that left would free its name.
              peers.push(peer);
              return JSON.parse(await peer.next(/"type":"(welcome|error)"/)).type as string;
            }),
          ),
        ),
      );
      for (const peer of peers) peer.close();
      for (let i = 0; i < names.length; i++) expect([onA![i], onB![i]].sort()).toEqual(["error", "welcome"]);
    });

    test("/nick across nodes: a name held elsewhere is refused, a new one is seen everywhere and frees the old", async () => {
      const { a, sam, kim } = await samAndKim();
      kim.send("/nick SAM");
      await kim.next(/The name "SAM" is taken by Sam/);
      kim.send("/nick Kimberly");
      await kim.next("--- Kim is now known as Kimberly");
      await sam.next("--- Kim is now known as Kimberly");
      const newKim = await a.join("Kim"); // the old name is free again, on the other node too
      await kim.next(joined("Kim"));
      newKim.send("/pm Kimberly hi");
      await kim.next("[pm from Kim] hi");
    });

    test("a name given up and taken back at once (/nick there and back in one write) is not refused", async () => {
      const { sam, kim } = await samAndKim();
      sam.write("/nick Sammy\n/nick Sam\n");
      await kim.next("--- Sam is now known as Sammy");
      await kim.next("--- Sammy is now known as Sam");
      await sam.ping();
      expect(sam.log.all(/taken/)).toEqual([]);
    });

    test("one sender's lines, public and private, reach a user on another node once each, in order", async () => {
      const { sam, kim } = await samAndKim();
      const count = 300;
      for (let i = 1; i <= count; i++) sam.send(i % 10 === 0 ? `/pm Kim line ${i}` : `line ${i}`);
      await kim.next(`Sam: line ${count - 1}`, 10_000);
      await kim.next(`[pm from Sam] line ${count}`);
      const got = kim.log.all(/line \d+$/).map((l) => Number(/line (\d+)$/.exec(l)![1]));
      expect(got).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    });

    test("a stopped node's users leave for the others, who are not told of a shutdown; their names are free at once", async () => {
      const { a, b, sam, kim } = await samAndKim();
      await a.server.shutdown();
      await sam.seen("!! The server is shutting down. Goodbye!");
      await kim.next(left("Sam", "their server was stopped"));
      await b.join("Sam");
      expect(kim.log.all(/shutting down/)).toEqual([]);
      expect(a.log.some((l) => l.startsWith("cluster: left; "))).toBe(true);
    });
  });

  describe(`${label}: rooms across nodes`, () => {
    test("/invite reaches a user of another node, who is told who asks and where; the inviter that it reached them", async () => {
      const { sam, kim } = await samAndKim();
      sam.send("/join #dev");
      await sam.seen("In #dev (1): Sam");
      sam.send("/invite Kim");
      await sam.seen("-- You invited Kim to #dev.");
      await kim.seen("-- Sam invites you to #dev: /join #dev to go there.");
      kim.send("/join #dev");
      await sam.seen("--> Kim joined #dev");
    });

    test("a room's lines, joins, parts, topic and quits reach its members on every node, and only them", async () => {
      const { a, b, sam, kim } = await samAndKim();
      const lee = await b.join("Lee"); // in the lobby only, on Kim's node
      sam.send("/join #dev");
      await sam.next("In #dev (1): Sam");
      // Kim's node must have heard of Sam's join before Kim's own is answered.
      await until(() => b.server.hub.room("#dev")?.size === 1);
      kim.send("/join #dev");
      await kim.next("In #dev (2): Kim, Sam");
      await sam.next("--> Kim joined #dev");
      sam.send("/topic ship on Friday");
      await kim.next("--- Sam set the topic: ship on Friday");
      kim.send("from b");
      await sam.next("Kim: from b");
      sam.send("from a");
      await kim.next("Sam: from a");
      lee.send("lunch?");
      await sam.next("[#lobby] Lee: lunch?");
      await kim.next("[#lobby] Lee: lunch?");
      const ana = await a.join("Ana");
      ana.send("/rooms");
      await ana.next("Rooms (2):");
      await ana.next(/^ {2}#dev +2 users {2}ship on Friday$/);
      await ana.next(/^ {2}#lobby +4 users$/);
      kim.send("/part #dev back later");
      await sam.next("<-- Kim left #dev: back later");
      kim.send("/join #dev");
      await sam.next("--> Kim joined #dev");
      kim.send("quit");
      await sam.seen("<-- Kim left the chat (quit)");
      await lee.seen("<-- Kim left the chat (quit)");
      await sam.ping();
      expect(sam.log.all(/Kim left the chat/)).toHaveLength(1); // once, though Sam shared #lobby and #dev with Kim
      expect(lee.log.lines.filter((l) => /from [ab]|set the topic/.test(l))).toEqual([]);
      await until(() => a.server.hub.room("#dev")?.size === 1);
    });

    test("a node that starts later learns who is in which room, and the topics set before", async () => {
      const cluster = await make(1);
      const sam = await cluster.nodes[0]!.join("Sam");
      sam.send("/join #dev");
      await sam.next("In #dev (1): Sam");
      sam.send("/topic ship on Friday");
      await sam.next("--- Sam set the topic: ship on Friday");
      const c = await cluster.add();
      await until(() => c.server.hub.room("#dev")?.topic !== undefined);
      const zoe = await c.join("Zoe");
      zoe.send("/join #dev");
      await zoe.next("Topic: ship on Friday (set by Sam)");
      await zoe.next("In #dev (2): Sam, Zoe");
      await sam.next("--> Zoe joined #dev");
      zoe.send("hi Sam");
      await sam.next("Zoe: hi Sam");
    });
  });
}
