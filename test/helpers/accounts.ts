// Registered users for tests: a store in memory, and a user who registers a name and logs in to it.

import { DEFAULT_RETENTION } from "../../src/store/history.ts";
import { SqliteFile } from "../../src/store/sqlite/file.ts";
import type { Peer } from "./peer.ts";
import type { TestServer } from "./server.ts";

/** History, accounts, bans and room roles in memory, as one server keeps them. */
export function memoryStore(ringBytes?: number): SqliteFile {
  return new SqliteFile({
    path: ":memory:",
    retention: DEFAULT_RETENTION,
    status: { paused: () => {}, resumed: () => {} },
    ...(ringBytes === undefined ? {} : { ringBytes }),
  });
}

/** `name` registers (as a guest), leaves, and logs in again: now it is its registered self. */
export async function loggedIn(t: TestServer, name: string, mode: "text" | "json" = "text"): Promise<Peer> {
  const guest = await t.join(name);
  const code = await t.setupCode(name);
  guest.send(`/register correct-horse${code ? ` ${code}` : ""}`);
  await guest.seen(new RegExp(`^-- ${name} is registered`));
  guest.send("quit");
  await guest.closed();
  return logIn(t, name, mode);
}

/** A connection that logs in to `name` (registered already, password correct-horse), once welcomed: another device if it is online. */
export async function logIn(t: TestServer, name: string, mode: "text" | "json" = "text", label = `${name} (${mode})`): Promise<Peer> {
  const p = await t.connect(mode, label);
  p.send(name);
  if (mode === "json") await p.event("ask-login");
  else await p.seen(/registered name\. Password/);
  p.send("correct-horse");
  if (mode === "json") await p.event("welcome");
  else await p.seen(new RegExp(`^Hi ${name}, you are in`));
  return p;
}

/** An IRC client logged in to `name` (registered already) with SASL, asking for `caps` too; once it has the MOTD's end. */
export async function ircLogIn(t: TestServer, name: string, caps: string[] = []): Promise<Peer> {
  const p = await t.ircConnect(`${name} (IRC)`);
  p.send(`CAP REQ :${["sasl", ...caps].join(" ")}\r\nNICK ${name}\r\nUSER u 0 * :${name}\r\nAUTHENTICATE PLAIN`);
  await p.seen("AUTHENTICATE +");
  p.send(`AUTHENTICATE ${btoa(`\0${name}\0correct-horse`)}`);
  await p.seen(/^:bunchat 903 /);
  p.send("CAP END");
  await p.seen(/^:bunchat 376 /);
  return p;
}
