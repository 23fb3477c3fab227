// Lines for a history store under test: the store gives each its id (nextId), as the hub does.

import type { KeptEvent } from "../../src/protocol/events.ts";
import type { HistoryStore } from "../../src/store/history.ts";

/** A kept line before the store gave it an id. */
export type Unsaid = KeptEvent extends infer E ? (E extends unknown ? Omit<E, "id"> : never) : never;

/** Keeps `event` in `store` under the next id; the line as kept. */
export function keepIn(store: Pick<HistoryStore, "nextId" | "keep">, event: Unsaid): KeptEvent {
  const kept = { ...event, id: store.nextId() } as KeptEvent;
  store.keep(kept);
  return kept;
}
