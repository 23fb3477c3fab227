// The bytes of files shared in rooms, in a directory: each under its SHA-256 (dir/ab/abcdef…), so
// that the same file uploaded twice is kept once; uploads in progress under dir/tmp, emptied at
// start (what a crash left there was never a file anyone was shown).

import { closeSync, existsSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

export class Blobs {
  private readonly tmp: string;
  private count = 0;

  /** Makes the directory (and its tmp) if missing; empties tmp. Throws if it can't be written. */
  constructor(readonly dir: string) {
    this.tmp = join(dir, "tmp");
    mkdirSync(this.tmp, { recursive: true });
    for (const name of readdirSync(this.tmp)) rmSync(join(this.tmp, name), { force: true });
  }

  /** A new file for an upload in progress, open for writing: its path and descriptor. */
  temp(): { path: string; fd: number } {
    const path = join(this.tmp, `${process.pid}-${Date.now().toString(36)}-${(this.count++).toString(36)}`);
    return { path, fd: openSync(path, "wx", 0o600) };
  }

  /** Where the bytes with this SHA-256 (hex) are. */
  path(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error("not a SHA-256");
    return join(this.dir, sha256.slice(0, 2), sha256);
  }

  /** A finished upload (closed) kept under its SHA-256; if those bytes are kept already, it goes. */
  keep(temp: string, sha256: string): void {
    const path = this.path(sha256);
    if (existsSync(path)) return rmSync(temp, { force: true });
    mkdirSync(join(this.dir, sha256.slice(0, 2)), { recursive: true });
    renameSync(temp, path);
  }

  /** An upload given up (cut off, refused): its bytes go. */
  discard(temp: { path: string; fd?: number }): void {
    if (temp.fd !== undefined) {
      try {
        closeSync(temp.fd);
      } catch {}
    }
    rmSync(temp.path, { force: true });
  }

  /** Bytes no file record uses any more: gone from the disk. */
  drop(sha256: string): void {
    rmSync(this.path(sha256), { force: true });
  }

  /** The size of the bytes kept for this SHA-256, or undefined if they are not there. */
  size(sha256: string): number | undefined {
    try {
      return statSync(this.path(sha256)).size;
    } catch {
      return undefined;
    }
  }
}
