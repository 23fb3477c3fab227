// irctest's whole server suite against bunchat, ngircd and InspIRCd on this machine in one run, the
// same files and markers for each (services left out: the other daemons run without them), and no
// skip list: bench/irctest.json and the table of bench/IRC.md, from which README's IRC section is
// generated (bun run docs). ngircd and InspIRCd run through test/irctest's wrappers of irctest's
// controllers (loopback only; InspIRCd as Debian installs it). Takes about half an hour.
//
//   apt-get install ngircd inspircd   # once (Debian 12: ngircd 26.1, InspIRCd 3.15)
//   bun scripts/irctest-table.ts [--jobs <n>] [--only bunchat]   # --only: that row again, the others as they were

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runFiles, suiteFiles } from "../test/irctest/run.ts";
import { VERSION } from "../src/version.ts";

const { values } = parseArgs({ options: { jobs: { type: "string", default: "2" }, only: { type: "string" } } });
const jobs = Number(values.jobs) || 1;
const ROOT = join(import.meta.dir, "..");

/** What each daemon says of its version. */
function versionOf(command: string[]): string {
  const out = Bun.spawnSync(command, { stdout: "pipe", stderr: "pipe" });
  return `${out.stdout.toString()}${out.stderr.toString()}`.trim().split("\n")[0] ?? "";
}

const servers = [
  { name: "bunchat", version: `bunchat ${VERSION}`, controller: "bunchat_controller" },
  { name: "ngircd", version: versionOf(["ngircd", "--version"]).replace(/-.*$/, ""), controller: "ngircd_local" },
  { name: "InspIRCd", version: versionOf(["inspircd", "--version"]), controller: "inspircd_local" },
];

const files = suiteFiles();
type Row = { server: string; version: string; passed: number; failed: number; skipped: number; timedOut: string[]; failures: string[]; minutes: number };
const JSON_PATH = join(ROOT, "bench/irctest.json");
const earlier: Row[] = values.only && existsSync(JSON_PATH) ? JSON.parse(readFileSync(JSON_PATH, "utf8")).rows : [];
const rows: Row[] = [];
for (const server of servers) {
  const kept = earlier.find((r) => r.server === server.name);
  if (values.only && values.only !== server.name && kept) {
    rows.push(kept);
    continue;
  }
  const started = Date.now();
  // InspIRCd's list.py sleeps in real time (no faketime here): every file gets ten minutes.
  const runs = await runFiles(files, { jobs, perFileMs: 600_000, controller: server.controller });
  const sum = (f: (r: (typeof runs)[number]["run"]) => number) => runs.reduce((n, { run }) => n + f(run), 0);
  const row: Row = {
    server: server.name,
    version: server.version,
    passed: sum((r) => r.passed),
    failed: sum((r) => r.failed + r.errors),
    skipped: sum((r) => r.skipped),
    timedOut: runs.filter(({ run }) => run.timedOut).map(({ file }) => file),
    failures: runs.flatMap(({ run }) => run.failures.map((f) => f.replace(/ - .*$/, ""))),
    minutes: Math.round((Date.now() - started) / 6000) / 10,
  };
  rows.push(row);
  console.log(`${row.server}: ${row.passed} passed, ${row.failed} failed, ${row.skipped} skipped, ${row.minutes} min${row.timedOut.length ? ` (timed out: ${row.timedOut.join(", ")})` : ""}`);
}

const date = new Date().toISOString().slice(0, 10);
writeFileSync(JSON_PATH, `${JSON.stringify({ date, markers: "not Ergo and not deprecated and not strict and not services", rows }, null, 2)}\n`);
const table = [
  "| server | passed | failed | skipped |",
  "| --- | ---: | ---: | ---: |",
  ...rows.map((r) => `| ${r.version} | ${r.passed} | ${r.failed} | ${r.skipped} |`),
].join("\n");
const failures = rows
  .map((r) => `- **${r.server}** (${r.minutes} min${r.timedOut.length ? `; timed out, so not counted: ${r.timedOut.join(", ")}` : ""}): ${r.failures.length === 0 ? "none" : r.failures.map((f) => `\`${f.replace(/^FAILED irctest\/server_tests\//, "")}\``).join(", ")}`)
  .join("\n");
writeFileSync(
  join(ROOT, "bench/IRC.md"),
  `# irctest: bunchat beside ngircd and InspIRCd

Made by \`bun scripts/irctest-table.ts\` on ${date}, on this project's 2-core test machine: irctest's
whole server suite (vendor/irctest), every file, markers \`not Ergo and not deprecated and not strict
and not services\`, no skip list, the three servers one after another in one run.

${table}

What failed:

${failures}

"Skipped" counts the tests irctest itself skips for a server: for a capability it does not
offer (bunchat: \`message-tags\` and what needs it, \`draft/chathistory\`, read markers, multiline,
\`extended-monitor\`, which its next issues bring), or a behaviour it chose otherwise. The suite (\`bun test\`) runs
the same files against bunchat with services as well (test/irc/irctest.test.ts).
`,
);
console.log("wrote bench/irctest.json and bench/IRC.md");
