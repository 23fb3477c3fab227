// bun run build: dist/bunchat-server and dist/bunchat for this machine.
// bun run release: both for every supported platform in dist/release/, with SHA256SUMS.

import { createHash } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { basename, join } from "node:path";

const ROOT = join(import.meta.dir, "..");
export const PROGRAMS = [
  { entry: "server.ts", name: "bunchat-server" },
  { entry: "client.ts", name: "bunchat" },
];
/** What `bun run release` builds, and for what; the README's download table lists the same. */
export const RELEASE_TARGETS = [
  { target: "linux-x64", for: "Linux on x86-64 with glibc (Debian, Ubuntu, Fedora…), CPUs from 2013 on (AVX2)" },
  { target: "linux-x64-baseline", for: "Linux on older x86-64 CPUs, without AVX2" },
  { target: "linux-arm64", for: "Linux on ARM64 with glibc (Raspberry Pi OS 64-bit, AWS Graviton)" },
  { target: "linux-x64-musl", for: "Alpine Linux on x86-64 (needs `apk add libstdc++ libgcc`)" },
  { target: "linux-arm64-musl", for: "Alpine Linux on ARM64 (needs `apk add libstdc++ libgcc`)" },
  { target: "darwin-x64", for: "macOS on Intel" },
  { target: "darwin-arm64", for: "macOS on Apple silicon" },
  { target: "windows-x64", for: "Windows on x86-64" },
] as const;

export async function compile(entry: string, outfile: string, target?: string, quiet = false): Promise<void> {
  const args = [
    "build",
    "--compile",
    join(ROOT, entry),
    "--outfile",
    outfile,
    // A chat binary run from any directory must not pick up that directory's .env or bunfig.toml.
    "--no-compile-autoload-dotenv",
    "--no-compile-autoload-bunfig",
    ...(target ? [`--target=bun-${target}`] : []),
  ];
  const output = quiet ? "pipe" : "inherit";
  const proc = Bun.spawn([process.execPath, ...args], { stdout: output, stderr: output, cwd: ROOT });
  if ((await proc.exited) !== 0) {
    const detail = quiet ? `\n${await new Response(proc.stderr as ReadableStream).text()}` : "";
    throw new Error(`bun ${args.join(" ")} failed${detail}`);
  }
}

async function sha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of Bun.file(path).stream()) hash.update(chunk);
  return hash.digest("hex");
}

async function main(): Promise<void> {
  const release = process.argv.includes("--release");
  const outDir = join(ROOT, "dist", release ? "release" : "");
  if (release) await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });

  const built: string[] = [];
  for (const target of release ? RELEASE_TARGETS.map((t) => t.target) : [undefined]) {
    for (const { entry, name } of PROGRAMS) {
      const suffix = target ? `-${target}${target.startsWith("windows") ? ".exe" : ""}` : "";
      const outfile = join(outDir, `${name}${suffix}`);
      await compile(entry, outfile, target);
      built.push(outfile);
    }
  }
  if (release) {
    const sums = await Promise.all(built.map(async (f) => `${await sha256(f)}  ${basename(f)}`));
    await Bun.write(join(outDir, "SHA256SUMS"), `${sums.join("\n")}\n`);
    built.push(join(outDir, "SHA256SUMS"));
  }
  for (const f of built) console.log(`built ${f.slice(ROOT.length + 1)}`);
}

if (import.meta.main) await main();
