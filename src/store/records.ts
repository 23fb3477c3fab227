// Records kept by a key as JSON, the same way in both places a server keeps things: a table
// (key, value) in the history file, or a Redis hash (key -> value) every node of a cluster reads.
// Server bans and bot tokens are kept so; each reads its records back field by field (`parse`).

/** A kind of record: its key, and its JSON read back field by field (undefined if it is not one). */
export interface RecordKind<T> {
  keyOf(record: T): string;
  parse(value: unknown): T | undefined;
}

