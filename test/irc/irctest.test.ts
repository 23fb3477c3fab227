// irctest, the IRC server conformance suite nobody here wrote (vendor/irctest), against the IRC
// door: every server test file, with services (bunchat registers irctest's accounts itself), less
// the tests of test/irctest/skip.txt (each with its reason), run with Debian's pytest, two files
// at a time. Every test run must pass; the counts are printed.

import { expect, test } from "bun:test";
import { runFiles, SKIP_LIST, skipList, suiteFiles } from "../irctest/run.ts";

test(
  "irctest: every test of the whole server suite passes, but those skip.txt lists with a reason",
  async () => {
    const skipped = await skipList(SKIP_LIST);
    expect(skipped.every(({ why }) => why.length > 0)).toBe(true);
    const runs = await runFiles(suiteFiles(), { skip: skipped.map(({ id }) => id), jobs: 2, services: true });
    // irctest kept its ports in each run's own temporary directory (a file whose tests all skip starts no server).
    expect(runs.filter(({ run }) => run.passed + run.failed > 0).every(({ run }) => run.ownPorts)).toBe(true);
    const sum = (f: (r: (typeof runs)[number]["run"]) => number) => runs.reduce((n, { run }) => n + f(run), 0);
    const [passed, failed, errors, skippedByIrctest] = [sum((r) => r.passed), sum((r) => r.failed), sum((r) => r.errors + (r.timedOut ? 1 : 0)), sum((r) => r.skipped)];
    console.log(`irctest: ${passed} passed, ${failed} failed, ${errors} errors, ${skippedByIrctest} skipped by irctest, ${skipped.length} skipped (skip.txt)`);
    if (failed + errors > 0) console.log(runs.flatMap(({ run }) => run.out.split("\n").filter((l) => /^(FAILED|ERROR|E  )/.test(l))).join("\n"));
    expect(failed + errors).toBe(0);
    expect(passed).toBeGreaterThan(300); // 308 with services on 2026-12-07 (chathistory among them); InspIRCd 3.15 passes 258 without them
  },
  360_000,
);
