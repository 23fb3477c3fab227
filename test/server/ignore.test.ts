// /ignore: someone's public lines, actions and private messages stop reaching you (only you), on
// the server, so nc users have it; a registered user's list is kept from one login to the next.

import { describe, expect, test } from "bun:test";
import { SqliteFile } from "../../src/store/sqlite/file.ts";
import { testServer } from "../helpers/server.ts";

describe("/ignore", () => {
  test("an ignored user's lines, actions and private messages don't reach you; others see them; /unignore undoes it", async () => {
    const t = await testServer({ limits: { linesPerSecond: 0 } });
    const [ana, bo, cy] = [await t.join("Ana"), await t.join("Bo"), await t.join("Cy", "json")];
    ana.send("/ignore bo");
    await ana.seen("-- You ignore Bo now: their lines and private messages are not shown to you. /unignore Bo undoes it.");
    bo.send("spam one");
    bo.send("/me spams");
    bo.send("/pm Ana spam in private");
    await bo.seen("[pm to Ana] spam in private"); // Bo is not told
    cy.send("hello all");
    await ana.seen("Cy: hello all");
    expect(await cy.event("public", (e) => e.from === "Bo")).toMatchObject({ text: "spam one" }); // Cy still sees Bo
    await ana.ping();
    expect(ana.log.lines.filter((l) => l.includes("spam"))).toEqual([]);
    ana.send("/ignore");
    await ana.seen("-- You ignore 1: Bo. /unignore <name> undoes it."); // the name, not its folded key
    ana.send("/unignore Bo");
    await ana.seen("-- You see Bo's lines again.");
    bo.send("back to normal");
    await ana.seen("Bo: back to normal");
  });

  test("mistakes are explained: yourself, a bad name, someone not ignored, more than 100", async () => {
    const t = await testServer({ limits: { linesPerSecond: 0 } });
    const ana = await t.join("Ana");
    for (const [line, message] of [
      ["/ignore ana", "You can't ignore yourself."],
      ["/ignore b@d", "Names hold only A-Z, a-z, 0-9, _ and -."],
      ["/unignore Nobody", "You don't ignore Nobody."],
      ["/unignore", "Say whom."],
    ] as const) {
      ana.send(line);
      await ana.seen(new RegExp(message.replace(/[.@]/g, "\\$&")));
    }
    for (let i = 0; i < 100; i++) ana.send(`/ignore user${i}`);
    ana.send("/ignore one-more");
    await ana.seen(/^! You ignore 100 people already; \/unignore one first\./);
  });

  test("a registered user's ignores are kept from one login to the next", async () => {
    const file = new SqliteFile({
      path: ":memory:",
      retention: { linesPerRoom: 1000, days: 0 },
      status: { paused: () => {}, resumed: () => {} },
    });
    const t = await testServer({ history: file.history, accounts: file.accounts, limits: { linesPerSecond: 0 } });
    const ana = await t.join("Ana");
    ana.send("/register correct-horse");
    await ana.seen(/^-- Ana is registered/);
    ana.send("/ignore Bo");
    await ana.seen(/^-- You ignore Bo now/);
    ana.send("quit");
    await ana.closed();
    const again = await t.connect();
    again.send("Ana");
    await again.seen(/registered name\. Password/);
    again.send("correct-horse");
    await again.seen(/^Hi Ana, you are in/);
    const bo = await t.join("Bo");
    bo.send("still ignored?");
    again.send("/ignore");
    await again.seen("-- You ignore 1: Bo. /unignore <name> undoes it."); // kept as written
    await again.ping();
    expect(again.log.lines.filter((l) => l.includes("still ignored"))).toEqual([]);
  });
});
