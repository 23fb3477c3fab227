// Preloaded by bunfig.toml before any test file: the one afterEach that covers every file.

import { afterEach } from "bun:test";
import { runAfterEachTest } from "./helpers/cleanup.ts";

afterEach(runAfterEachTest);
