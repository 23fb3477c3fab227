// Preloaded by bunfig.toml before any test file: the one afterEach that covers every file, and
// redis-server for the cluster tests when it is missing and can be installed (root with apt-get,
// as on CI and a fresh server; elsewhere those tests say how to install it).

import { afterEach } from "bun:test";
import { runAfterEachTest } from "./helpers/cleanup.ts";

afterEach(runAfterEachTest);

if (!Bun.which("redis-server") && process.getuid?.() === 0 && Bun.which("apt-get")) {
  process.stderr.write("installing redis-server for the cluster tests (apt-get install -y redis-server)…\n");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => Bun.spawnSync(["apt-get", "install", "-y", "-qq", "redis-server"], { env, stdout: "ignore" });
  if (install().exitCode !== 0) {
    Bun.spawnSync(["apt-get", "update", "-qq"], { env, stdout: "ignore" });
    install();
  }
}
