// Real IRC clients nobody here wrote, against the IRC door, beside an nc user and a bundled-client
// (JSON) user in the same room: irssi driven in a terminal (tmux), WeeChat headless driven by its
// startup commands. Each sees the room's history on joining, talks both ways, /msg both ways,
// /nick, /away and /quit as everyone else sees them.

import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memoryStore } from "../helpers/accounts.ts";
import { stamp } from "../../src/render/text.ts";
import { testServer } from "../helpers/server.ts";
import { Terminal } from "../helpers/tmux.ts";
import { until } from "../helpers/until.ts";

for (const [program, apt] of [["irssi", "irssi"], ["weechat-headless", "weechat-headless"], ["tmux", "tmux"]]) {
  if (!Bun.which(program!)) throw new Error(`The IRC client tests need ${program}: apt-get install -y ${apt}`);
}

/** A server with the IRC door and history, an nc user (Sam) and a JSON user (Bo) in #dev, and a line said there. */
async function room() {
  const t = await testServer({ irc: true, history: memoryStore().history, limits: { linesPerSecond: 0 } });
  const sam = await t.join("Sam");
  const bo = await t.join("Bo", "json");
  for (const p of [sam, bo]) p.send("/join #dev");
  await sam.seen(/^In #dev/);
  await bo.event("room");
  sam.send("said before the IRC client came");
  await bo.event("public");
  const inDev = (name: string) => {
    const [dev, member] = [t.server.hub.room("#dev"), t.server.hub.find(name)];
    return dev !== undefined && member !== undefined && dev.has(member);
  };
  return { t, sam, bo, inDev };
}

/** Every file under `dir`, read, for a client's logs. */
function logs(dir: string): string {
  let text = "";
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) text += readFileSync(join(entry.parentPath, entry.name), "utf8");
  }
  return text;
}

describe("real IRC clients", () => {
  test("irssi (in a terminal): history on join, a line both ways with nc and JSON users, /msg both ways, /nick, /away, channel synced, /quit", async () => {
    const { t, sam, bo, inDev } = await room();
    const home = mkdtempSync(join(tmpdir(), "bunchat-irssi-"));
    // irssi's own flood queue waits 2.2 s between commands by default: off, so the test is quick.
    writeFileSync(
      join(home, "config"),
      `settings = {
  core = { real_name = "Ana Irssi"; user_name = "ana"; nick = "Ana"; };
  "irc/core" = { cmd_queue_speed = "0msec"; cmds_max_at_once = "1000"; };
  "fe-common/core" = { autolog = "yes"; autolog_path = "${home}/logs/$0.log"; autolog_level = "all"; };
};
`,
    );
    // A line said three hours ago: irssi, as configured by default (server-time asked for, but its
    // own clock shown: show_server_time is off), must still show when it was said.
    const then = Date.now() - 3 * 3600_000;
    t.server.hub.history!.keep({ type: "public", id: t.server.hub.nextId(), room: "#dev", from: "Bo", text: "said three hours ago", ts: then });
    t.server.hub.history!.flush();
    const irssi = Terminal.start(["irssi", `--home=${home}`, "-c", "127.0.0.1", "-p", String(t.server.ircPort), "-n", "Ana"]);
    await until(() => t.server.hub.find("Ana") !== undefined, 10_000);
    irssi.type("/join #dev", true);
    await until(() => inDev("Ana"), 5000);
    await irssi.waitForLine(/said before the IRC client came/, 5000); // history, on joining
    await irssi.waitForLine(new RegExp(`Bo.*\\[${stamp(then, Date.now())}\\] said three hours ago`), 5000);
    await irssi.waitForLine(/Join to #dev was synced/, 5000); // MODE, WHO and the ban list answered
    irssi.type("hello from irssi", true);
    await sam.seen("Ana: hello from irssi");
    expect((await bo.event("public")).text).toBe("hello from irssi");
    sam.send("hi irssi user");
    bo.send("/me waves at Ana");
    await irssi.waitForLine(/Sam.*hi irssi user/);
    await irssi.waitForLine(/Bo waves at Ana/);
    irssi.type("/msg Sam psst from irssi", true);
    await sam.seen("[pm from Ana] psst from irssi");
    sam.send("/pm Ana right back");
    await until(() => logs(join(home, "logs")).includes("right back"), 5000);
    irssi.type("/nick Anna", true);
    await sam.seen("--- Ana is now known as Anna");
    irssi.type("/away at lunch", true);
    await until(() => t.server.hub.awayOf("Anna") === "at lunch", 5000);
    irssi.type("/quit off home", true);
    await sam.seen(/^<-- Anna left the chat \(quit: off home\)$/);
  }, 30_000);

  test("WeeChat (headless): history on join, a line both ways, /msg both ways, /nick, /away, /quit", async () => {
    const { t, sam, bo, inDev } = await room();
    const dir = mkdtempSync(join(tmpdir(), "bunchat-weechat-"));
    const port = t.server.ircPort!;
    // Its startup commands set it up and connect; what it does next it is told through its FIFO.
    const startup = [
      `/server add bunchat 127.0.0.1/${port} -notls`,
      "/set irc.server.bunchat.nicks Wee",
      "/set irc.server.bunchat.autojoin #dev",
      "/set irc.server.bunchat.capabilities server-time,echo-message",
      "/set irc.server.bunchat.anti_flood_prio_high 0", // its own flood queue: one line each 2 s by default
      "/set irc.server.bunchat.anti_flood_prio_low 0",
      "/set logger.file.auto_log on",
      `/set logger.file.path ${dir}/logs`,
      "/set logger.file.mask $plugin.$name.weechatlog",
      "/set logger.file.flush_delay 0",
      "/set fifo.file.enabled on",
      `/set fifo.file.path ${dir}/fifo`,
      "/connect bunchat",
    ].join(";");
    const weechat = Bun.spawn(["weechat-headless", "--dir", dir, "--run-command", startup], { stdout: "ignore", stderr: "ignore", stdin: "ignore" });
    try {
      await until(() => inDev("Wee"), 10_000).catch((err) => {
        throw new Error(`${(err as Error).message}\n${readFileSync(join(dir, "weechat.log"), "utf8")}\n${t.log.join("\n")}`);
      });
      await until(() => logs(join(dir, "logs")).includes("said before the IRC client came"), 5000); // history
      const run = (command: string) => writeFileSync(join(dir, "fifo"), `irc.bunchat.#dev *${command}\n`);
      await until(() => readdirSync(dir).includes("fifo"), 5000);
      run("hello from weechat");
      await sam.seen("Wee: hello from weechat");
      expect((await bo.event("public")).text).toBe("hello from weechat");
      sam.send("hi weechat user");
      await until(() => logs(join(dir, "logs")).includes("hi weechat user"), 5000);
      run("/msg Sam psst from weechat");
      await sam.seen("[pm from Wee] psst from weechat");
      sam.send("/pm Wee right back");
      await until(() => logs(join(dir, "logs")).includes("right back"), 5000);
      run("/nick Weechat");
      await sam.seen("--- Wee is now known as Weechat");
      run("/away at lunch");
      await until(() => t.server.hub.awayOf("Weechat") === "at lunch", 5000);
      run("/quit off home");
      await sam.seen(/^<-- Weechat left the chat \(quit: off home\)$/);
    } finally {
      weechat.kill("SIGKILL");
      await weechat.exited;
    }
  }, 30_000);
});
