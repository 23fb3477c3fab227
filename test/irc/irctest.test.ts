// irctest, the IRC server conformance suite nobody here wrote (vendor/irctest), against the IRC
// door: the files of test/irctest/selection.txt, less the tests of test/irctest/skip.txt (each
// with its reason), run with Debian's pytest. Every test run must pass; the counts are printed.

import { expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const ROOT = join(import.meta.dir, "../..");
const SUITE = join(ROOT, "vendor/irctest");
const MARKERS = "not Ergo and not deprecated and not strict and not services";
/** Debian's python3-pytest (the machines reach no Python package index); another python3 with pytest works too. */
const PYTHON = ["/usr/bin/python3", "python3"];

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

async function pythonWithPytest(): Promise<string> {
  for (const python of PYTHON) {
    const found = python.startsWith("/") ? python : Bun.which(python);
    if (!found) continue;
    const check = Bun.spawnSync([found, "-m", "pytest", "--version"], { stdout: "ignore", stderr: "ignore" });
    if (check.exitCode === 0) return found;
  }
  throw new Error("irctest needs pytest: apt-get install -y python3-pytest");
}

test(
  "irctest: every test of the selection passes, but those skip.txt lists with a reason",
  async () => {
    const python = await pythonWithPytest();
    const files = (await listed("selection.txt")).map(({ id }) => `irctest/server_tests/${id}.py`);
    const skipped = await listed("skip.txt");
    expect(skipped.every(({ why }) => why.length > 0)).toBe(true);
    // irctest keeps its list of ports taken in one unlocked file of the temporary directory: a
    // directory of this run's own, so that another irctest run on the machine can't corrupt it.
    const temporary = mkdtempSync(join(tmpdir(), "bunchat-irctest-"));
    const proc = Bun.spawn(
      [
        python, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--tb=short", "-rfE",
        "--controller", "bunchat_controller", "-m", MARKERS,
        ...skipped.flatMap(({ id }) => ["--deselect", `irctest/server_tests/${id}`]),
        ...files,
      ],
      {
        cwd: SUITE,
        env: {
          ...process.env,
          PYTHONPATH: join(ROOT, "test/irctest"),
          PYTHONDONTWRITEBYTECODE: "1",
          TMPDIR: temporary,
          BUN: process.execPath, // the controller starts the server with this Bun
          PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`,
        },
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    const timer = setTimeout(() => proc.kill("SIGKILL"), 240_000);
    const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    clearTimeout(timer);
    await proc.exited;
    const ownPorts = existsSync(join(temporary, "irctest_ports.json"));
    rmSync(temporary, { recursive: true, force: true });
    expect(ownPorts).toBe(true); // irctest used this run's directory
    const summary = out.trim().split("\n").at(-1) ?? "";
    const count = (what: string) => Number(new RegExp(`(\\d+) ${what}`).exec(summary)?.[1] ?? 0);
    const [passed, failed, errors] = [count("passed"), count("failed"), count("errors?")];
    console.log(`irctest: ${passed} passed, ${failed} failed, ${errors} errors, ${count("skipped")} skipped by irctest, ${skipped.length} skipped (skip.txt)`);
    if (failed + errors > 0 || passed === 0) console.log(out.split("\n").filter((l) => /^(FAILED|ERROR|E  )/.test(l)).join("\n") || `${out}\n${err}`);
    expect(failed + errors).toBe(0);
    expect(passed).toBeGreaterThan(96); // ngircd, the same selection, same machine: 96
  },
  300_000,
);
