// Files shared in rooms (issue 33): what is known of each (its room and line, name, size, the type
// the server decided from its bytes, who uploaded it), kept with the history (a SQLite table on one
// server; in memory with --db none). The bytes are in a directory, by their SHA-256 (blobs.ts).

import type { MessageId } from "../protocol/events.ts";
import type { Maybe } from "./history.ts";

export interface FileMeta {
  /** Random, unguessable, in links: 22 characters of base64url. */
  id: string;
  sha256: string;
  /** The room it was posted in ("#dev"). */
  room: string;
  /** The line that shows it, once said. */
  line?: MessageId;
  /** As cleaned (no path, no controls): what a download is called. */
  name: string;
  size: number;
  /** What the server read in its first bytes: image/png, image/jpeg, image/gif, image/webp, or application/octet-stream. */
  type: string;
  /** Who uploaded it: an account's name key, a guest's name, or a bot's name. */
  owner: string;
  ts: number;
}

export interface FileStore {
  put(meta: FileMeta): Maybe<void>;
  get(id: string): Maybe<FileMeta | undefined>;
  /** Taken out (its line was deleted): what it was, and whether another record still has the same bytes. */
  remove(id: string): Maybe<{ meta: FileMeta; shared: boolean } | undefined>;
  /** The file a line of a room shows, if any. */
  ofLine(room: string, line: MessageId): Maybe<FileMeta | undefined>;
  /** Bytes `owner` has uploaded that are still kept (their quota). */
  usage(owner: string): Maybe<number>;
  /** The server's secret for signing links: the one kept, or `made` kept now if there is none yet. */
  secret(made: string): Maybe<string>;
}

/** A record read back from a store, checked field by field (not trusted). */
export function parseFileMeta(value: unknown): FileMeta | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const str = (x: unknown): x is string => typeof x === "string";
  const num = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);
  if (!str(v.id) || !str(v.sha256) || !str(v.room) || !str(v.name) || !num(v.size) || !str(v.type) || !str(v.owner) || !num(v.ts)) return undefined;
  const line = typeof v.line === "number" || typeof v.line === "string" ? { line: v.line } : {};
  return { id: v.id, sha256: v.sha256, room: v.room, name: v.name, size: v.size, type: v.type, owner: v.owner, ts: v.ts, ...line };
}

/** In memory: `--db none` with a --files directory, and tests. */
export class MemoryFiles implements FileStore {
  private readonly byId = new Map<string, FileMeta>();
  private key: string | undefined;

  put(meta: FileMeta): void {
    this.byId.set(meta.id, meta);
  }
  get(id: string): FileMeta | undefined {
    return this.byId.get(id);
  }
  remove(id: string): { meta: FileMeta; shared: boolean } | undefined {
    const meta = this.byId.get(id);
    if (!meta) return undefined;
    this.byId.delete(id);
    return { meta, shared: [...this.byId.values()].some((m) => m.sha256 === meta.sha256) };
  }
  ofLine(room: string, line: MessageId): FileMeta | undefined {
    for (const m of this.byId.values()) if (m.room === room && m.line === line) return m;
    return undefined;
  }
  usage(owner: string): number {
    let bytes = 0;
    for (const m of this.byId.values()) if (m.owner === owner) bytes += m.size;
    return bytes;
  }
  secret(made: string): string {
    return (this.key ??= made);
  }
}
