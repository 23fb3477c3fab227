// Compiles the two binaries once per test file, into a temporary folder, and runs them as
// child processes whose output is read line by line. Every process is killed after its test.

import { afterEachTest } from "./cleanup.ts";
import { mkdtemp, rm } from "node:fs/promises";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { compile } from "../../scripts/build.ts";
import { type LineLog, logStream } from "./lines.ts";

export interface Binaries {
  server: string;
  client: string;
  dir: string;
}

export async function buildBinaries(): Promise<Binaries> {
  const dir = await mkdtemp(join(tmpdir(), "bunchat-e2e-"));
  const server = join(dir, "bunchat-server");
  const client = join(dir, "bunchat");
  await Promise.all([compile("server.ts", server, undefined, true), compile("client.ts", client, undefined, true)]);
  return { server, client, dir };
}

export async function removeBinaries(b: Binaries | undefined): Promise<void> {
  if (b) await rm(b.dir, { recursive: true, force: true });
}

export interface Running {
  proc: Subprocess<"pipe", "pipe", "pipe">;
  out: LineLog;
  err: LineLog;
  send(line: string): void;
  endInput(): void;
  /** Exit code, or a failure if it does not exit in time. */
  exited(timeoutMs?: number): Promise<number>;
}

const live = new Set<Subprocess>();
/** Working directories made for servers (where their default bunchat.sqlite goes), removed after each test. */
const dirs: string[] = [];
afterEachTest(() => {
  for (const p of live) p.kill("SIGKILL");
  live.clear();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs a binary. A server runs in a directory of its own (`cwd`, or a new one), so that its
 * history file is its own and gone after the test.
 */
export function run(bin: string, args: string[], label = bin, env: Record<string, string> = {}, cwd?: string): Running {
  const base: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1" };
  delete base.BUNCHAT_PASSWORD; // only where a test sets it
  const proc = Bun.spawn([bin, ...args], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...base, ...env },
    cwd: cwd ?? (bin.endsWith("bunchat-server") ? serverDir() : undefined),
  });
  live.add(proc);
  return {
    proc,
    out: logStream(proc.stdout, `${label} stdout`),
    err: logStream(proc.stderr, `${label} stderr`),
    send(line) {
      proc.stdin.write(`${line}\n`);
      proc.stdin.flush();
    },
    endInput() {
      proc.stdin.end();
    },
    async exited(timeoutMs = 5000) {
      let timer: Timer | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${label} did not exit within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        return await Promise.race([proc.exited, timeout]);
      } finally {
        clearTimeout(timer);
        live.delete(proc);
      }
    },
  };
}

/** A new empty directory, removed after the test. */
export function serverDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "bunchat-server-"));
  dirs.push(dir);
  return dir;
}

/** Starts the server binary on 127.0.0.1:0 and reads the port it prints. */
export async function runServer(
  b: Binaries,
  args: string[] = [],
  env: Record<string, string> = {},
  cwd?: string,
): Promise<{ server: Running; port: number }> {
  const server = run(b.server, ["--host", "127.0.0.1", "--port", "0", ...args], "server", env, cwd);
  const line = await server.out.next(/listening on 127\.0\.0\.1:\d+\b/, 10_000);
  return { server, port: Number(/127\.0\.0\.1:(\d+)/.exec(line)![1]) };
}
