// The web door's own HTTP/1.1 and WebSocket framing, as units: request heads read and refused,
// client frames read at every split of the byte stream, and a session's bytes framed correctly
// whatever part of a frame the socket takes at a time.

import { describe, expect, test } from "bun:test";
import { headEnd, parseHead } from "../../src/doors/web/http.ts";
import { acceptKey, FrameReader, FrameWriter, OPCODE } from "../../src/doors/web/websocket.ts";

const utf8 = new TextEncoder();

describe("HTTP request heads", () => {
  test("a head ends at its blank line, CRLF or LF", () => {
    expect(headEnd(utf8.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\nbody"))).toBe(27);
    expect(headEnd(utf8.encode("GET / HTTP/1.1\nHost: x\n\nbody"))).toBe(24);
    expect(headEnd(utf8.encode("GET / HTTP/1.1\r\nHost: x\r\n"))).toBe(-1);
  });

  test.each([
    ["GET /ws?x=1 HTTP/1.1\r\nHost: a:1\r\nUpgrade: websocket\r\n\r\n", { method: "GET", target: "/ws?x=1", http10: false }],
    ["HEAD / HTTP/1.0\r\n\r\n", { method: "HEAD", target: "/", http10: true }],
  ])("read: %p", (text, expected) => {
    const head = parseHead(utf8.encode(text));
    expect(head).toMatchObject(expected);
  });

  test.each([
    ["GET / HTTP/2\r\n\r\n", 400],
    ["GET http://evil/ HTTP/1.1\r\nHost: x\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\n\r\n", 400], // no Host
    ["GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n", 400],
    [`GET / HTTP/1.1\r\nHost: a\r\n${"X-A: 1\r\n".repeat(101)}\r\n`, 431],
  ])("refused: %p gets %p", (text, status) => {
    expect(parseHead(utf8.encode(text))).toMatchObject({ status });
  });
});

/** A client frame, masked. */
function clientFrame(opcode: number, payload: string | number[], fin = true): number[] {
  const bytes = typeof payload === "string" ? [...utf8.encode(payload)] : payload;
  const mask = [0x12, 0x34, 0x56, 0x78];
  const length = bytes.length < 126 ? [0x80 | bytes.length] : [0x80 | 126, bytes.length >> 8, bytes.length & 255];
  return [(fin ? 0x80 : 0) | opcode, ...length, ...mask, ...bytes.map((b, i) => b ^ mask[i % 4]!)];
}

/** What a reader made of `chunks`: the data (with "|" where a message ended) and the other events. */
function read(chunks: number[][], maxMessage = 1 << 16) {
  let data = "";
  const events: string[] = [];
  const reader = new FrameReader(
    {
      data: (bytes, end) => void (data += new TextDecoder().decode(bytes) + (end ? "|" : "")),
      ping: (p) => void events.push(`ping ${new TextDecoder().decode(p)}`),
      close: (code) => void events.push(`close ${code}`),
      fail: (code) => void events.push(`fail ${code}`),
    },
    maxMessage,
  );
  for (const c of chunks) reader.push(new Uint8Array(c));
  return { data, events };
}

describe("WebSocket frames from a client", () => {
  test("the handshake's accept key is the RFC's example", () => {
    expect(acceptKey("dGhlIHNhbXBsZSBub25jZQ==")).toBe("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  });

  test("a fragmented message with a ping between its fragments, split at every byte, reads the same", () => {
    const stream = [
      ...clientFrame(OPCODE.text, "hello ", false),
      ...clientFrame(OPCODE.ping, "p"),
      ...clientFrame(OPCODE.continuation, "x".repeat(200), false),
      ...clientFrame(OPCODE.continuation, "world\n"),
      ...clientFrame(OPCODE.binary, ""),
      ...clientFrame(OPCODE.close, [0x03, 0xe8]),
    ];
    const whole = read([stream]);
    expect(whole.data).toBe(`hello ${"x".repeat(200)}world\n||`);
    expect(whole.events).toEqual(["ping p", "close 1000"]);
    for (let cut = 1; cut < stream.length; cut++) expect(read([stream.slice(0, cut), stream.slice(cut)])).toEqual(whole);
  });

  test.each([
    ["an unmasked frame", [0x81, 0x02, 0x68, 0x69], "fail 1002"],
    ["a reserved bit", [0xc1, 0x80, 0, 0, 0, 0], "fail 1002"],
    ["an unknown opcode", clientFrame(3, "x"), "fail 1002"],
    ["a continuation with no message", clientFrame(OPCODE.continuation, "x"), "fail 1002"],
    ["a new message inside a fragmented one", [...clientFrame(OPCODE.text, "a", false), ...clientFrame(OPCODE.text, "b")], "fail 1002"],
    ["a fragmented ping", clientFrame(OPCODE.ping, "x", false), "fail 1002"],
  ])("%s closes with a protocol error", (_name, bytes, event) => {
    expect(read([bytes]).events).toEqual([event]);
  });

  test("a message over the bound fails with 1009, counted over its fragments", () => {
    const r = read([[...clientFrame(OPCODE.text, "a".repeat(60), false), ...clientFrame(OPCODE.continuation, "b".repeat(60))]], 100);
    expect(r.events).toEqual(["fail 1009"]);
    expect(r.data).toBe("a".repeat(60)); // what came before the bound was handed on, not held
  });
});

/** A socket that takes at most `step` bytes a write, and what it took. */
function stingySocket(step: number) {
  const taken: number[] = [];
  return {
    taken,
    write(data: Uint8Array) {
      const n = Math.min(step, data.length);
      taken.push(...data.subarray(0, n));
      return n;
    },
    end() {},
    terminate() {},
  };
}

/** Server frames (unmasked) back into their payloads. */
function unframe(bytes: number[]): { opcode: number; payload: string }[] {
  const frames: { opcode: number; payload: string }[] = [];
  for (let at = 0; at < bytes.length; ) {
    const opcode = bytes[at]! & 0x0f;
    let length = bytes[at + 1]! & 0x7f;
    let header = 2;
    if (length === 126) [length, header] = [(bytes[at + 2]! << 8) | bytes[at + 3]!, 4];
    frames.push({ opcode, payload: new TextDecoder().decode(new Uint8Array(bytes.slice(at + header, at + header + length))) });
    at += header + length;
  }
  return frames;
}

describe("WebSocket frames to a client", () => {
  test.each([1, 2, 3, 7, 130, 1000])("a socket that takes %p bytes a write: frames stay whole and in order, a pong waits for the frame under way", (step) => {
    const socket = stingySocket(step);
    const writer = new FrameWriter(socket);
    // What an outbox does: offer the bytes, keep what was not taken, offer it again.
    let queue: Uint8Array[] = [utf8.encode("{\"a\":1}\n"), utf8.encode(`${"y".repeat(300)}\n`)];
    let pinged = false;
    for (let round = 0; round < 10_000 && queue.length > 0; round++) {
      const next = queue.length > 1 ? Buffer.concat(queue) : queue[0]!;
      const n = writer.write(next);
      queue = n < next.length ? [next.subarray(n)] : [];
      if (!pinged) {
        pinged = true;
        writer.sendControl(OPCODE.pong, utf8.encode("p"));
      }
      writer.drain();
    }
    writer.drain();
    const frames = unframe(socket.taken);
    expect(frames.filter((f) => f.opcode === OPCODE.binary).map((f) => f.payload).join("")).toBe(`{"a":1}\n${"y".repeat(300)}\n`);
    expect(frames.filter((f) => f.opcode === OPCODE.pong)).toEqual([{ opcode: OPCODE.pong, payload: "p" }]);
  });

  test("pings while a frame is stuck: one pong waits, the latest, whatever the count", () => {
    let open = 3; // the socket takes 3 bytes, then nothing until it drains
    const taken: number[] = [];
    const writer = new FrameWriter({
      write(data: Uint8Array) {
        const n = Math.min(open, data.length);
        open -= n;
        taken.push(...data.subarray(0, n));
        return n;
      },
      end() {},
      terminate() {},
    });
    writer.write(utf8.encode("hello\n"));
    for (let i = 0; i < 1000; i++) writer.sendControl(OPCODE.pong, utf8.encode(`p${i}`));
    expect((writer as unknown as { control: Uint8Array[] }).control.length).toBe(1);
    open = 1_000_000;
    writer.write(utf8.encode("hello\n").subarray(1));
    writer.drain();
    const frames = unframe(taken);
    expect(frames.filter((f) => f.opcode === OPCODE.pong)).toEqual([{ opcode: OPCODE.pong, payload: "p999" }]);
  });
});
