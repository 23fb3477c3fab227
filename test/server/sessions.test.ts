// The page's sessions through real sockets (issue 32): given to a page that signs in with its
// password, they sign in again with /resume at the name question (another device of the same
// user), are listed by /sessions and signed out by /logout, all go with a password change, expire,
// and a guessed or stolen-then-revoked token is refused like a wrong password. Never in the log.

import { describe, expect, test } from "bun:test";
import { memoryStore } from "../helpers/accounts.ts";
import { WsPeer } from "../helpers/web.ts";
import { testServer } from "../helpers/server.ts";
import { SESSION_LASTS_MS } from "../../src/store/sessions.ts";

function server(now?: () => number) {
  const file = memoryStore();
  return testServer({ http: true, history: file.history, accounts: file.accounts, markers: file.markers, sessions: file.sessions, limits: { linesPerSecond: 0 }, ...(now ? { now } : {}) });
}

type Server = Awaited<ReturnType<typeof server>>;

/** Sam registers over nc and leaves. */
async function registered(t: Server): Promise<void> {
  const sam = await t.join("Sam");
  sam.send("/register correct-horse");
  await sam.seen(/^-- Sam is registered/);
  sam.send("quit");
  await sam.closed();
}

/** A WebSocket as the page opens it, signed in to Sam with the password: its session token. */
async function pageSignsIn(t: Server): Promise<{ ws: WsPeer; token: string; id: string }> {
  const ws = await WsPeer.connect(t.server.httpPort!);
  await ws.event("ask-name");
  ws.send("Sam");
  await ws.event("ask-login");
  ws.send("correct-horse");
  await ws.event("welcome");
  const session = await ws.event("session");
  expect(session.token).toMatch(/^bcsession_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
  return { ws, token: session.token, id: session.id };
}

async function resume(t: Server, token: string): Promise<WsPeer> {
  const ws = await WsPeer.connect(t.server.httpPort!);
  await ws.event("ask-name");
  ws.send(`/resume ${token}`);
  return ws;
}

describe("the page's sessions", () => {
  test("a page signed in with its password gets a session; /resume signs in as the same user, without the password; never logged", async () => {
    const t = await server();
    await registered(t);
    const { ws, token, id } = await pageSignsIn(t);
    const again = await resume(t, token);
    expect((await again.event("welcome")).name).toBe("Sam");
    expect(t.server.hub.find("Sam")?.devices).toHaveLength(2); // a reload before the old page went: one user
    expect(again.log.lines.some((l) => l.includes("\"session\""))).toBe(false); // no new session for a resumed one
    again.send("/sessions");
    const list = await again.event("sessions");
    expect(list.sessions.map((s) => s.id)).toEqual([id]);
    expect(list.sessions[0]!.current).toBe(true);
    expect(t.log.join("\n")).not.toContain(token.slice(-20));
    expect(ws.log.lines.some((l) => l.includes("error"))).toBe(false);
  });

  test("/logout signs a session out (and /logout all every one); a password change signs them all out; the page is told why", async () => {
    const t = await server();
    await registered(t);
    const first = await pageSignsIn(t);
    const second = await pageSignsIn(t);
    second.ws.send("/logout");
    await second.ws.event("notice", (e) => e.text === `Session ${second.id} is signed out: it signs in no more.`);
    const refused = await resume(t, second.token);
    expect((await refused.event("error")).code).toBe("session-expired");
    await refused.event("ask-name");
    // The other still signs in, until the password changes.
    const stillIn = await resume(t, first.token);
    await stillIn.event("welcome");
    stillIn.send("/passwd correct-horse battery-staple");
    await stillIn.event("notice", (e) => e.text.includes("every page session of it is signed out"));
    const after = await resume(t, first.token);
    expect((await after.event("error")).code).toBe("session-expired");
  });

  test("a guessed token, another account's session id, and an expired session are refused; guesses count as failed attempts (five close the connection)", async () => {
    let now = Date.now();
    const t = await server(() => now);
    await registered(t);
    const { token, id } = await pageSignsIn(t);
    const guess = `bcsession_${id}_${"A".repeat(43)}`; // the right id, a wrong secret
    const ws = await resume(t, guess);
    expect((await ws.event("error")).code).toBe("session-expired");
    const kim = await t.join("Kim");
    kim.send(`/logout ${id}`);
    await kim.seen("! Kim is not registered: sessions are for registered names.");
    now += SESSION_LASTS_MS + 1000;
    const late = await resume(t, token);
    expect((await late.event("error")).code).toBe("session-expired");
    // Guesses count as failed names: five on one connection, and it is closed, as for wrong passwords.
    const spam = await resume(t, "not-a-token");
    for (let i = 0; i < 4; i++) spam.send(`/resume bcsession_${id}_${String(i).repeat(43)}`);
    await spam.event("error", (e) => e.code === "too-many-attempts");
    await spam.closed();
    expect(spam.log.lines.filter((l) => l.includes("session-expired"))).toHaveLength(5);
  });
});
