// irctest (vendored, vendor/irctest) against the IRC door, run with Debian's pytest: how, once, for
// the suite (test/irc/irctest.test.ts), scripts/irctest-all.ts and the table beside other daemons
// (scripts/irctest-table.ts).

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const ROOT = join(import.meta.dir, "../..");
const SUITE = join(ROOT, "vendor/irctest");
/**
 * The markers of a run: tests of one server's own features (Ergo's; Sable's history server, which
 * needs faketime), deprecated and strict ones are left
 * out; so are those that need services (accounts), unless `services` (bunchat registers accounts
 * itself: the controller's registerUser). The table beside other daemons leaves them out, as those
 * run without services.
 */
export function markers(services: boolean): string {
  return `not Ergo and not Sable and not deprecated and not strict${services ? "" : " and not services"}`;
}
/** Debian's python3-pytest (the machines reach no Python package index); another python3 with pytest works too. */
const PYTHON = ["/usr/bin/python3", "python3"];

export interface IrctestRun {
  passed: number;
  failed: number;
  errors: number;
  skipped: number;
  /** pytest's output, and its FAILED and ERROR lines. */
  out: string;
  err: string;
  failures: string[];
  timedOut: boolean;
  /** irctest kept its list of ports in this run's own temporary directory. */
  ownPorts: boolean;
}

export async function pythonWithPytest(): Promise<string> {
  for (const python of PYTHON) {
    const found = python.startsWith("/") ? python : Bun.which(python);
    if (!found) continue;
    const check = Bun.spawnSync([found, "-m", "pytest", "--version"], { stdout: "ignore", stderr: "ignore" });
    if (check.exitCode === 0) return found;
  }
  throw new Error("irctest needs pytest: apt-get install -y python3-pytest");
}

/** pytest on these test files or ids (paths in the suite), less `deselect`, killed after `timeoutMs`. */
export async function runIrctest(files: string[], deselect: string[], timeoutMs: number, services = false, controller = "bunchat_controller"): Promise<IrctestRun> {
  const python = await pythonWithPytest();
  // irctest keeps its list of ports taken in one unlocked file of the temporary directory: a
  // directory of this run's own, so that another irctest run on the machine can't corrupt it.
  const temporary = mkdtempSync(join(tmpdir(), "bunchat-irctest-"));
  const proc = Bun.spawn(
    [
      python, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--tb=short", "-rfE",
      "--controller", controller, "-m", markers(services),
      ...deselect.flatMap((id) => ["--deselect", id]),
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
  let timedOut = false;
  const timer = setTimeout(() => ((timedOut = true), proc.kill("SIGKILL")), timeoutMs);
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  clearTimeout(timer);
  await proc.exited;
  const ownPorts = existsSync(join(temporary, "irctest_ports.json"));
  // The servers the run started (the controllers list them): one a skipped test left running too.
  const pids = join(temporary, "irctest-servers.pids");
  if (existsSync(pids)) {
    for (const pid of readFileSync(pids, "utf8").split("\n").filter(Boolean).map(Number)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {} // gone already, as it should be
    }
  }
  rmSync(temporary, { recursive: true, force: true });
  const summary = out.trim().split("\n").at(-1) ?? "";
  const count = (what: string) => Number(new RegExp(`(\\d+) ${what}`).exec(summary)?.[1] ?? 0);
  return {
    passed: count("passed"),
    failed: count("failed"),
    errors: count("errors?"),
    skipped: count("skipped"),
    out,
    err,
    failures: out.split("\n").filter((l) => /^(FAILED|ERROR) /.test(l)),
    timedOut,
    ownPorts,
  };
}

/** Every server test file of the suite ("chmodes/key", "who", …), sorted. */
export function suiteFiles(): string[] {
  return readdirSync(join(SUITE, "irctest/server_tests"), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".py") && !f.endsWith("__init__.py"))
    .map((f) => f.replace(/\.py$/, ""))
    .sort();
}

/** A skip list's entries ("file.py::Case::test  # why"), each with its reason. */
export async function skipList(path: string): Promise<{ id: string; why: string }[]> {
  return (await Bun.file(path).text())
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const [id = "", why = ""] = line.split(/\s+#\s+/);
      return { id: id.trim(), why: why.trim() };
    });
}

export const SKIP_LIST = join(ROOT, "test/irctest/skip.txt");

/**
 * The files given, one pytest each (a file that hangs costs only itself), `jobs` at once, less
 * the ids of `skip`: each file's run, in the files' order.
 */
export async function runFiles(
  files: readonly string[],
  options: { skip?: readonly string[]; jobs?: number; perFileMs?: number; services?: boolean; controller?: string } = {},
): Promise<{ file: string; run: IrctestRun }[]> {
  const runs: IrctestRun[] = [];
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      const file = files[i]!;
      const mine = (options.skip ?? []).filter((id) => id.startsWith(`${file}.py::`)).map((id) => `irctest/server_tests/${id}`);
      runs[i] = await runIrctest([`irctest/server_tests/${file}.py`], mine, options.perFileMs ?? 180_000, options.services ?? false, options.controller);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.jobs ?? 1) }, worker));
  return files.map((file, i) => ({ file, run: runs[i]! }));
}
