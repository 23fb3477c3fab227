// Files shared in rooms (issue 33) through real requests: a bot's curl-style upload, a user's by
// the ticket /upload gives, the line everyone sees, the file served only to readers in its room
// (as the type its bytes say, never a page), the limits (size before reading, quota, rate, guests),
// deletion with its line, and what survives a restart.

import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loggedIn, memoryStore } from "../helpers/accounts.ts";
import { testServer, type TestServerOptions } from "../helpers/server.ts";
import { until } from "../helpers/until.ts";
import { Peer } from "../helpers/peer.ts";
import { buildServer } from "../../src/app.ts";
import { DEFAULT_RETENTION } from "../../src/store/history.ts";
import { makeToken } from "../helpers/web.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "bunchat-files-"));
  dirs.push(dir);
  return dir;
};

/** Sends `request` on a new connection and reads until the server closes it (bounded: 5 s). */
async function rawRequest(port: number, request: string): Promise<string> {
  let text = "";
  const closed = Promise.withResolvers<void>();
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_s, chunk) {
        text += chunk.toString();
      },
      close() {
        closed.resolve();
      },
    },
  });
  socket.write(request);
  await Promise.race([closed.promise, Bun.sleep(5000)]);
  socket.end();
  return text;
}

/** The smallest PNG: a 1×1 transparent pixel. */
export const PNG = Uint8Array.from(Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=", "base64"));

async function withFiles(options: TestServerOptions = {}) {
  const dir = tempDir();
  const file = memoryStore();
  const t = await testServer({ http: true, irc: true, history: file.history, accounts: file.accounts, tokens: file.tokens, admins: ["Sam"], limits: { linesPerSecond: 0 }, files: { dir }, ...options });
  const base = `http://127.0.0.1:${t.server.httpPort}`;
  const admin = await loggedIn(t, "Sam");
  const token = await makeToken(admin, "ci");
  const sam = await loggedIn(t, "Jo", "json"); // a registered user of the page's protocol
  const upload = (room: string, body: FormData, auth = token) => fetch(`${base}/api/rooms/${room}/files`, { method: "POST", headers: { authorization: `Bearer ${auth}` }, body });
  const form = (bytes: Uint8Array | string, name: string, text?: string) => {
    const f = new FormData();
    f.append("file", new Blob([typeof bytes === "string" ? bytes : Buffer.from(bytes)]), name);
    if (text !== undefined) f.append("text", text);
    return f;
  };
  return { t, dir, base, sam, admin, token, upload, form };
}

describe("files", () => {
  test("a bot's upload (multipart, field file): 201 with its link; the room sees a line with name and size; a reader in the room gets it, as a download", async () => {
    const { t, base, sam, token, upload, form } = await withFiles();
    const nc = await t.join("Cy");
    const irc = await t.irc("kim");
    irc.send("JOIN #lobby");
    await irc.seen(/ 366 kim #lobby /);
    const key = (await sam.event("file-key")).key; // after the welcome: the page's links carry it
    const res = await upload("lobby", form("line 1\nline 2\n", "../../etc/build\u202e.log", "build 412 failed"));
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body).toMatchObject({ room: "#lobby", from: "ci", text: "build 412 failed", file: { name: "build.log", size: 14, type: "application/octet-stream" } });
    const line = await sam.event("public", (e) => e.file !== undefined);
    expect(line).toMatchObject({ from: "ci", bot: true, text: "build 412 failed", file: { id: body.file.id, name: "build.log", size: 14 } });
    await nc.seen(`ci (bot): build 412 failed [file: build.log, 14 B: /file ${body.file.id} for its link]`);
    await irc.seen(`:ci!ci@bunchat PRIVMSG #lobby :build 412 failed [file: build.log, 14 B: /file ${body.file.id} for its link]`);
    // The page's key reads it; so does the link /file gives nc.
    const got = await fetch(`${base}${body.file.url}?k=${key}`);
    expect(got.status).toBe(200);
    expect(await got.text()).toBe("line 1\nline 2\n");
    expect(got.headers.get("content-type")).toBe("application/octet-stream");
    expect(got.headers.get("content-disposition")).toStartWith('attachment; filename="build.log"');
    expect(got.headers.get("x-content-type-options")).toBe("nosniff");
    expect(got.headers.get("content-security-policy")).toBe("default-src 'none'; sandbox");
    // The API reads it back with its line.
    const page = await (await fetch(`${base}/api/rooms/lobby/messages?limit=1`, { headers: { authorization: `Bearer ${token}` } })).json();
    expect(page.messages[0]).toMatchObject({ text: "build 412 failed", file: { id: body.file.id, name: "build.log", url: body.file.url } });
    nc.send(`/file ${body.file.id}`);
    const notice = await nc.seen(/^-- build\.log \(14 B, #lobby\): http:\/\/127\.0\.0\.1:\d+\/files\//);
    const link = notice.slice(notice.indexOf("http://"));
    expect(await (await fetch(link)).text()).toBe("line 1\nline 2\n");
  });

  test("only readers in the file's room: no key, a forged or another's key, someone who left the room, a guessed id: refused", async () => {
    const { t, base, sam, upload, form } = await withFiles();
    sam.send("/join #ops");
    await sam.event("room", (e) => e.room === "#ops");
    const body = await (await upload("ops", form("secret plans", "plans.txt"))).json();
    const url = `${base}${body.file.url}`;
    const ana = await t.join("Ana", "json");
    const anaKey = (await ana.event("file-key")).key;
    expect((await fetch(url)).status).toBe(403); // no key
    expect((await fetch(`${url}?k=${anaKey}`)).status).toBe(404); // not in #ops
    expect((await fetch(`${url}?k=${anaKey.slice(0, -2)}xx`)).status).toBe(403); // forged
    ana.send("/join #ops");
    await ana.event("room", (e) => e.room === "#ops");
    expect(await (await fetch(`${url}?k=${anaKey}`)).text()).toBe("secret plans");
    ana.send("/part #ops");
    await ana.event("parted");
    expect((await fetch(`${url}?k=${anaKey}`)).status).toBe(404); // left: refused at once
    expect((await fetch(`${base}/files/AAAAAAAAAAAAAAAAAAAAAA/x?k=${anaKey}`)).status).toBe(404);
  });

  test("the type is the bytes', never the name's: a PNG is shown inline, HTML named .png and SVG are downloads", async () => {
    const { base, sam, upload, form } = await withFiles();
    const key = (await sam.event("file-key")).key;
    const png = await (await upload("lobby", form(PNG, "shot.html"))).json();
    expect(png.file.type).toBe("image/png");
    const shown = await fetch(`${base}${png.file.url}?k=${key}`);
    expect(shown.headers.get("content-type")).toBe("image/png");
    expect(shown.headers.get("content-disposition")).toStartWith("inline;");
    for (const [bytes, name] of [["<html><script>alert(1)</script>", "evil.png"], ['<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "x.svg"], [Buffer.concat([Buffer.from(PNG.subarray(0, 4)), Buffer.from("<html>")]), "polyglot.png"]] as const) {
      const up = await (await upload("lobby", form(bytes, name))).json();
      expect(up.file.type).toBe("application/octet-stream");
      const res = await fetch(`${base}${up.file.url}?k=${key}`);
      expect(res.headers.get("content-type")).toBe("application/octet-stream");
      expect(res.headers.get("content-disposition")).toStartWith("attachment;");
    }
  });

  test("a user's upload: /upload gives a ticket for one upload to their room; used once; a guest may not unless allowed; nc is told the curl command", async () => {
    const { t, sam, upload, form } = await withFiles();
    sam.send("/upload");
    const ticket = await sam.event("upload");
    expect(ticket).toMatchObject({ room: "#lobby", path: "/api/rooms/lobby/files", maxBytes: 10 * 1024 * 1024 });
    const res = await upload("lobby", form("notes", "notes.txt"), ticket.token);
    expect(res.status).toBe(201);
    expect((await sam.event("public", (e) => e.file !== undefined)).from).toBe("Jo");
    expect((await upload("lobby", form("again", "again.txt"), ticket.token)).status).toBe(401); // used
    sam.send("/upload");
    const other = await sam.event("upload", (e) => e.token !== ticket.token);
    expect((await upload("dev", form("x", "x.txt"), other.token)).status).toBe(403); // another room's
    const guest = await t.join("Gus");
    guest.send("/upload");
    await guest.seen(/^! Only registered names share files here/);
    const nc = await loggedIn(t, "Nia");
    nc.send("/upload");
    const line = await nc.seen(/^-- You may share one file/);
    expect(line).toMatch(new RegExp(`curl -F file=@<path> -H 'Authorization: Bearer bunchat-upload_\\S+' http://127\\.0\\.0\\.1:${t.server.httpPort}/api/rooms/lobby/files$`));
  });

  test("limits: a body over the size is refused before it is read; quota; rate; not multipart; no file field", async () => {
    const { t, token, base, upload, form } = await withFiles({ files: { dir: tempDir(), maxFileBytes: 1000, quotaBytes: 1500, perMinute: 3 } });
    // A declared 10 GB: 413 at once, and the connection closed without reading the body.
    const huge = await rawRequest(t.server.httpPort!, `POST /api/rooms/lobby/files HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${token}\r\ncontent-type: multipart/form-data; boundary=x\r\ncontent-length: 10000000000\r\n\r\n--x\r\n`);
    expect(huge).toStartWith("HTTP/1.1 413 ");
    expect(huge).toContain("connection: close");
    expect((await upload("lobby", form("y".repeat(1001), "big.txt"))).status).toBe(413);
    expect((await upload("lobby", form("z".repeat(900), "a.txt"))).status).toBe(201);
    const over = await upload("lobby", form("z".repeat(900), "b.txt"));
    expect(over.status).toBe(413);
    expect((await over.json()).message).toContain("over your 1.5 KiB");
    expect((await upload("lobby", form("z", "c.txt"))).status).toBe(429); // the fourth this minute
    const plain = await fetch(`${base}/api/rooms/lobby/files`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "text/plain" }, body: "hi" });
    expect(plain.status).toBe(400);
  });

  test("an upload cut off halfway leaves nothing on disk, and neither does one that stops sending (408); the server goes on", async () => {
    const { t, dir, token, upload, form } = await withFiles({ limits: { linesPerSecond: 0, httpRequestMs: 1000 }, sweepMs: 100 });
    const tmp = join(dir, "tmp");
    const body = `--x\r\ncontent-disposition: form-data; name="file"; filename="half.bin"\r\n\r\n${"h".repeat(200_000)}`;
    const head = `POST /api/rooms/lobby/files HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${token}\r\ncontent-type: multipart/form-data; boundary=x\r\ncontent-length: 400000\r\n\r\n`;
    const socket = await Bun.connect({ hostname: "127.0.0.1", port: t.server.httpPort!, socket: { data() {} } });
    socket.write(head + body);
    await until(() => readdirSync(tmp).length === 1); // being written
    socket.terminate();
    await until(() => readdirSync(tmp).length === 0);
    const stalled = await rawRequest(t.server.httpPort!, head + body); // then silence: dropped after the request deadline
    expect(stalled).toStartWith("HTTP/1.1 408 ");
    expect(readdirSync(tmp)).toEqual([]);
    expect((await upload("lobby", form("still fine", "ok.txt"))).status).toBe(201);
  });

  test("kept across a restart: the record in the history file, the bytes in the directory, the link key's secret", async () => {
    const dir = tempDir();
    const start = () =>
      buildServer({ host: "127.0.0.1", port: 0, httpPort: 0, log: () => {}, sqlite: { path: join(dir, "h.sqlite"), retention: DEFAULT_RETENTION }, files: { dir: join(dir, "files"), guests: true }, limits: { linesPerSecond: 0 } });
    const first = await start();
    const gus = await Peer.join(first.port, "Gus", "json");
    const oldKey = (await gus.event("file-key")).key;
    gus.send("/upload");
    const ticket = await gus.event("upload");
    const form = new FormData();
    form.append("file", new Blob(["kept\n"]), "kept.txt");
    const body = await (await fetch(`http://127.0.0.1:${first.httpPort}${ticket.path}`, { method: "POST", headers: { authorization: `Bearer ${ticket.token}` }, body: form })).json();
    gus.close();
    await first.shutdown();
    first.hub.history!.close(); // the file is let go (as the server's exit does)
    const again = await start();
    try {
      const ida = await Peer.join(again.port, "Ida", "json");
      const key = (await ida.event("file-key")).key;
      const replayed = await ida.event("history");
      expect(replayed.events.at(-1)).toMatchObject({ from: "Gus", file: { id: body.file.id, name: "kept.txt" } });
      expect(await (await fetch(`http://127.0.0.1:${again.httpPort}${body.file.url}?k=${key}`)).text()).toBe("kept\n");
      expect(again.hub.files!.readKey(oldKey, Date.now())).toMatchObject({ name: "Gus" }); // the secret is the file's, not the run's
      ida.close();
    } finally {
      await again.shutdown();
      again.hub.history!.close();
    }
  });

  test("deleting the line deletes the file: its link goes, and its bytes unless another line shares the same", async () => {
    const { dir, base, sam, admin, upload, form } = await withFiles();
    const key = (await sam.event("file-key")).key;
    const first = await (await upload("lobby", form("same bytes", "one.txt"))).json();
    const second = await (await upload("lobby", form("same bytes", "two.txt"))).json();
    const blobs = () => readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => /[0-9a-f]{64}$/.test(f));
    expect(blobs()).toHaveLength(1); // kept once
    admin.send(`/delete ${first.id}`); // a server admin's: the bot's line
    await sam.event("delete", (e) => e.id === first.id);
    expect((await fetch(`${base}${first.file.url}?k=${key}`)).status).toBe(404);
    expect(await (await fetch(`${base}${second.file.url}?k=${key}`)).text()).toBe("same bytes");
    expect(blobs()).toHaveLength(1);
    admin.send(`/delete ${second.id}`);
    await sam.event("delete", (e) => e.id === second.id);
    await Promise.resolve();
    expect(blobs()).toHaveLength(0);
    expect(existsSync(join(dir, "tmp"))).toBe(true);
  });
});
