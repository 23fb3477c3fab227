// Preloaded by bunfig.toml before any test file: the one afterEach that covers every file, and
// what some tests need from apt when it is missing and can be installed (root with apt-get, as on
// CI and a fresh server; elsewhere those tests say how to install it): redis-server for the
// cluster tests, Debian's pytest for irctest against the IRC door, irssi, WeeChat and tmux for the
// real IRC clients' tests, Chromium for the browser tests (driven by playwright-core).

import { afterEach } from "bun:test";
import { runAfterEachTest } from "./helpers/cleanup.ts";

afterEach(runAfterEachTest, 20_000); // stopping servers and pages on a loaded machine: more than a test's 5 s

const hasPytest = () => Bun.spawnSync(["/usr/bin/python3", "-m", "pytest", "--version"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
const missing = [
  ...(Bun.which("redis-server") ? [] : ["redis-server"]),
  ...(Bun.which("/usr/bin/python3") && hasPytest() ? [] : ["python3-pytest"]),
  ...["irssi", "weechat-headless", "tmux"].filter((program) => !Bun.which(program)),
  ...(Bun.which("/usr/bin/chromium") ? [] : ["chromium"]),
];
if (missing.length > 0 && process.getuid?.() === 0 && Bun.which("apt-get")) {
  process.stderr.write(`installing what some tests need (apt-get install -y ${missing.join(" ")})…\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => Bun.spawnSync(["apt-get", "install", "-y", "-qq", ...missing], { env, stdout: "ignore" });
  if (install().exitCode !== 0) {
    Bun.spawnSync(["apt-get", "update", "-qq"], { env, stdout: "ignore" });
    install();
  }
}
