// The web door's WebSocket through real sockets: JSON from the first line, the same chat as nc
// users, the page and its headers, and every limit: Origin, message size, line size, flood, and a
// browser that stops reading dropped like any slow reader.

import { describe, expect, test } from "bun:test";
import { testServer } from "../helpers/server.ts";
import { until } from "../helpers/until.ts";
import { WsPeer } from "../helpers/web.ts";

const web = (options: Parameters<typeof testServer>[0] = {}) => testServer({ http: true, ...options });

describe("web door", () => {
  test("the page: served from the binary with a strict CSP, its script and style by content hash, gzipped when asked", async () => {
    const t = await web();
    const base = `http://127.0.0.1:${t.server.httpPort}`;
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    for (const part of ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) expect(csp).toContain(part);
    expect(csp).not.toContain("unsafe");
    const html = await res.text();
    const script = /<script type="module" src="(\/app\.[a-z0-9]+\.js)">/.exec(html)?.[1];
    const style = /<link rel="stylesheet" href="(\/app\.[a-z0-9]+\.css)">/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect(style).toBeDefined();
    expect(html).not.toMatch(/<script>|<script type="module">|\son[a-z]+="/); // nothing inline to run
    const js = await fetch(`${base}${script}`, { headers: { "accept-encoding": "gzip" } });
    expect(js.headers.get("content-type")).toContain("javascript");
    expect(js.headers.get("cache-control")).toContain("immutable");
    expect((await js.text()).length).toBeGreaterThan(1000);
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
    expect((await fetch(`${base}/ws`)).status).toBe(426); // not a WebSocket request
  });

  test("with --tls-cert the web door speaks HTTPS (the same certificate as the chat port)", async () => {
    const t = await web({ tls: true });
    const res = await fetch(`https://localhost:${t.server.httpPort}/healthz`, { tls: { ca: t.peerTls!.ca } });
    expect(res.status).toBe(200);
    await expect(fetch(`http://127.0.0.1:${t.server.httpPort}/healthz`)).rejects.toThrow();
  });

  test("a WebSocket user: JSON from the first line, then the same chat as nc users, both ways", async () => {
    const t = await web();
    const sam = await t.join("Sam");
    const p = await WsPeer.connect(t.server.httpPort!, "Ana");
    expect((await p.event("hello")).proto).toBe(1);
    await p.event("ask-name");
    p.send("Ana");
    const welcome = await p.event("welcome");
    expect(welcome.users).toEqual(["Ana", "Sam"]);
    await sam.seen("--> Ana joined the chat");
    expect(t.log.some((l) => /^\+ Ana joined from 127\.0\.0\.1:\d+ \(web\), 2 online$/.test(l))).toBe(true); // the door, as IRC's
    p.send("hello from a browser");
    await sam.seen("Ana: hello from a browser");
    sam.send("hi Ana");
    expect((await p.event("public")).text).toBe("hi Ana");
    p.send("first\nsecond"); // a message may hold several lines
    await sam.seen("Ana: second");
    p.send("/pm Sam psst");
    await sam.seen("[pm from Ana] psst");
    p.send("quit");
    await p.event("bye");
    await p.closed();
    await sam.seen(/^<-- Ana left the chat \(quit\)/);
  });

  test("the per-address cap counts WebSockets with every other connection: one too many is refused, in JSON", async () => {
    const t = await web({ limits: { maxPerIp: 2 } });
    await t.join("Sam");
    await WsPeer.join(t.server.httpPort!, "Ana");
    const third = await WsPeer.connect(t.server.httpPort!, "third");
    expect((await third.event("error")).code).toBe("too-many-connections");
    await third.closed();
  });

  test("a page of another site can't open the WebSocket (Origin); the same site can", async () => {
    const t = await web();
    const port = t.server.httpPort!;
    await expect(WsPeer.connect(port, "evil", "https://evil.example")).rejects.toThrow();
    const same = await WsPeer.connect(port, "same", `http://127.0.0.1:${port}`);
    await same.event("ask-name");
  });

  test("limits hold: a line over 4096 bytes gets line-too-long, a message over the frame limit closes, flood control applies", async () => {
    const t = await web({ limits: { burstLines: 3, linesPerSecond: 1 } });
    const p = await WsPeer.join(t.server.httpPort!, "Ana");
    p.send("x".repeat(5000));
    expect((await p.event("error")).code).toBe("line-too-long");
    for (let i = 0; i < 6; i++) p.send(`line ${i}`);
    expect((await p.event("error")).code).toBe("slow-down");
    const big = await WsPeer.join(t.server.httpPort!, "Big");
    big.send("y".repeat(100_000));
    await big.closed();
  });

  test("a browser that stops reading is dropped like any slow reader; the others are told once", async () => {
    const t = await web({ limits: { linesPerSecond: 0, maxOutboxBytes: 256 * 1024, closeGraceMs: 500 }, sweepMs: 100 });
    const sam = await t.join("Sam");
    // A WebSocket that never reads: the handshake by hand on a raw socket, then nothing.
    const port = t.server.httpPort!;
    let upgraded!: () => void;
    const ready = new Promise<void>((resolve) => (upgraded = resolve));
    const raw = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data(socket, chunk) {
          if (chunk.includes(0x0a)) upgraded();
          socket.pause(); // from here on nothing is read: the kernel's buffers fill
        },
      },
    });
    raw.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await ready;
    // Its name, as a masked client frame ("Lazy\n").
    const payload = new TextEncoder().encode("Lazy");
    const mask = [1, 2, 3, 4];
    raw.write(new Uint8Array([0x81, 0x80 | payload.length, ...mask, ...payload.map((b, i) => b ^ mask[i % 4]!)]));
    await sam.seen("--> Lazy joined the chat");
    const line = "z".repeat(4000);
    // Up to 40 MB, in steps, until it is dropped: past the kernel's buffers (several MB on loopback) and the outbox.
    for (let i = 0; i < 10_000 && !sam.log.lines.some((l) => l.startsWith("<-- Lazy left")); i++) {
      sam.send(line);
      if (i % 500 === 499) await sam.ping();
    }
    await sam.seen(/^<-- Lazy left the chat \(dropped: not reading\)/, 10_000);
    await sam.ping();
    expect(sam.log.all(/^<-- Lazy left/).length).toBe(1);
    await until(() => t.server.connections === 1, 3000); // closed once its last words' grace is over
    raw.terminate();
  }, 30_000);
});
