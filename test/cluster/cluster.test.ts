// Cluster mode: two or three nodes in this process (and, where a node must die or freeze, one in a
// child process), one redis-server of the test's own, and users on different nodes.

import { describe, expect, test } from "bun:test";
import { Cluster, ClusterError, type ClusterOptions, type Envelope } from "../../src/cluster/cluster.ts";
import { Hub } from "../../src/core/hub.ts";
import { run } from "../helpers/binaries.ts";
import { joined, left } from "../helpers/lines.ts";
import { Peer } from "../helpers/peer.ts";
import { testRedis, type TestRedis } from "../helpers/redis.ts";
import { FAST_NODE, type TestServer, testServer } from "../helpers/server.ts";
import { until } from "../helpers/until.ts";

/** Short timeouts so a dead node is noticed in about a second. */

async function nodes(count: number, redis?: TestRedis): Promise<{ redis: TestRedis; nodes: TestServer[] }> {
  redis ??= await testRedis();
  const started: TestServer[] = [];
  for (let i = 0; i < count; i++) {
    started.push(
      await testServer({
        limits: { linesPerSecond: 0 },
        cluster: { url: redis.url, nodeId: `n${i + 1}`, ...FAST_NODE },
      }),
    );
  }
  return { redis, nodes: started };
}

/** Two nodes; Sam (plain text) on the first and Kim on the second, who Sam has seen join. */
async function samAndKim(kimMode: "text" | "json" = "text") {
  const {
    redis,
    nodes: [a, b],
  } = await nodes(2);
  const sam = await a!.join("Sam");
  const kim = await b!.join("Kim", kimMode);
  await sam.next(joined("Kim"));
  return { redis, a: a!, b: b!, sam, kim };
}

/** A node in a child process (to kill -9 or freeze), and the port it listens on. */
async function childNode(redis: TestRedis, id: string, nodeTimeout = 1) {
  const node = run(
    process.execPath,
    [
      "server.ts",
      ...["--host", "127.0.0.1", "--port", "0", "--redis", redis.url, "--node-id", id],
      ...["--node-timeout", String(nodeTimeout), "--flood-rate", "0"],
    ],
    `node ${id}`,
  );
  const line = await node.out.next(/listening on/, 10_000);
  return { node, port: Number(/:(\d+) \(/.exec(line)![1]) };
}

const byName = (a: string, b: string) => a.toLowerCase().localeCompare(b.toLowerCase());

describe("one chat across nodes, through Redis (the rest is in bus.case.ts, for every bus)", () => {
  test("a private message whose recipient left before it arrived comes back to its sender as an error", async () => {
    const { a, b, sam } = await samAndKim();
    // What node n1 would send if Sam's /pm crossed Ghost's leave: n2 has no Ghost.
    clusterOf(b).apply({
      n: clusterOf(a).node,
      b: "crossed",
      s: 1,
      e: [{ type: "pm", to: "Ghost", node: clusterOf(b).node, event: { type: "private", id: "1", from: "Sam", text: "still there?", ts: 0 } }],
    });
    await sam.next("! Ghost left before your private message arrived; it was not delivered.");
  });

});

test("SIGTERM to a node process: its users are told, the others see them leave, and it exits 0", async () => {
  const { redis, sam, kim } = await samAndKim();
  const { node: c, port } = await childNode(redis, "c");
  const zed = await Peer.join(port, "Zed");
  await sam.next(joined("Zed"));
  c.proc.kill("SIGTERM");
  await zed.seen("!! The server is shutting down. Goodbye!");
  expect(await c.exited(10_000)).toBe(0);
  await sam.next(left("Zed", "their server was stopped"));
  await kim.next(left("Zed", "their server was stopped"));
  await c.out.seen(/cluster: left; envelopes \d+ sent, \d+ received, 0 missed, 0 repeated, 0 not sent/);
  expect(await redis.command("EXISTS", "bunchat:alive:c", "bunchat:users:c", "bunchat:name:zed")).toBe(0);
});

describe("starting", () => {
  test("Redis unreachable: a clear error, and the server exits 1", async () => {
    const redis = await testRedis();
    await redis.stop();
    const attempt = startNode({ url: redis.url, log: () => {} });
    await expect(attempt).rejects.toThrow(ClusterError);
    await expect(attempt).rejects.toThrow(`can't reach Redis at ${redis.url}`);
    const server = run(process.execPath, ["server.ts", "--port", "0", "--redis", redis.url], "server");
    expect(await server.exited(10_000)).toBe(1);
    await server.err.seen(new RegExp(`bunchat-server: can't reach Redis at ${redis.url}`));
  });

  test("why Redis can't be reached is said: nothing there, a password wanted or refused, not Redis", async () => {
    const redis = await testRedis(["--requirepass", "sekrit"]);
    const why = (url: string) =>
      startNode({ url, log: () => {} }).then(
        async (c) => {
          await c.stop();
          return "started";
        },
        (err: Error) => err.message,
      );
    const at = `127.0.0.1:${redis.port}`;
    expect(await why(`redis://${at}`)).toBe(
      `can't reach Redis at redis://${at}: it wants a password: redis://:<password>@host:port`,
    );
    expect(await why(`redis://:wrong@${at}`)).toBe(
      `can't reach Redis at redis://:***@${at}: it refused the password (or user) in the URL`,
    );
    expect(await why(`redis://:sekrit@${at}`)).toBe("started");
    const notRedis = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: { data: (socket) => void socket.write("HTTP/1.1 400 Bad Request\r\n\r\n") },
    });
    try {
      expect(await why(`redis://127.0.0.1:${notRedis.port}`)).toEndWith(": what answered is not Redis");
    } finally {
      notRedis.stop(true);
    }
    await redis.stop();
    expect(await why(`redis://${at}`)).toEndWith(": nothing is listening there (is redis-server running?)");
  });

  test("cluster flags without --redis, or a URL that is not redis://, are usage errors (exit 2)", async () => {
    const cases: [string[], RegExp][] = [
      [["--node-id", "east"], /--node-id and --node-timeout are for cluster mode: add --redis <url>/],
      [
        ["--redis", "http://127.0.0.1:6379"],
        /--redis needs a redis:\/\/ or rediss:\/\/ URL, not "http:\/\/127.0.0.1:6379"/,
      ],
      [
        ["--redis", "redis://127.0.0.1:6379", "--node-timeout", "0"],
        /--node-timeout needs a whole number of at least 1/,
      ],
    ];
    for (const [args, message] of cases) {
      const server = run(process.execPath, ["server.ts", "--port", "0", ...args], "server");
      expect(await server.exited(10_000)).toBe(2);
      await server.err.seen(message);
    }
  });

  test("a node id in use is refused, and a URL without a password in the log", async () => {
    const redis = await testRedis();
    const log: string[] = [];
    const first = await startNode({ url: redis.url, nodeId: "same", log: (l) => void log.push(l) });
    try {
      await expect(startNode({ url: redis.url, nodeId: "same", log: () => {} })).rejects.toThrow(
        'node id "same" is in use',
      );
      await expect(startNode({ url: redis.url, nodeId: "bad id!", log: () => {} })).rejects.toThrow(
        "--node-id must be",
      );
    } finally {
      await first.stop();
    }
    const withPassword = redis.url.replace("//", "//user:secret@");
    const refused = await startNode({ url: withPassword, log: () => {} }).then(
      () => "started",
      (err: Error) => err.message,
    );
    expect(refused).toContain(`redis://user:***@127.0.0.1:${redis.port}`);
    expect(refused).not.toContain("secret");
  });
});

describe("when things go wrong", () => {
  test("Redis restarted under load: users are told, local chat goes on, nothing is sent late, and cross-node chat resumes once", async () => {
    const { redis, a, b, sam, kim } = await samAndKim();
    const lee = await a.join("Lee");
    // Load: Kim talks throughout.
    let n = 0;
    const chatter = setInterval(() => kim.send(`chatter ${++n}`), 5);
    try {
      await redis.stop();
      await sam.next(/-- The other servers of this chat can't be reached right now/);
      sam.send("only for this server");
      await lee.next("Sam: only for this server");
      await redis.start();
      await sam.next(/-- The other servers of this chat are reachable again: 3 online in all/, 5000);
      await kim.seen(/reachable again/, 5000);
    } finally {
      clearInterval(chatter);
    }
    sam.send("after the restart");
    await kim.next("Sam: after the restart");
    kim.send("done");
    await sam.next("Kim: done");
    expect(kim.log.all("Sam: only for this server")).toEqual([]); // not queued and sent late
    expect(kim.log.all("Sam: after the restart")).toHaveLength(1); // subscribed once, not twice
    expect(b.server.hub.size).toBe(3);
    // The names were claimed again: Sam is still taken for a newcomer on the other node.
    const other = await Peer.connect(b.port, "text", "other");
    other.send("sam");
    await other.next(/The name "sam" is taken by Sam/);
    other.close();
    const stats = clusterOf(b).stats;
    expect(stats.duplicates).toBe(0);
  });

  test("after Redis is back, joins and leaves from meanwhile are put right everywhere, and a name taken on both sides stays with one", async () => {
    const { redis, a, b, sam, kim } = await samAndKim();
    const lee = await a.join("Lee");
    await kim.next(joined("Lee"));
    await redis.stop();
    await sam.next(/can't be reached/);
    await kim.next(/can't be reached/);
    // Meanwhile, each node alone: Lee leaves, Ann joins, and both nodes let a "Max" in.
    lee.send("quit");
    await sam.next(left("Lee", "quit"));
    await b.join("Ann");
    const maxA = await a.join("Max");
    const maxB = await b.join("max");
    await redis.start();
    await sam.seen(joined("Ann"), 5000);
    await kim.seen(left("Lee", "disconnected"), 5000);
    // Exactly one of the two keeps the name; the other is renamed and told.
    const renamed = await Promise.race([
      maxA.seen(/you are now Max-2/, 5000).then(() => "a"),
      maxB.seen(/you are now max-2/, 5000).then(() => "b"),
    ]);
    const loser = renamed === "a" ? "Max" : "max";
    const winner = renamed === "a" ? "max" : "Max";
    const expected = ["Ann", "Kim", `${loser}-2`, winner, "Sam"].sort(byName);
    for (const [peer, node] of [
      [sam, a],
      [kim, b],
    ] as const) {
      await until(() => node.server.hub.names().join() === expected.join()); // the other node's rename and roster
      peer.send("/users");
      await peer.next(`In #lobby (5): ${expected.join(", ")}`);
    }
    expect(maxA.log.all(/you are now/).length + maxB.log.all(/you are now/).length).toBe(1);
  });

  test("Redis down for longer than Bun's own 20 reconnection attempts: the node keeps trying and comes back", async () => {
    const { redis, a, sam, kim } = await samAndKim();
    await redis.stop();
    await sam.next(/can't be reached/);
    // Past the 20 attempts after which Bun's own reconnection would give up (100 ms apart here).
    await until(() => clusterOf(a).stats.reconnects >= 25, 10_000);
    await redis.start();
    await sam.next(/reachable again/, 5000);
    await kim.seen(/reachable again/, 5000);
    sam.send("still here");
    await kim.next("Sam: still here");
  });

  test("Redis that stops answering without closing (frozen): noticed within the node timeout, and chat resumes after", async () => {
    const { redis, sam, kim } = await samAndKim();
    redis.freeze(true);
    try {
      await sam.next(/-- The other servers of this chat can't be reached right now/, 5000);
      await kim.next(/can't be reached/, 5000);
    } finally {
      redis.freeze(false);
    }
    await sam.next(/reachable again/, 5000);
    await kim.next(/reachable again/, 5000);
    sam.send("after the freeze");
    await kim.next("Sam: after the freeze");
  });

  test("Redis frozen (SIGSTOP): both nodes notice within 2 s, a line said meanwhile is not lost silently, one reconnect each when it wakes", async () => {
    const redis = await testRedis();
    // The default node timeout (10 s): noticing the freeze must not wait for it.
    const [a, b] = await Promise.all(
      ["n1", "n2"].map((nodeId) =>
        testServer({ limits: { linesPerSecond: 0 }, cluster: { url: redis.url, nodeId, nodeTimeoutMs: 10_000 } }),
      ),
    );
    const sam = await a!.join("Sam");
    const kim = await b!.join("Kim");
    await sam.next(joined("Kim"));
    redis.freeze(true);
    try {
      sam.send("said in the freeze");
      await sam.seen(/-- The other servers of this chat can't be reached right now/, 4000);
      await kim.seen(/can't be reached/, 4000);
      await sam.seen(
        /^! "said in the freeze" may not have reached the other servers \(Redis stopped answering\); people on this server got it\.$/,
      );
    } finally {
      redis.freeze(false);
    }
    await sam.seen(/reachable again/, 4000);
    await kim.seen(/reachable again/, 4000);
    sam.send("after the freeze");
    await kim.next("Sam: after the freeze");
    await Bun.sleep(500); // a late copy of the frozen line, if Redis were to publish it on waking
    expect(kim.log.all("Sam: said in the freeze")).toEqual([]);
    for (const peer of [sam, kim]) {
      expect(peer.log.all(/can't be reached/)).toHaveLength(1);
      expect(peer.log.all(/reachable again/)).toHaveLength(1);
    }
    for (const node of [a!, b!]) expect(node.log.filter((l) => /back in touch/.test(l))).toHaveLength(1);
  }, 20_000);

  test("while Redis takes nothing (frozen, not yet timed out), what waits for it is bounded: envelopes past the bound are dropped and counted", async () => {
    const redis = await testRedis();
    const [a, b] = await Promise.all(
      ["n1", "n2"].map((nodeId) =>
        testServer({
          limits: { linesPerSecond: 0, maxOutboxBytes: 64 * 1024 * 1024 },
          // The pulse would take the frozen Redis for gone in 1 s: here it must stay "busy".
          cluster: {
            url: redis.url,
            nodeId,
            nodeTimeoutMs: 8000,
            retryMaxMs: 100,
            maxPendingBytes: 1024 * 1024,
            pulseTimeoutMs: 8000,
          },
        }),
      ),
    );
    const sam = await a!.join("Sam");
    const kim = await b!.join("Kim");
    await sam.next(joined("Kim"));
    redis.freeze(true);
    try {
      // 24 MB of lines that can't go anywhere but into the connection to Redis: more than the
      // kernel's buffers (a few MB) and the 1 MiB bound together.
      const line = "y".repeat(4000);
      for (let i = 0; i < 6000; i++) sam.send(`${i} ${line}`);
      await sam.ping();
      await sam.seen(/-- Messages are not reaching the other servers right now/);
      expect(clusterOf(a!).stats.unsent).toBeGreaterThan(0);
    } finally {
      redis.freeze(false);
    }
    // Redis works through what did go out; once it has, lines cross again, and the other node
    // has noticed the envelopes that never came.
    await sam.seen("-- Messages reach the other servers again.", 20_000);
    sam.send("after the flood");
    await kim.seen("Sam: after the flood", 10_000);
    expect(clusterOf(b!).stats.missed).toBeGreaterThan(0);
  }, 40_000);

  test("a private message to a user on a node that can't be reached is refused, not queued", async () => {
    const { redis, sam } = await samAndKim();
    await redis.stop();
    await sam.next(/can't be reached/);
    sam.send("/pm Kim hello?");
    await sam.next("! Kim is on another server, which can't be reached right now; not sent.");
  });

  test("a node killed with -9: one survivor announces each of its users leaving, once, then frees their names", async () => {
    const { redis, a, b, sam, kim } = await samAndKim();
    const { node: c, port } = await childNode(redis, "c");
    const zed = await Peer.join(port, "Zed");
    await sam.next(joined("Zed"));
    expect(a.server.hub.find("Zed")?.node).toBe("c");
    c.proc.kill("SIGKILL");
    await zed.closed();
    await sam.seen(left("Zed", "their server stopped answering"), 5000);
    await kim.seen(left("Zed", "their server stopped answering"), 5000);
    await b.join("Zed");
    await sam.seen(joined("Zed"));
    expect(sam.log.all(/Zed left/)).toHaveLength(1);
    expect(kim.log.all(/Zed left/)).toHaveLength(1);
    const announced = [a, b].filter((n) =>
      n.log.some((l) => /node c stopped answering;.*\(announced from here\)$/.test(l)),
    );
    expect(announced).toHaveLength(1);
    for (const node of [a, b]) expect(node.log.filter((l) => /node c stopped answering/.test(l))).toHaveLength(1);
    expect(await redis.command("SISMEMBER", "bunchat:nodes", "c")).toBe(0);
  });

  test("a node killed with -9 and started again at once under its id takes it over: no refusal, its users leave once as restarted", async () => {
    const { redis, sam, kim } = await samAndKim();
    // A node timeout of 30 s: waiting it out (as before) would fail this test.
    const first = await childNode(redis, "c", 30);
    const zed = await Peer.join(first.port, "Zed");
    await sam.next(joined("Zed"));
    first.node.proc.kill("SIGKILL");
    await zed.closed();
    const started = performance.now();
    const again = await childNode(redis, "c", 30);
    expect(performance.now() - started).toBeLessThan(5000);
    await again.node.out.seen(
      /node id c taken over from a previous process that stopped answering; its 1 user\(s\) left/,
    );
    await sam.seen(left("Zed", "their server restarted"), 5000);
    await kim.seen(left("Zed", "their server restarted"), 5000);
    const back = await Peer.join(again.port, "Zed"); // the name was freed with the old process
    await sam.next(joined("Zed"));
    back.send("hello again");
    await kim.next("Zed: hello again");
    expect(sam.log.all(/Zed left/)).toHaveLength(1);
    expect(kim.log.all(/Zed left/)).toHaveLength(1);
    back.close();
  });

  test("a frozen node is cut off by Redis at its pub/sub buffer limit, then catches up and chats again", async () => {
    const {
      redis,
      nodes: [a],
    } = await nodes(1);
    const { node: c, port } = await childNode(redis, "c", 30);
    const zed = await Peer.join(port, "Zed");
    const sam = await a!.join("Sam");
    await zed.next(joined("Sam"));
    await redis.command("CONFIG", "SET", "client-output-buffer-limit", "pubsub 32kb 0 0");
    c.proc.kill("SIGSTOP");
    const line = "x".repeat(200);
    for (let i = 0; i < 400; i++) sam.send(`${i} ${line}`); // 80 KB for a subscriber that reads nothing
    await sam.ping();
    await redis.log.seen(/scheduled to be closed ASAP for overcoming of output buffer limits/);
    c.proc.kill("SIGCONT");
    await zed.seen(/can't be reached/, 10_000);
    await zed.seen(/reachable again/, 10_000);
    // Node c knows who is where again once its catch-up is applied: Zed's /users says so (bounded).
    for (let i = 0; i < 50 && !zed.log.lines.some((l) => /^In #lobby \(\d+\): .*\bSam\b/.test(l) || /^Online \(\d+\): .*\bSam\b/.test(l)); i++) {
      zed.send("/users");
      await Bun.sleep(100);
    }
    sam.send("after the freeze");
    await zed.seen("Sam: after the freeze", 10_000); // behind the catch-up of 400 lines, on a busy machine
    await c.out.seen(/lost Redis/);
  }, 40_000); // its waits alone may add up to more than the default 5 s on a loaded machine

  test("a name taken while its node was cut off stays with the new holder; the returning user becomes name-2", async () => {
    const {
      redis,
      nodes: [a],
    } = await nodes(1);
    const { node: c, port } = await childNode(redis, "c");
    const sam = await Peer.join(port, "Sam");
    const kim = await a!.join("Kim");
    await sam.next(joined("Kim"));
    c.proc.kill("SIGSTOP"); // longer than its node timeout: taken for dead
    await kim.seen(left("Sam", "their server stopped answering"), 5000);
    const newSam = await a!.join("Sam");
    c.proc.kill("SIGCONT");
    await sam.seen(/someone there took the name Sam; you are now Sam-2/, 5000);
    await kim.seen(joined("Sam-2"), 5000);
    sam.send("I am back");
    await newSam.seen("Sam-2: I am back");
    expect(a!.server.hub.find("Sam")?.node).toBeUndefined(); // still ours, here
  }, 20_000);
});

describe("envelopes", () => {
  test("a repeated envelope is dropped and counted; a gap is counted and logged", async () => {
    const {
      nodes: [a],
    } = await nodes(1);
    const cluster = clusterOf(a!);
    const kim = await a!.join("Kim");
    const envelope = (s: number, text: string): Envelope => ({
      n: "elsewhere",
      b: "boot1",
      s,
      e: [
        ...(s === 1 ? [{ type: "join" as const, room: "#lobby", name: "Zed", ts: 0 }] : []),
        { type: "public" as const, id: "2", room: "#lobby", from: "Zed", text, ts: 0 },
      ],
    });
    cluster.apply(envelope(1, "one"));
    cluster.apply(envelope(1, "one"));
    cluster.apply(envelope(5, "five"));
    await kim.next("Zed: one");
    await kim.next("Zed: five");
    expect(kim.log.all("Zed: one")).toHaveLength(1);
    expect(cluster.stats).toMatchObject({ duplicates: 1, missed: 3 });
    expect(a!.log.some((l) => /3 envelope\(s\) from elsewhere never arrived/.test(l))).toBe(true);
  });
});

function clusterOf(node: TestServer): Cluster {
  const link = node.server.hub.bus;
  if (!(link instanceof Cluster)) throw new Error("not a cluster node");
  return link;
}

/** A node on a hub of its own (the default settings), joined: for tests that need no server. */
async function startNode(options: ClusterOptions): Promise<Cluster> {
  const cluster = await Cluster.connect(options);
  await cluster.join(new Hub({ clustered: true, bus: cluster }));
  return cluster;
}
