// The HTTP API through real requests (fetch): bot tokens made, used and revoked by a server admin;
// a bot's line reaching nc and JSON users and history; every refusal's status; /healthz, /metrics.

import { describe, expect, test } from "bun:test";
import { makeRenderer } from "../../src/client/render.ts";
import { loggedIn, memoryStore } from "../helpers/accounts.ts";
import { testServer } from "../helpers/server.ts";
import { makeToken, WsPeer } from "../helpers/web.ts";

async function withBot(options: Parameters<typeof testServer>[0] = {}) {
  const file = memoryStore();
  const t = await testServer({ http: true, history: file.history, accounts: file.accounts, tokens: file.tokens, admins: ["Sam"], ...options });
  const base = `http://127.0.0.1:${t.server.httpPort}`;
  const sam = await loggedIn(t, "Sam");
  const token = await makeToken(sam, "deploy");
  const post = (room: string, body: unknown, auth = token) =>
    fetch(`${base}/api/rooms/${room}/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${auth}`, "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  const get = (room: string, query = "", auth = token) =>
    fetch(`${base}/api/rooms/${room}/messages${query}`, { headers: { authorization: `Bearer ${auth}` } });
  return { t, base, sam, token, post, get };
}

describe("HTTP API", () => {
  test("a bot's line: 201, seen by nc (as a bot's), JSON and WebSocket users, kept in history and read back", async () => {
    const { t, sam, post, get } = await withBot();
    const ana = await t.join("Ana", "json");
    const web = await WsPeer.join(t.server.httpPort!, "Kim");
    const res = await post("lobby", { text: "deploy finished\nall green" });
    expect(res.status).toBe(201);
    const body = await res.json();
    // A message of several lines: its newlines kept, each further line under the first for nc, one line in the log.
    expect(body).toMatchObject({ room: "#lobby", from: "deploy", text: "deploy finished\nall green" });
    await sam.seen("deploy (bot): deploy finished");
    await sam.next("              all green");
    expect(t.log).toContain("[Broadcast message from deploy (bot)] deploy finished ⏎ all green"); // every public line is logged
    const bot = await ana.event("public");
    expect(bot.bot).toBe(true);
    // The bundled client shows it as nc does.
    expect(makeRenderer({ color: false, timestamps: false, room: () => "#lobby" })(bot)).toBe("deploy (bot): deploy finished\n              all green");
    expect((await web.event("public")).from).toBe("deploy");
    // By name with its "#" too; history pages back with `before`.
    for (let i = 1; i <= 3; i++) expect((await post("%23lobby", { text: `line ${i}` })).status).toBe(201);
    const page = await (await get("lobby", "?limit=2")).json();
    expect(page.messages.map((m: { text: string }) => m.text)).toEqual(["line 2", "line 3"]);
    expect(page.more).toBe(true);
    const older = await (await get("lobby", `?limit=10&before=${page.before}`)).json();
    expect(older.messages.map((m: { text: string }) => m.text)).toEqual(["deploy finished\nall green", "line 1"]);
    expect(older.messages[0].bot).toBe(true);
    expect(older.more).toBe(false);
  });

  test("a bot answers a line (reply_to) and reads ids, answers, edits and reactions back; a line of another room is not found", async () => {
    const { t, sam, post, get } = await withBot();
    const ana = await t.join("Ana");
    ana.send("did the deploy work?");
    await sam.seen("Ana: did the deploy work?");
    const first = (await (await get("lobby", "?limit=1")).json()).messages[0];
    expect(first).toMatchObject({ type: "public", from: "Ana", text: "did the deploy work?" });
    const res = await post("lobby", { text: "yes: build 812 is live", reply_to: first.id });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ text: "yes: build 812 is live", reply: { id: first.id, from: "Ana", text: "did the deploy work?" } });
    await ana.seen('deploy (bot) (re Ana "did the deploy work?"): yes: build 812 is live');
    ana.send("/react ^ 🎉");
    await ana.seen(/^-- Ana reacted 🎉 to deploy's line/);
    ana.send("/edit ^2 did the deploy work on staging?");
    await ana.seen(/^-- Ana edited their line from/);
    const read = (await (await get("lobby", "?limit=2")).json()).messages;
    expect(read[0]).toMatchObject({ id: first.id, text: "did the deploy work on staging?", edited: expect.any(Number) });
    expect(read[1]).toMatchObject({ bot: true, reply: { id: first.id, from: "Ana", text: "did the deploy work on staging?" }, reactions: [{ emoji: "🎉", names: ["Ana"] }] });
    // An id of another room's line, a guessed one, one that is not an id: refused as for a line there is not.
    sam.send("/join #ops");
    sam.send("ops only");
    await sam.seen(/^In #ops/);
    await sam.ping(); // the line is said before what follows
    const ops = (await (await get("ops", "?limit=1")).json()).messages[0];
    expect((await post("lobby", { text: "x", reply_to: ops.id })).status).toBe(404);
    expect((await post("lobby", { text: "x", reply_to: 987654 })).status).toBe(404);
    expect((await post("lobby", { text: "x", reply_to: "not an id" })).status).toBe(400);
  });

  test("a secret room is, to a bot, a room that does not exist: the same 404 to GET and POST; an invite-only one takes its posts", async () => {
    const { sam, post, get } = await withBot({ roomStore: memoryStore().roomStore });
    sam.send("/join #hidden");
    await sam.seen(/^In #hidden/);
    sam.send("hello in the dark");
    sam.send("/room secret on");
    await sam.seen(/^-- Sam changed the settings of #hidden/);
    const answers = async (room: string) => {
      const [g, p] = [await get(room), await post(room, { text: "found you?" })];
      return [g.status, (await g.text()).replace(`#${room}`, "#X"), p.status, (await p.text()).replace(`#${room}`, "#X")];
    };
    expect(await answers("hidden")).toEqual(await answers("nowhere"));
    expect((await answers("hidden"))[0]).toBe(404);
    sam.send("/room secret off");
    await sam.seen("-- Sam changed the settings of #hidden: it is invite-only.");
    expect((await post("hidden", { text: "for the invite-only room" })).status).toBe(201);
    await sam.seen("deploy (bot): for the invite-only room");
  });

  test("wrong tokens from many addresses are summed up in the log per network, not a line each", async () => {
    const { t, base } = await withBot({ limits: { attemptBurst: 1000 } });
    const wrong = `bunchat_000000000000_${"A".repeat(43)}`;
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${base}/api/rooms/lobby/messages`, { headers: { authorization: `Bearer ${wrong}` } });
      expect(res.status).toBe(401);
    }
    expect(t.log.filter((l) => l.startsWith("! API: a wrong token from"))).toHaveLength(3);
  });

  test("refusals: 401 without or with a wrong token (and a revoked one), 404 unknown room, 400, 413, 405", async () => {
    const { t, base, sam, token, post, get } = await withBot();
    const none = await fetch(`${base}/api/rooms/lobby/messages`, { method: "POST", body: '{"text":"x"}' });
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toContain("Bearer");
    expect((await none.json()).message).toContain("Authorization: Bearer");
    const forged = token.slice(0, -4) + (token.endsWith("AAAA") ? "BBBB" : "AAAA");
    expect((await post("lobby", { text: "x" }, forged)).status).toBe(401);
    expect((await post("lobby", { text: "x" }, "hunter2")).status).toBe(401);
    expect((await get("lobby", "", "hunter2")).status).toBe(401);
    // The default room is always there, even empty; another while someone is in it, or with history.
    sam.send("/join #dev");
    sam.send("/part #lobby");
    await sam.ping();
    expect(t.server.hub.room("#lobby")).toBeUndefined();
    expect((await post("lobby", { text: "to the empty lobby" })).status).toBe(201);
    expect((await post("dev", { text: "to #dev" })).status).toBe(201);
    const unknown = await post("nowhere", { text: "x" });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).message).toContain("#nowhere");
    expect((await post("BAD!", { text: "x" })).status).toBe(404);
    expect((await post("lobby", "not json")).status).toBe(400);
    expect((await post("lobby", { words: "x" })).status).toBe(400);
    expect((await post("lobby", { text: "\u0007\u0001" })).status).toBe(400);
    // A message (of several lines, or one long one) is bounded by --max-message-bytes and --max-message-lines.
    const long = await post("lobby", { text: "x".repeat(20_000) });
    expect(long.status).toBe(413);
    expect((await long.json()).message).toContain("at most 16384");
    const tall = await post("lobby", { text: "x\n".repeat(101) });
    expect(tall.status).toBe(413);
    expect((await tall.json()).message).toContain("at most 100 in one message");
    expect((await fetch(`${base}/api/rooms/lobby/messages`, { method: "DELETE" })).status).toBe(405);
    expect((await fetch(`${base}/api/elsewhere`)).status).toBe(404);
    for (const limit of ["x", "0", "-5", "201", "500", "1.5", ""]) expect((await get("lobby", `?limit=${limit}`)).status).toBe(400);
    expect((await get("lobby", "?limit=200")).status).toBe(200);
    expect((await get("lobby", "?before=x")).status).toBe(400);
    // Revoked: posts nothing from then on.
    sam.send("/token list");
    const id = (await sam.seen(/^-- {3}[0-9a-f]{12} {2}deploy, made by Sam/)).slice(5, 17);
    sam.send(`/token revoke ${id}`);
    await sam.seen(`-- Token ${id} is revoked: it posts nothing from now on.`);
    expect((await post("lobby", { text: "after" })).status).toBe(401);
    expect(t.log.some((l) => l.includes(token))).toBe(false); // a token is never logged
  });

  test("too fast: 429 with Retry-After past the flood budget (the same as a user's)", async () => {
    const { post } = await withBot({ limits: { burstLines: 3, linesPerSecond: 1 } });
    for (let i = 0; i < 3; i++) expect((await post("lobby", { text: `n${i}` })).status).toBe(201);
    const res = await post("lobby", { text: "one too many" });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await res.json()).message).toContain("too fast");
  });

  test("/token is for admins; the bot's name is held: nobody joins as it or takes it with /nick", async () => {
    const { t } = await withBot();
    const guest = await t.join("Ana");
    guest.send("/token new spy");
    await guest.seen(/^! Only server admins can use \/token/);
    guest.send("/nick Deploy");
    await guest.seen(/^! deploy is a bot's name/);
    const p = await t.connect();
    p.send("deploy");
    await p.seen(/^! deploy is a bot's name/);
  });

  test("/nick can't take someone's registered name while they are away", async () => {
    const file = memoryStore();
    const t = await testServer({ history: file.history, accounts: file.accounts });
    const kim = await loggedIn(t, "Kim");
    kim.send("quit");
    await kim.closed();
    const ana = await t.join("Ana");
    ana.send("/nick Kim");
    await ana.seen(/^! Kim is a registered name: only its owner can use it/);
    ana.send("/nick Kimberly");
    await ana.seen("--- Ana is now known as Kimberly");
  });

  test("/healthz is 200 while serving and 503 while shutting down; /metrics counts users by door, lines, refusals", async () => {
    const { t, base, post } = await withBot({ limits: { shutdownGraceMs: 3000, linesPerSecond: 0, maxOutboxBytes: 16 << 20 } });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await WsPeer.join(t.server.httpPort!, "Kim");
    await expect(WsPeer.connect(t.server.httpPort!, "evil", "http://evil.example")).rejects.toThrow();
    await post("lobby", { text: "hi" });
    await post("lobby", { text: "x" }, "wrong");
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('bunchat_users{door="tcp"} 1'); // Sam
    expect(metrics).toContain('bunchat_users{door="web"} 1');
    expect(metrics).toContain('bunchat_connections_refused_total{reason="origin"} 1');
    expect(metrics).toContain("bunchat_api_posts_total 1");
    expect(metrics).toContain('bunchat_api_refused_total{status="401"} 1');
    expect(metrics).toMatch(/^bunchat_lines_in_total [1-9]/m);
    expect(metrics).toMatch(/^bunchat_lines_out_total [1-9]/m);
    expect(metrics).toMatch(/^bunchat_history_lines_written_total \d+/m);
    for (const line of metrics.trim().split("\n")) expect(line).toMatch(/^(# (HELP|TYPE) bunchat_\w+ .+|bunchat_\w+(\{[^}]*\})? \d+)$/);
    // A user who reads nothing keeps the shutdown in its grace period (what it was sent waits for
    // it): /healthz says 503 meanwhile.
    const stuck = await t.join("Stuck");
    stuck.pause();
    const talker = await t.join("Talker");
    const line = "x".repeat(4000);
    for (let i = 0; i < 1500; i++) talker.send(line); // 6 MB: more than the kernel holds for Stuck
    await talker.ping();
    const stopping = t.server.shutdown();
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.text()).toContain("shutting down");
    stuck.kill();
    await stopping;
  });
});
