// The whole of irctest's server suite (server_tests and its folders) against the IRC door, one
// file at a time (a file that hangs or crashes costs only itself), with the markers the suite's
// selection uses: the figure README gives for conformance beyond test/irctest/selection.txt.
// Takes a few minutes.
//
//   bun scripts/irctest-all.ts [--timeout <s per file>] [file ...]

import { readdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runIrctest } from "../test/irctest/run.ts";

const { values, positionals } = parseArgs({ options: { timeout: { type: "string", default: "120" } }, allowPositionals: true });
const perFileMs = Number(values.timeout) * 1000;
const files =
  positionals.length > 0
    ? positionals
    : readdirSync(join(import.meta.dir, "../vendor/irctest/irctest/server_tests"), { recursive: true, encoding: "utf8" })
        .filter((f) => f.endsWith(".py") && !f.endsWith("__init__.py"))
        .map((f) => f.replace(/\.py$/, ""))
        .sort();

const totals = { passed: 0, failed: 0, skipped: 0, errors: 0 };
const failures: string[] = [];
for (const file of files) {
  const run = await runIrctest([`irctest/server_tests/${file}.py`], [], perFileMs);
  const errors = run.errors + (run.timedOut ? 1 : 0);
  totals.passed += run.passed;
  totals.failed += run.failed;
  totals.skipped += run.skipped;
  totals.errors += errors;
  failures.push(...run.failures);
  console.log(`${file.padEnd(28)} ${run.passed} passed, ${run.failed} failed, ${run.skipped} skipped${errors ? `, ${errors} errors` : ""}${run.timedOut ? " (timed out)" : ""}`);
}
console.log(`\n${failures.join("\n")}`);
console.log(`\nwhole suite: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped, ${totals.errors} errors`);
