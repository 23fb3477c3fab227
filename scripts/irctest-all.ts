// The whole of irctest's server suite (server_tests and its folders) against the IRC door, one
// file at a time (a file that hangs or crashes costs only itself), `--jobs` files at once, with
// the markers of test/irctest/run.ts. The suite runs it with services and less the skip list
// (test/irc/irctest.test.ts); this prints it file by file: without `--services` and `--skip`, the
// figures README's table sets beside other daemons (bench/IRC.md).
//
//   bun scripts/irctest-all.ts [--services] [--skip] [--jobs <n>] [--timeout <s per file>] [file ...]

import { parseArgs } from "node:util";
import { runFiles, SKIP_LIST, skipList, suiteFiles } from "../test/irctest/run.ts";

const { values, positionals } = parseArgs({
  options: {
    timeout: { type: "string", default: "180" },
    jobs: { type: "string", default: "2" },
    services: { type: "boolean", default: false },
    skip: { type: "boolean", default: false },
  },
  allowPositionals: true,
});
const files = positionals.length > 0 ? positionals : suiteFiles();
const skipped = values.skip ? (await skipList(SKIP_LIST)).map((s) => s.id) : [];
const started = Date.now();
const runs = await runFiles(files, { skip: skipped, jobs: Number(values.jobs) || 1, perFileMs: Number(values.timeout) * 1000, services: values.services });

const totals = { passed: 0, failed: 0, skipped: 0, errors: 0 };
const failures: string[] = [];
for (const { file, run } of runs) {
  const errors = run.errors + (run.timedOut ? 1 : 0);
  totals.passed += run.passed;
  totals.failed += run.failed;
  totals.skipped += run.skipped;
  totals.errors += errors;
  failures.push(...run.failures);
  console.log(`${file.padEnd(28)} ${run.passed} passed, ${run.failed} failed, ${run.skipped} skipped${errors ? `, ${errors} errors` : ""}${run.timedOut ? " (timed out)" : ""}`);
}
if (failures.length > 0) console.log(`\n${failures.join("\n")}`);
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
console.log(
  `\nwhole suite${values.services ? " (with services)" : ""}: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped, ${totals.errors} errors${skipped.length ? `, ${skipped.length} deselected (skip.txt)` : ""}, in ${minutes} min`,
);
