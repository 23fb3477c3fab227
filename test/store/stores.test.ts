// The store suites (stores.case.ts) against bun:sqlite (in memory) and MemoryHistory (--db none),
// called through their interfaces.

import { afterEachTest } from "../helpers/cleanup.ts";
import { memoryStore } from "../helpers/accounts.ts";
import type { SqliteFile } from "../../src/store/sqlite/file.ts";
import { MemoryHistory } from "../../src/store/memory/history.ts";
import { accountStoreBehaviour, historyStoreBehaviour, markerStoreBehaviour, messageStoreBehaviour, conversationStoreBehaviour, sessionStoreBehaviour, settleBy } from "./stores.case.ts";

const open: SqliteFile[] = [];
afterEachTest(() => {
  for (const file of open.splice(0)) file.close();
});

function file(): SqliteFile {
  const f = memoryStore();
  open.push(f);
  return f;
}

historyStoreBehaviour("bun:sqlite", async () => {
  const { history } = file();
  return { store: history, settle: settleBy(history) };
});

historyStoreBehaviour("memory (--db none)", async () => {
  const store = new MemoryHistory({ retention: { linesPerRoom: 1000, days: 0 } });
  return { store, settle: settleBy(store) };
});

messageStoreBehaviour("bun:sqlite", async () => {
  const { history } = file();
  return { store: history, settle: settleBy(history) };
});

messageStoreBehaviour("memory (--db none)", async () => {
  const store = new MemoryHistory({ retention: { linesPerRoom: 1000, days: 0 } });
  return { store, settle: settleBy(store) };
});
conversationStoreBehaviour("bun:sqlite", async () => {
  const { history } = file();
  return { store: history, settle: settleBy(history) };
});
conversationStoreBehaviour("memory (--db none)", async () => {
  const store = new MemoryHistory({ retention: { linesPerRoom: 1000, days: 0 } });
  return { store, settle: settleBy(store) };
});

accountStoreBehaviour("bun:sqlite", async () => file().accounts);

markerStoreBehaviour("bun:sqlite", async () => file().markers);

sessionStoreBehaviour("bun:sqlite", async () => file().sessions);
