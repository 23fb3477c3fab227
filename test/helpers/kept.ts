// Lines for a history store under test: the store gives each its id (nextId), as the hub does.

import type { KeptEvent } from "../../src/protocol/events.ts";
import type { HistoryStore, StoredLine } from "../../src/store/history.ts";

/** A kept line before the store gave it an id. */
export type Unsaid = KeptEvent extends infer E ? (E extends unknown ? Omit<E, "id"> : never) : never;
/** Any line a store keeps (a private one too) before it was given an id. */
export type UnsaidLine = StoredLine extends infer E ? (E extends unknown ? Omit<E, "id"> : never) : never;

/** Keeps `event` in `store` under the next id; the line as kept. */
export function keepIn<E extends UnsaidLine>(store: Pick<HistoryStore, "nextId" | "keep">, event: E): E & { id: StoredLine["id"] } {
  const kept = { ...event, id: store.nextId() };
  store.keep(kept as StoredLine);
  return kept;
}
