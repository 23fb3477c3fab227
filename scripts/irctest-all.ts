// The whole of irctest's server suite (server_tests and its folders) against the IRC door, one file at a time (a file that hangs
// or crashes costs only itself), with the markers the suite's selection uses: the figure README
// gives for conformance beyond test/irctest/selection.txt. Takes a few minutes.
//
//   bun scripts/irctest-all.ts [--timeout <s per file>] [file ...]

import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";

const ROOT = join(import.meta.dir, "..");
const SUITE = join(ROOT, "vendor/irctest");
const MARKERS = "not Ergo and not deprecated and not strict and not services";

const { values, positionals } = parseArgs({ options: { timeout: { type: "string", default: "120" } }, allowPositionals: true });
const perFileMs = Number(values.timeout) * 1000;
const files =
  positionals.length > 0
    ? positionals
    : readdirSync(join(SUITE, "irctest/server_tests"), { recursive: true, encoding: "utf8" })
        .filter((f) => f.endsWith(".py") && !f.endsWith("__init__.py"))
        .map((f) => f.replace(/\.py$/, ""))
        .sort();

const totals = { passed: 0, failed: 0, skipped: 0, errors: 0 };
const failures: string[] = [];
for (const file of files) {
  const temporary = mkdtempSync(join(tmpdir(), "bunchat-irctest-")); // irctest's port list: ours alone
  const proc = Bun.spawn(
    ["/usr/bin/python3", "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rfE", "--tb=no", "--controller", "bunchat_controller", "-m", MARKERS, `irctest/server_tests/${file}.py`],
    {
      cwd: SUITE,
      env: {
        ...process.env,
        PYTHONPATH: join(ROOT, "test/irctest"),
        PYTHONDONTWRITEBYTECODE: "1",
        TMPDIR: temporary,
        BUN: process.execPath,
        PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`,
      },
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const timer = setTimeout(() => proc.kill("SIGKILL"), perFileMs);
  const out = await new Response(proc.stdout).text();
  clearTimeout(timer);
  await proc.exited;
  rmSync(temporary, { recursive: true, force: true });
  const summary = out.trim().split("\n").at(-1) ?? "";
  const count = (what: string) => Number(new RegExp(`(\\d+) ${what}`).exec(summary)?.[1] ?? 0);
  const row = { passed: count("passed"), failed: count("failed"), skipped: count("skipped"), errors: count("errors?") };
  if (proc.signalCode === "SIGKILL") row.errors++;
  for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += row[k];
  failures.push(...out.split("\n").filter((l) => /^(FAILED|ERROR) /.test(l)));
  console.log(`${file.padEnd(28)} ${row.passed} passed, ${row.failed} failed, ${row.skipped} skipped${row.errors ? `, ${row.errors} errors` : ""}${proc.signalCode ? " (timed out)" : ""}`);
}
console.log(`\n${failures.join("\n")}`);
console.log(`\nwhole suite: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped, ${totals.errors} errors`);
