// "Sam is typing…" through real sockets (issue 33): told to the page, the client and IRC clients
// that take tags (a TAGMSG with +typing, and theirs to everyone else), never to nc, at most one
// "active" every 3 s per room, ended by a line; to one person privately; refused where one is not.

import { describe, expect, test } from "bun:test";
import type { ServerEvent } from "../../src/protocol/events.ts";
import type { Peer } from "../helpers/peer.ts";
import { testServer } from "../helpers/server.ts";

/** The JSON events `p` has been sent so far of this type. */
function events<T extends ServerEvent["type"]>(p: Peer, type: T): Extract<ServerEvent, { type: T }>[] {
  return p.log.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as ServerEvent).filter((e): e is Extract<ServerEvent, { type: T }> => e.type === type);
}

describe("typing", () => {
  test("told to the room's page and client users, not to nc nor the typist; one active every 3 s; done only after active; a line ends it", async () => {
    const t = await testServer({ limits: { linesPerSecond: 0 } });
    const [ana, bo, cy] = [await t.join("Ana", "json"), await t.join("Bo", "json"), await t.join("Cy")];
    ana.send("/typing");
    expect(await bo.event("typing")).toMatchObject({ type: "typing", from: "Ana", state: "active", room: "#lobby" });
    ana.send("/typing"); // within 3 s: not passed on
    ana.send("/typing done");
    expect(await bo.event("typing", (e) => e.state === "done")).toMatchObject({ from: "Ana" });
    ana.send("/typing done"); // not typing: nothing
    ana.send("hello"); // a line, then typing again at once: passed on (the line ended the last)
    ana.send("/typing");
    await bo.event("public", (e) => e.text === "hello");
    await bo.event("typing", (e) => e.state === "active");
    await Promise.all([ana.ping(), bo.ping(), cy.ping()]);
    expect(events(bo, "typing").map((e) => e.state)).toEqual(["active", "done", "active"]);
    expect(events(ana, "typing")).toEqual([]);
    expect(cy.log.lines.filter((l) => l.includes("typing"))).toEqual([]);
    // To one person: no room.
    ana.send("/typing Bo");
    expect(await bo.event("typing", (e) => e.room === undefined)).toMatchObject({ from: "Ana", state: "active" });
    ana.send("/typing #nowhere");
    expect(await ana.event("error")).toMatchObject({ code: "not-in-room" });
    ana.send("/typing sideways #lobby");
    expect(await ana.event("error", (e) => e.code === "bad-usage")).toBeDefined();
  });

  test("IRC: a client that takes tags is sent TAGMSG +typing; its own TAGMSG +typing reaches the page and the client", async () => {
    const t = await testServer({ irc: true, limits: { linesPerSecond: 0 } });
    const bo = await t.join("Bo", "json");
    const irc = await t.irc("kim", ["message-tags", "echo-message", "server-time"]);
    irc.send("JOIN #lobby");
    await irc.seen(/ 366 kim #lobby /);
    bo.send("/typing");
    await irc.seen(/^@time=\S+;msgid=\S+;\+typing=active :Bo!\S+ TAGMSG #lobby$/);
    irc.send("@+typing=active TAGMSG #lobby");
    expect(await bo.event("typing")).toMatchObject({ from: "kim", state: "active", room: "#lobby" });
    await irc.seen(/^@time=\S+;\+typing=active :kim!\S+ TAGMSG #lobby$/); // its echo
  });
});
