// Registered names on one server, kept in the history file (the shared suite: test/store/accounts.case.ts).

import { SqliteHistory } from "../../src/store/sqlite/history.ts";
import { testServer } from "../helpers/server.ts";
import { accountBehaviour } from "../store/accounts.case.ts";

accountBehaviour("bun:sqlite", async () => {
  const history = new SqliteHistory({
    path: ":memory:",
    retention: { linesPerRoom: 1000, days: 0 },
    status: { paused: () => {}, resumed: () => {} },
  });
  return testServer({ history, accounts: history.accounts, limits: { linesPerSecond: 0 } });
});
