// bun run docs: rewrites the parts of README.md and PROTOCOL.md that the code can say itself (the
// flag tables, the example sessions and worked examples), between markers like
//   <!-- generated: server-flags -->  …  <!-- end generated -->
// test/docs.test.ts fails when the files differ from what this would write.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { makeRenderer } from "../src/client/render.ts";
import { CLIENT_FLAGS, flagTable, SERVER_FLAGS } from "../src/flags.ts";
import { encode } from "../src/render/codec.ts";
import type { ClientHello, Mode, ServerEvent, View } from "../src/protocol/events.ts";
import { DEFAULT_ROOM, PROTOCOL_VERSION, SERVER_LIMITS } from "../src/protocol/limits.ts";
import { checkName } from "../src/protocol/names.ts";
import { unknownCommand, unknownUser } from "../src/core/commands/chat.ts";
import { helloEvent, nameTakenError } from "../src/session/registration.ts";
import { VERSION } from "../src/version.ts";
import { CHAT_LOG_PER_SECOND, ChatLog } from "../src/session/log-digest.ts";

const ROOT = join(import.meta.dir, "..");
export const FILES = ["README.md", "PROTOCOL.md"];
const START = /<!-- generated: ([a-z-]+) -->\n/g;
const END = "<!-- end generated -->";

/** A fixed clock for the examples' timestamps. */
const ts = 1_764_040_299_000;
const hello = helloEvent(SERVER_LIMITS, false);
const lobby = DEFAULT_ROOM;

/** Lines as the server sends them in one mode (several lines for some events). */
const said = (event: ServerEvent, mode: View) => new TextDecoder().decode(encode(event, mode)).trimEnd().split("\n");

/** Dee on nc joins a room of five, sees Sam's line and his leave (README). */
function ncSession(): string[] {
  return [
    ...said(hello, "text"),
    ...said({ type: "ask-name" }, "text"),
    "Dee",
    ...said({ type: "welcome", name: "Dee", room: lobby, rooms: [lobby], users: ["Ana", "Bo", "Dee", "Eliya", "Sam"] }, "text"),
    ...said({ type: "public", id: "101", room: lobby, from: "Sam", text: "Hi everyone, Sam here!", ts }, "text"),
    ...said({ type: "leave", room: lobby, name: "Sam", reason: "quit", ts }, "text"),
  ];
}

/** Sam on nc tries rooms (README, "Rooms"): what he types and what the server answers. */
function roomsSession(): string[] {
  const topic = { text: "release on Friday", by: "Sam", ts };
  return [
    "/join #dev",
    ...said({ type: "room", room: "#dev", joined: true, users: ["Ana", "Sam"], count: 2 }, "text"),
    "/topic release on Friday",
    ...said({ type: "topic", id: "102", room: "#dev", ...topic }, "text"),
    ...said({ type: "public", id: "103", room: lobby, from: "Bo", text: "anyone for lunch?", ts }, "tagged"),
    "/rooms",
    ...said({ type: "rooms", rooms: [{ name: "#dev", count: 2, topic: topic.text }, { name: lobby, count: 5 }], count: 2 }, "text"),
    "/part #dev see you tomorrow",
    ...said({ type: "parted", room: "#dev", current: lobby }, "text"),
  ];
}

/** Dee joins #dev after the others talked there (README, "History"): what the server sends. */
function historySession(): string[] {
  // Local times: "14:02" wherever the docs are made or checked.
  const at = (h: number, m: number) => new Date(2026, 10, 30, h, m).getTime();
  return [
    "/join #dev",
    ...said({ type: "room", room: "#dev", joined: true, users: ["Ana", "Dee", "Sam"], count: 3 }, "text"),
    ...said(
      {
        type: "history",
        room: "#dev",
        why: "join",
        events: [
          { type: "public", id: "104", room: "#dev", from: "Ana", text: "the build is green", ts: at(14, 2) },
          { type: "action", id: "105", room: "#dev", from: "Sam", text: "waves", ts: at(14, 3) },
          { type: "topic", id: "106", room: "#dev", text: "release on Friday", by: "Ana", ts: at(14, 5) },
        ],
        more: true,
        ts: at(15, 0),
      },
      "text",
    ),
    "/search green",
    ...said(
      {
        type: "search",
        query: "green",
        events: [{ type: "public", id: "107", room: "#dev", from: "Ana", text: "the build is green", ts: at(14, 2) }],
        ts: at(15, 0),
      },
      "text",
    ),
  ];
}

/** Eliya in the bundled client, output piped (README). */
function clientSession(): string[] {
  const render = makeRenderer({ color: false, timestamps: false, me: () => "Eliya", room: () => lobby });
  const events: ServerEvent[] = [
    { type: "welcome", name: "Eliya", room: lobby, rooms: [lobby], users: ["Eliya", "Sam"] },
    { type: "join", room: lobby, name: "Ana", arrived: true, ts },
    { type: "join", room: lobby, name: "Bo", arrived: true, ts },
    { type: "join", room: lobby, name: "Dee", arrived: true, ts },
    { type: "public", id: "108", room: lobby, from: "Sam", text: "Hi everyone, Sam here!", ts },
    { type: "private-sent", id: "109", to: "Sam", text: "Hello!", ts },
    { type: "leave", room: lobby, name: "Sam", reason: "quit", ts },
  ];
  return events.flatMap((e) => render(e)?.split("\n") ?? []);
}

/** The worked example in structured mode (PROTOCOL.md). */
function structuredExample(): string[] {
  const S = (event: ServerEvent, mode: Mode = "json") => said(event, mode).map((l) => `S: ${l}`);
  const clientHello: ClientHello = { type: "hello", proto: PROTOCOL_VERSION, client: `bunchat/${VERSION}` };
  return [
    ...S(hello, "text"),
    ...S({ type: "ask-name" }, "text"),
    `C: ${JSON.stringify(clientHello)}`,
    ...S(hello),
    ...S({ type: "ask-name" }),
    "C: sam",
    ...S(nameTakenError("sam", "Sam")),
    ...S({ type: "ask-name" }),
    "C: Eliya",
    ...S({ type: "welcome", name: "Eliya", room: lobby, rooms: [lobby], users: ["Eliya", "Sam"] }),
    ...S({ type: "public", id: "110", room: lobby, from: "Sam", text: "Hi everyone, Sam here!", ts }),
    "C: /pm Sam Hello!",
    ...S({ type: "private-sent", id: "111", to: "Sam", text: "Hello!", ts: ts + 1000 }),
    "C: /pm Bob hi",
    ...S(unknownUser("Bob")),
    ...S({ type: "leave", room: lobby, name: "Sam", reason: "quit", ts: ts + 2000 }),
    "C: /ping 42",
    ...S({ type: "pong", token: "42" }),
    "C: quit",
    ...S({ type: "bye", name: "Eliya" }),
    "   (server closes the connection)",
  ];
}

/** The worked example on nc (PROTOCOL.md). */
function plainExample(): string[] {
  const S = (event: ServerEvent) => said(event, "text").map((l) => `S: ${l}`);
  const refused = checkName("Dee Dee");
  return [
    ...S(hello),
    ...S({ type: "ask-name" }),
    "C: Dee Dee",
    ...S({ type: "error", code: "name-invalid", message: refused.ok ? "" : refused.reason }),
    ...S({ type: "ask-name" }),
    "C: Dee",
    ...S({ type: "welcome", name: "Dee", room: lobby, rooms: [lobby], users: ["Dee", "Sam"] }),
    "C: hello Sam",
    ...S({ type: "private", id: "112", from: "Sam", text: "hi Dee, welcome", ts }),
    "C: /pmm Sam thanks",
    ...S(unknownCommand("pmm")),
    "C: quit",
    ...S({ type: "bye", name: "Dee" }),
  ];
}

const fence = (lines: string[]) => ["```", ...lines, "```"].join("\n");

/** What bench/run.ts wrote for the README (bench/results.json): the figures of the last full run. */
interface BenchResults {
  when: string;
  machine: string;
  command: string;
  runs: number;
  users: number[];
  sendNs?: number;
  floorMs?: number;
  latencyUsers: number;
  storm: number;
  idleUsers: number;
  /** The many-rooms rows (absent from runs before they were added). */
  roomShapes?: { key: string; count: number; size: number; perSecond: number }[];
  figures: Record<string, Record<string, number | string>>;
}

/** README's benchmark figures, from bench/results.json, so they are the run's and can't drift from it. */
function benchFigures(): string {
  const r = JSON.parse(readFileSync(join(ROOT, "bench/results.json"), "utf8")) as BenchResults;
  const ours = r.figures["bunchat-text"] ?? {};
  const json = r.figures["bunchat-json"] ?? {};
  const c = r.figures.ceiling ?? {};
  const floor = r.figures["bun-batched"] ?? {};
  const memory = r.figures["bunchat-memory"] ?? {};
  const ws = r.figures["bunchat-ws"] ?? {};
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
  const ms = (v: unknown, digits = 1) => (num(v) === undefined ? "–" : `${num(v)!.toFixed(digits)} ms`);
  const us = (v: unknown) => (num(v) === undefined ? "–" : `${num(v)!.toFixed(0)} µs`);
  const times = (a: unknown, b: unknown) =>
    num(a) === undefined || !num(b) ? "–" : `${(num(a)! / num(b)!).toFixed(1)}×`;
  const rows = [
    "| server CPU per million deliveries | bunchat (text) | bunchat (JSON) | bunchat `--db none` | Bun, batched per turn | C, batched per turn | bunchat ÷ Bun floor | `--db none` ÷ Bun floor | bunchat ÷ C |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...r.users.flatMap((u) =>
      (["burst", "steady"] as const).map((shape) => {
        const key = `${shape}Cost${u}`;
        return `| ${shape}, ${u} users | ${ms(ours[key])} | ${ms(json[key])} | ${ms(memory[key])} | ${ms(floor[key])} | ${ms(c[key])} | ${times(ours[key], floor[key])} | ${times(memory[key], floor[key])} | ${times(ours[key], c[key])} |`;
      }),
    ),
  ];
  const lost = r.users.map((u) => ours[`lost${u}`]).every((l) => l === "0 / 0") && ours.latencyLost === 0;
  return [
    `${r.when} UTC, \`${r.command}\` (${r.runs} repetitions, each on a fresh server; medians), ${r.machine}:`,
    "",
    ...rows,
    "",
    `- **Join storm**: ${r.storm.toLocaleString("en")} users (half plain, half structured) connected and registered in ${ms(ours.storm, 0)} (the C server, plain text only: ${ms(c.storm, 0)}); one line then reached all of them in ${ms(ours.stormLine, 0)}.`,
    `- **Latency at ${r.latencyUsers} users**, 100 lines/s: p50 ${ms(ours.p50)}, p99 ${ms(ours.p99)} (C: ${ms(c.p50)} and ${ms(c.p99)}).${
      r.sendNs === undefined
        ? ""
        : ` One loopback send() costs ${(r.sendNs / 1000).toFixed(1)} µs here, so a line's last reader gets it ${ms(r.floorMs)} after it arrives at the earliest, whoever the server is.`
    }`,
    `- **${r.idleUsers.toLocaleString("en")} idle users**: ${num(ours.rss10k)?.toFixed(0) ?? "–"} MiB RSS in all (${num(ours.rssIdle)?.toFixed(0) ?? "–"} MiB of it the idle server), ${((num(ours.perUser) ?? Number.NaN) / 1024).toFixed(1)} KiB a user.`,
    ...(r.roomShapes ?? []).map(
      ({ key, count, size, perSecond }) =>
        `- **${count} rooms of ${size}**, ${perSecond} lines/s in all: ${us(ours[`${key}Line`])} of server CPU a line (${ours[`${key}Cpu`] ?? "–"} of a core); one room of ${size} carrying the same lines: ${us(ours[`${key}OneLine`])} a line (${ours[`${key}Ratio`] ?? "–"}).`,
    ),
    ...(ours.idleCpu === undefined ? [] : [`- **An idle server** with ${r.idleUsers.toLocaleString("en")} users in: ${ours.idleCpu} of a core.`]),
    ...(num(ws.uploadRate) === undefined
      ? []
      : [`- **Files** (the web door): 4 MiB uploads, 4 at once, multipart as \`curl -F\` sends them: ${ws.uploadRate} MiB a second, ${ms(ws.uploadCost, 2)} of server CPU per MiB (read, hashed, written to disk); bots' line posts over the HTTP API: ${ws.apiRate} a second.`]),
    `- Lost, in every burst, steady and latency run: ${lost ? "nothing" : "see bench/RESULTS.md"}.`,
  ].join("\n");
}

/** README's words on which rooms' lines the log writes, with the server's own budget and summary line. */
function chatLogParagraph(): string {
  const summary: string[] = [];
  const log = new ChatLog((line) => void summary.push(line));
  for (let i = 0; i < CHAT_LOG_PER_SECOND + 4210; i++) log.take(0); // a flood's second
  log.sweep(1000);
  return [
    `Every public line is logged, up to ${CHAT_LOG_PER_SECOND} a second in all rooms (under journald's default limit,`,
    "which would drop the rest silently); past that, a flood's lines are counted and one line a second",
    `says how many were not written one by one (\`${summary.at(-1)}\`).`,
  ].join("\n");
}

/** What each folder of src/ is for; a folder missing here stops `bun run docs` (and fails the docs test). */
const FOLDERS: Record<string, string> = {
  "": "the entry points' helpers: flags (parsed, --help and README's tables from one table), the log's clock",
  protocol: "what every door and client speak, with no sockets: events, the command table, names, limits, sanitising, line framing, the decoder, IRC's wire format and numerics",
  render: "how an event is written, once for every door and client: its sentences (text.ts: nc, the terminal client and the page show the same words), its encodings per view, its IRC lines",
  net: "what moves bytes and time: the outbox (the only code that writes to a socket), flood pacing, token buckets, the clock",
  core: "the chat itself, knowing no wire: the hub (who is online, claims), rooms and their delivery, presence batching, turn batching, admins and passwords",
  "core/commands": "what each command does, one handler per entry of src/protocol/commands.ts, and the kit they share",
  session: "one connection's life whatever its door: registration, the flood budget, deadlines, and what guards a connection (per-address budgets, networks, secrets, the log under a storm)",
  doors: "how people reach the chat: the listeners and their caps (server.ts), IRC (irc/), the web (web/); each turns a wire into sessions",
  "doors/irc": "the IRC door: registration, CAP and SASL, IRC's commands and numeric replies, over the same hub as everyone",
  "doors/web": "the web door: HTTP/1.1 and WebSocket over Bun.listen, the page, the HTTP API for bots, /healthz and /metrics",
  store: "what is kept, behind interfaces: history, accounts, bans, rooms' roles, bot tokens; in SQLite on one server, in Redis in a cluster",
  "store/sqlite": "the stores in one bun:sqlite file, for a server on its own (with --db none, in an in-memory database, but for history)",
  "store/memory": "history in memory, for --db none: no file, no search index, bounded in bytes",
  "store/redis": "the stores in Redis, for a cluster",
  cluster: "several servers as one chat through Redis (or memory, in tests): envelopes, the roster of other nodes' users, node liveness",
  client: "the terminal client: its connection, screen, Tab completion and what it has shown",
  web: "the browser client (bundled into app.bundle.js by scripts/page.ts) and how the server serves it",
};

/** The first sentence of a file's top comment. */
function purpose(file: string): string {
  const lines = readFileSync(file, "utf8").split("\n");
  const comment: string[] = [];
  for (const line of lines) {
    if (line.startsWith("///")) continue;
    if (!line.startsWith("//")) break;
    comment.push(line.replace(/^\/\/ ?/, ""));
  }
  const text = comment.join(" ").trim();
  const end = text.search(/\.(\s|$)/);
  let sentence = end === -1 ? text : text.slice(0, end);
  if (sentence.length > 160) sentence = `${sentence.slice(0, sentence.lastIndexOf(" ", 157))} …`;
  return sentence.replaceAll("|", "\\|");
}

/** src/ folder by folder, file by file, each with the first sentence of its own top comment (README). */
function codeLayout(): string {
  const src = join(ROOT, "src");
  const rows = ["| File | What it is for |", "| --- | --- |"];
  /** Every folder under src/, depth first in name order ("" is src/ itself, "doors/irc" a nested one). */
  const folders = (rel: string): string[] => [
    rel,
    ...readdirSync(join(src, rel), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort()
      .flatMap((name) => folders(rel ? `${rel}/${name}` : name)),
  ];
  for (const folder of folders("")) {
    const what = FOLDERS[folder];
    if (what === undefined) throw new Error(`src/${folder}/ has no description in scripts/docs.ts (FOLDERS)`);
    rows.push(`| **\`src/${folder}${folder ? "/" : ""}\`** | ${what} |`);
    const dir = join(src, folder);
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")).sort()) {
      rows.push(`| \`${file}\` | ${purpose(join(dir, file))} |`);
    }
  }
  return rows.join("\n");
}

/** README's irctest table, from bench/irctest.json (scripts/irctest-table.ts): the three servers of one run. */
function irctestTable(): string {
  const r = JSON.parse(readFileSync(join(ROOT, "bench/irctest.json"), "utf8")) as {
    date: string;
    rows: { server: string; version: string; passed: number; failed: number; skipped: number }[];
  };
  return [
    `| irctest's server suite, ${r.date} (bench/IRC.md) | passed | failed | skipped |`,
    "| --- | ---: | ---: | ---: |",
    ...r.rows.map((row) => `| ${row.version} | ${row.passed} | ${row.failed} | ${row.skipped} |`),
  ].join("\n");
}

export function sections(): Record<string, string> {
  return {
    "server-flags": flagTable(SERVER_FLAGS),
    "client-flags": flagTable(CLIENT_FLAGS),
    "nc-session": fence(ncSession()),
    "rooms-session": fence(roomsSession()),
    "history-session": fence(historySession()),
    "client-session": fence(clientSession()),
    "structured-example": fence(structuredExample()),
    "plain-example": fence(plainExample()),
    "bench-figures": benchFigures(),
    "irctest-table": irctestTable(),
    "chat-log": chatLogParagraph(),
    "code-layout": codeLayout(),
  };
}

/** `text` with every marked section rewritten; throws on a marker with no section or no end. */
export function regenerate(text: string, generated = sections()): string {
  return text
    .replace(START, (marker, name: string, offset: number) => {
      const body = generated[name];
      if (body === undefined) throw new Error(`no generated section "${name}"`);
      if (text.indexOf(END, offset) === -1) throw new Error(`"${name}" has no ${END}`);
      return `${marker}${body}\n\u0000`; // the old body, up to its end marker, is cut below
    })
    .replace(/\u0000[\s\S]*?<!-- end generated -->/g, END);
}

if (import.meta.main) {
  const check = process.argv.includes("--check");
  let stale = 0;
  for (const file of FILES) {
    const path = join(ROOT, file);
    const text = await Bun.file(path).text();
    const fresh = regenerate(text);
    if (fresh === text) continue;
    stale++;
    if (check) console.error(`${file} is out of date: run bun run docs`);
    else await Bun.write(path, fresh);
  }
  if (check && stale > 0) process.exit(1);
}
