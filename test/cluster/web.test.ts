// The HTTP API and the web door in a cluster: a token made on one node works on every other (kept
// in Redis), a bot's line posted on one node reaches users of another and the shared history, and
// /healthz says 503 while a node has lost Redis.

import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loggedIn } from "../helpers/accounts.ts";
import { testRedis } from "../helpers/redis.ts";
import { testNode } from "../helpers/server.ts";
import { until } from "../helpers/until.ts";
import { makeToken, WsPeer } from "../helpers/web.ts";

describe("the HTTP API in a cluster", () => {
  test("files: uploaded on one node, shared in a directory both use and known through Redis; read through either node by a reader in the room; deleted with its line everywhere", async () => {
    const redis = await testRedis();
    const dir = mkdtempSync(join(tmpdir(), "bunchat-cluster-files-"));
    try {
      const a = await testNode(redis.url, "a", { http: true, admins: ["Sam"], files: { dir } });
      const b = await testNode(redis.url, "b", { http: true, files: { dir } });
      const sam = await loggedIn(a, "Sam");
      const token = await makeToken(sam, "ci");
      const kim = await a.join("Kim", "json");
      const key = (await kim.event("file-key")).key;
      await until(() => b.server.hub.find("Kim") !== undefined);
      const form = new FormData();
      form.append("file", new Blob(["built on b\n"]), "b.log");
      const res = await fetch(`http://127.0.0.1:${b.server.httpPort}/api/rooms/lobby/files`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
      expect(res.status).toBe(201);
      const body = await res.json();
      expect((await kim.event("public", (e) => e.file !== undefined)).file).toMatchObject({ id: body.file.id, name: "b.log" });
      for (const node of [a, b]) {
        expect(await (await fetch(`http://127.0.0.1:${node.server.httpPort}${body.file.url}?k=${key}`)).text()).toBe("built on b\n");
      }
      sam.send(`/delete ${body.id}`);
      await kim.event("delete");
      await until(async () => (await fetch(`http://127.0.0.1:${b.server.httpPort}${body.file.url}?k=${key}`)).status === 404);
      await until(() => readdirSync(dir, { recursive: true, encoding: "utf8" }).every((f) => !/[0-9a-f]{64}$/.test(f)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a token made on one node posts on another; the line reaches both nodes' users and Redis history", async () => {
    const redis = await testRedis();
    const a = await testNode(redis.url, "a", { http: true, admins: ["Sam"] });
    const b = await testNode(redis.url, "b", { http: true });
    const sam = await loggedIn(a, "Sam");
    const token = await makeToken(sam, "deploy");
    const kim = await WsPeer.join(b.server.httpPort!, "Kim");
    await until(() => a.server.hub.find("Kim") !== undefined);
    const res = await fetch(`http://127.0.0.1:${b.server.httpPort}/api/rooms/lobby/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ text: "built on b" }),
    });
    expect(res.status).toBe(201);
    await sam.seen("deploy (bot): built on b"); // on node a
    const line = await kim.event("public"); // on node b
    expect(line).toMatchObject({ from: "deploy", text: "built on b", bot: true });
    const read = await fetch(`http://127.0.0.1:${a.server.httpPort}/api/rooms/lobby/messages`, { headers: { authorization: `Bearer ${token}` } });
    const body = await read.json();
    expect(body.messages.at(-1)).toMatchObject({ from: "deploy", text: "built on b", bot: true });
    expect(typeof body.messages.at(-1).id).toBe("string"); // a stream id: what `before` pages back from
    // The bot's name is held on every node.
    const p = await b.connect();
    p.send("deploy");
    await p.seen(/^! deploy is a bot's name/);
  });

  test("a page on one node signing in to a registered user of another is piped there: another device of it, in its rooms", async () => {
    const redis = await testRedis();
    const a = await testNode(redis.url, "a", { http: true });
    const b = await testNode(redis.url, "b", { http: true });
    const home = await loggedIn(a, "Sam", "json");
    await until(() => b.server.hub.find("Sam")?.account !== undefined);
    const page = await WsPeer.connect(b.server.httpPort!, "Sam's page on b");
    page.send("Sam");
    await page.event("ask-login");
    page.send("correct-horse");
    expect(await page.event("welcome")).toMatchObject({ name: "Sam", rooms: ["#lobby"] });
    page.send("from the page, through b");
    await home.event("public", (e) => e.text === "from the page, through b" && e.from === "Sam");
    expect(a.server.hub.find("Sam")?.devices.map((d) => d.door)).toEqual(["tcp", "web"]);
    // The page was given a session (by a, through the pipe): reloaded on b, it signs in with it, no password.
    const { token } = await page.event("session");
    page.close();
    await until(() => a.server.hub.find("Sam")?.devices.length === 1);
    const reloaded = await WsPeer.connect(b.server.httpPort!, "Sam's page on b, reloaded");
    await reloaded.event("ask-name");
    reloaded.send(`/resume ${token}`);
    expect(await reloaded.event("welcome")).toMatchObject({ name: "Sam" });
    expect(a.server.hub.find("Sam")?.devices).toHaveLength(2);
  });

  test("/healthz: 503 while the node has lost Redis, 200 once it is back", async () => {
    const redis = await testRedis();
    const a = await testNode(redis.url, "a", { http: true });
    const health = async () => (await fetch(`http://127.0.0.1:${a.server.httpPort}/healthz`)).status;
    expect(await health()).toBe(200);
    await redis.stop();
    await until(async () => (await health()) === 503, 5000);
    await redis.start();
    await until(async () => (await health()) === 200, 5000);
  });
});
