// Registered names on one server, kept in the history file (the shared suite: test/store/accounts.case.ts).

import { SqliteFile } from "../../src/store/sqlite/file.ts";
import { testServer } from "../helpers/server.ts";
import { accountBehaviour } from "../store/accounts.case.ts";

accountBehaviour("bun:sqlite", async () => {
  const file = new SqliteFile({
    path: ":memory:",
    retention: { linesPerRoom: 1000, days: 0 },
    status: { paused: () => {}, resumed: () => {} },
  });
  return testServer({ history: file.history, accounts: file.accounts, limits: { linesPerSecond: 0 } });
});
