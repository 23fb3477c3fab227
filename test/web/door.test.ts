// The web door's WebSocket through real sockets: JSON from the first line, the same chat as nc
// users, the page and its headers, and every limit: Origin, message size, line size, flood, and a
// browser that stops reading dropped like any slow reader.

import { describe, expect, test } from "bun:test";
import { testServer } from "../helpers/server.ts";
import { until } from "../helpers/until.ts";
import { RawWebSocket, WsPeer } from "../helpers/web.ts";
import { buildServer } from "../../src/app.ts";
import { fakeClock } from "../helpers/clock.ts";

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

describe("web door: every connection, and only this server's names", () => {
  /** A raw connection to the web port that sends nothing (or `first`). */
  const raw = (port: number, first?: string) =>
    Bun.connect({ hostname: "127.0.0.1", port, socket: { open: (s) => void (first && s.write(first)), data() {} } });

  test("plain HTTP connections count against the per-address cap like any other; refused ones get 503 and are summed up in the log", async () => {
    const t = await web({ limits: { maxPerIp: 2 } });
    const port = t.server.httpPort!;
    const idle = [await raw(port), await raw(port)]; // two unfinished requests: the address's cap
    await until(() => t.server.connections === 2); // not sessions, but counted…
    const refused = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(refused.status).toBe(503); // …but they count
    expect(await refused.text()).toContain("Too many connections from 127.0.0.1 (the limit is 2)");
    // A WebSocket turned away is told why in its own terms: JSON, then a close.
    const ws = await WsPeer.connect(port, "third");
    expect((await ws.event("error")).code).toBe("too-many-connections");
    await ws.closed();
    expect(t.log.filter((l) => /^! refused 127\.0\.0\.1:\d+ \(web\): too-many-connections$/.test(l)).length).toBeGreaterThan(0);
    for (const s of idle) s.end();
    await until(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200);
  });

  test("a request that does not come whole in time is refused (408) and closed; an idle kept-alive connection is closed", async () => {
    const clock = fakeClock();
    const t = await web({ clock }); // as shipped: 10 s for a request
    const port = t.server.httpPort!;
    let answer = "";
    let closed = false;
    const slow = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: { data: (_s, c) => void (answer += new TextDecoder().decode(c)), close: () => void (closed = true) },
    });
    slow.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"); // never the blank line
    let idleClosed = false;
    await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {}, close: () => void (idleClosed = true) } });
    await until(() => t.server.connections === 2);
    clock.advance(9000);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200); // a round trip: what the sweep did is seen by now
    expect(closed || idleClosed).toBe(false); // not yet
    clock.advance(2000);
    await until(() => closed && idleClosed, 3000);
    expect(answer).toStartWith("HTTP/1.1 408 ");
  });

  test("DNS rebinding: a Host that is not this server's is refused with the flag to set; --web-host names, IP addresses and localhost are served", async () => {
    const t = await web({ webHosts: ["chat.example.org"] });
    const port = t.server.httpPort!;
    const as = (host: string, path = "/healthz", headers: Record<string, string> = {}) =>
      new Promise<string>((resolve) => {
        let text = "";
        void Bun.connect({
          hostname: "127.0.0.1",
          port,
          socket: {
            open: (s) => void s.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`),
            data: (_s, c) => void (text += new TextDecoder().decode(c)),
            close: () => resolve(text),
          },
        });
      });
    const evil = await as(`evil.example:${port}`);
    expect(evil).toStartWith("HTTP/1.1 421 ");
    expect(evil).toContain("start it with --web-host evil.example");
    // The WebSocket of a rebound page: Origin and Host agree, and both are the attacker's name.
    const rebound = await as(`evil.example:${port}`, "/ws", {
      Origin: `http://evil.example:${port}`,
      Upgrade: "websocket",
      Connection: "Upgrade",
      "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
      "Sec-WebSocket-Version": "13",
    });
    expect(rebound).toStartWith("HTTP/1.1 421 ");
    for (const host of [`chat.example.org:${port}`, "CHAT.example.org", `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      expect(await as(host)).toStartWith("HTTP/1.1 200 ");
    }
    // The scheme counts too: a page served over https is not this plain-HTTP door's.
    await expect(WsPeer.connect(port, "https page", `https://127.0.0.1:${port}`)).rejects.toThrow();
    expect(t.log.join("\n")).not.toContain("evil.example");
  });

  test("a second server can't take the web port of a running one (it is refused, not shared)", async () => {
    const t = await web();
    await expect(buildServer({ host: "127.0.0.1", port: 0, httpPort: t.server.httpPort!, log: () => {} })).rejects.toThrow();
  });

  test("a WebSocket message in fragments: its lines go as they come (nothing is held for the rest); a run with no newline is bounded as on any door", async () => {
    const t = await web({ limits: { linesPerSecond: 0 } });
    const sam = await t.join("Sam");
    const ws = await RawWebSocket.open(t.server.httpPort!);
    ws.frame(1, "Frag\n"); // its name
    await sam.seen("--> Frag joined the chat");
    ws.frame(1, "first line\nsecond ", false); // a message begun…
    await sam.seen("Frag: first line"); // …whose first line is said before it ends
    ws.frame(9, "are you there?"); // a ping between fragments is answered
    await until(() => ws.text().includes("are you there?"));
    ws.frame(0, "line", true); // …and ended
    await sam.seen("Frag: second line");
    ws.frame(2, "z".repeat(20_000), false); // a run past 16 KiB without a newline (not JSON: a message's long line starts with {): closed, as on the TCP port
    await sam.seen(/^<-- Frag left the chat \(dropped: flooding\)/);
    await until(() => ws.closed);
  });

  test("WebSocket protocol errors close with their code: an unmasked frame (1002), a message over 129 KiB (1009)", async () => {
    const t = await web();
    const closeCode = (raw: RawWebSocket) => {
      const bytes = Buffer.concat(raw.received);
      const at = bytes.lastIndexOf(0x88); // a close frame: FIN + opcode 8
      return at >= 0 ? (bytes[at + 2]! << 8) | bytes[at + 3]! : undefined;
    };
    const unmasked = await RawWebSocket.open(t.server.httpPort!);
    unmasked.frame(1, "hi\n", true, false);
    await until(() => unmasked.closed);
    expect(closeCode(unmasked)).toBe(1002);
    const big = await RawWebSocket.open(t.server.httpPort!);
    for (let i = 0; i < 10; i++) big.frame(i === 0 ? 1 : 0, `${"y".repeat(15_000)}\n`, false);
    await until(() => big.closed);
    expect(closeCode(big)).toBe(1009);
  });
});
