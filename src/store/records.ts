// Records kept by a key as JSON, the same way in both places a server keeps things: a table
// (key, value) in the history file, or a Redis hash (key -> value) every node of a cluster reads.
// Server bans and bot tokens are kept so; each reads its records back field by field (`parse`).

import type { Database, Statement } from "bun:sqlite";

/** A kind of record: its key, and its JSON read back field by field (undefined if it is not one). */
export interface RecordKind<T> {
  keyOf(record: T): string;
  parse(value: unknown): T | undefined;
}

/** In the history file: `table` (`column` TEXT PRIMARY KEY, value TEXT), made by a migration. */
export class SqliteRecords<T> {
  private readonly all: Statement<{ value: string }, []>;
  private readonly one: Statement<{ value: string }, [string]>;
  private readonly upsert: Statement<unknown, [string, string]>;
  private readonly delete: Statement<unknown, [string]>;

  constructor(
    db: Database,
    table: string,
    column: string,
    private readonly kind: RecordKind<T>,
  ) {
    this.all = db.prepare(`SELECT value FROM ${table} ORDER BY ${column}`);
    this.one = db.prepare(`SELECT value FROM ${table} WHERE ${column} = ?`);
    this.upsert = db.prepare(`INSERT OR REPLACE INTO ${table} (${column}, value) VALUES (?, ?)`);
    this.delete = db.prepare(`DELETE FROM ${table} WHERE ${column} = ?`);
  }

  /** Every record, by key. */
  list(): T[] {
    return this.all.all().flatMap((row) => this.kind.parse(row.value) ?? []);
  }

  get(key: string): T | undefined {
    const row = this.one.get(key);
    return row ? this.kind.parse(row.value) : undefined;
  }

  put(record: T): void {
    this.upsert.run(this.kind.keyOf(record), JSON.stringify(record));
  }

  /** False if there was none. */
  remove(key: string): boolean {
    return this.delete.run(key).changes > 0;
  }

  /** Before the database closes. */
  finalize(): void {
    for (const s of [this.all, this.one, this.upsert, this.delete]) s.finalize();
  }
}

/** In Redis: the hash `hash`, through the cluster node's connection. */
export class RedisRecords<T> {
  constructor(
    private readonly link: { command(name: string, args: string[]): Promise<unknown> },
    private readonly hash: string,
    private readonly kind: RecordKind<T>,
  ) {}

  /** Every record, by key. */
  async list(): Promise<T[]> {
    const all = await this.link.command("HVALS", [this.hash]);
    const records = Array.isArray(all) ? all.flatMap((v) => this.kind.parse(v) ?? []) : [];
    return records.sort((a, b) => (this.kind.keyOf(a) < this.kind.keyOf(b) ? -1 : 1));
  }

  async get(key: string): Promise<T | undefined> {
    return this.kind.parse(await this.link.command("HGET", [this.hash, key]));
  }

  async put(record: T): Promise<void> {
    await this.link.command("HSET", [this.hash, this.kind.keyOf(record), JSON.stringify(record)]);
  }

  /** False if there was none. */
  async remove(key: string): Promise<boolean> {
    return (await this.link.command("HDEL", [this.hash, key])) === 1;
  }
}
