// The frame of every hostile case: two bystanders (one plain, one structured) chat on the same
// server as the offender, and after the attack they must still chat normally, with nothing
// unsafe in what they received, and a newcomer must still be able to join.

import { expect } from "bun:test";
import type { Peer } from "./peer.ts";
import { type TestServer, type TestServerOptions, testServer } from "./server.ts";

/** Anything that could drive a terminal: C0 except tab, DEL, C1, bidi controls, line separators. */
export const TERMINAL_CONTROL =
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

export interface Arena {
  t: TestServer;
  /** A plain-text bystander… */
  ana: Peer;
  /** …and a structured one. */
  bo: Peer;
  /** The bystanders still chat with each other, saw nothing unsafe, and a newcomer can join. */
  unaffected(): Promise<void>;
}

export async function arena(options: TestServerOptions = {}): Promise<Arena> {
  const t = await testServer(options);
  const ana = await t.join("Ana");
  const bo = await t.join("Bo", "json");
  let round = 0;
  return {
    t,
    ana,
    bo,
    async unaffected() {
      round++;
      ana.send(`all good ${round}`);
      await bo.event("public", (e) => e.from === "Ana" && e.text === `all good ${round}`);
      bo.send(`/pm Ana still here ${round}`);
      await ana.next(`[pm from Bo] still here ${round}`);
      for (const line of ana.log.lines) expect(line).not.toMatch(TERMINAL_CONTROL);
      for (const line of bo.log.lines) {
        // The plain greeting comes before the server reads Bo's hello.
        for (const text of line.startsWith("{") ? strings(JSON.parse(line)) : [line]) {
          expect(text).not.toMatch(TERMINAL_CONTROL);
        }
      }
      const late = await t.join(`Late${round}`);
      await late.ping();
      late.send("quit");
      await late.closed();
    },
  };
}

/** Every string inside a decoded JSON value. */
function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (typeof value !== "object" || value === null) return [];
  return Object.values(value).flatMap(strings);
}
