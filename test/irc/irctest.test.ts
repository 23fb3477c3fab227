// irctest, the IRC server conformance suite nobody here wrote (vendor/irctest), against the IRC
// door: the files of test/irctest/selection.txt, less the tests of test/irctest/skip.txt (each
// with its reason), run with Debian's pytest. Every test run must pass; the counts are printed.

import { expect, test } from "bun:test";
import { join } from "node:path";
import { runIrctest } from "../irctest/run.ts";

const ROOT = join(import.meta.dir, "../..");

/** Lines of a list file, without comments and blanks. */
async function listed(file: string): Promise<{ id: string; why: string }[]> {
  const text = await Bun.file(join(ROOT, "test/irctest", file)).text();
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const [id = "", why = ""] = line.split(/\s+#\s+/);
      return { id: id.trim(), why: why.trim() };
    });
}

test(
  "irctest: every test of the selection passes, but those skip.txt lists with a reason",
  async () => {
    const files = (await listed("selection.txt")).map(({ id }) => `irctest/server_tests/${id}.py`);
    const skipped = await listed("skip.txt");
    expect(skipped.every(({ why }) => why.length > 0)).toBe(true);
    const run = await runIrctest(files, skipped.map(({ id }) => `irctest/server_tests/${id}`), 240_000);
    expect(run.ownPorts).toBe(true); // irctest used this run's own temporary directory
    const { passed, failed, errors } = run;
    console.log(`irctest: ${passed} passed, ${failed} failed, ${errors} errors, ${run.skipped} skipped by irctest, ${skipped.length} skipped (skip.txt)`);
    if (failed + errors > 0 || passed === 0) console.log(run.out.split("\n").filter((l) => /^(FAILED|ERROR|E  )/.test(l)).join("\n") || `${run.out}\n${run.err}`);
    expect(failed + errors).toBe(0);
    expect(passed).toBeGreaterThan(96); // ngircd, the same selection, same machine: 96
  },
  300_000,
);
