// A browser-like WebSocket user of the web door (/ws), and the bot token a server admin makes:
// the tests' way to be a page or a bot without a browser.

import { afterEachTest } from "./cleanup.ts";
import { LineLog, LineReader } from "./lines.ts";
import type { Peer } from "./peer.ts";

const open = new Set<WebSocket>();
afterEachTest(() => {
  for (const ws of open) ws.close();
  open.clear();
});

export class WsPeer extends LineReader {
  private constructor(
    private readonly ws: WebSocket,
    log: LineLog,
  ) {
    super(log);
  }

  /** Opens /ws of the web door at `port` (with `origin`, as a page of that site would). */
  static async connect(port: number, label = "ws", origin?: string): Promise<WsPeer> {
    const log = new LineLog(label);
    // Bun's WebSocket takes headers (a browser's sets Origin itself); the DOM's type, which the web
    // client's file brings in, knows only protocols.
    const options = origin ? ({ headers: { Origin: origin } } as unknown as string[]) : undefined;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, options);
    ws.binaryType = "arraybuffer";
    open.add(ws);
    ws.onmessage = (m) => log.push(typeof m.data === "string" ? new TextEncoder().encode(m.data) : new Uint8Array(m.data as ArrayBuffer));
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error(`${label}: the WebSocket did not open`));
    });
    ws.onclose = () => log.end();
    return new WsPeer(ws, log);
  }

  /** Connects and chooses `name`, once welcomed. */
  static async join(port: number, name: string): Promise<WsPeer> {
    const p = await WsPeer.connect(port, name);
    await p.event("ask-name");
    p.send(name);
    await p.event("welcome");
    return p;
  }

  /** Closes it, as a reload or a closed tab does. */
  close(): void {
    this.ws.close();
  }

  send(line: string): void {
    this.ws.send(line);
  }

}

/** `admin` (a logged-in server admin) makes a token for `bot`; the token's text. */
export async function makeToken(admin: Peer, bot: string): Promise<string> {
  admin.send(`/token new ${bot}`);
  await admin.seen(new RegExp(`^-- Token [0-9a-f]{12} for the bot ${bot} `));
  return (await admin.seen(/^-- bunchat_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/)).slice(3);
}

/**
 * A WebSocket spoken by hand on a raw socket, for what a browser's WebSocket won't send: fragments,
 * pings, bad frames. What it reads is kept as raw bytes.
 */
export class RawWebSocket {
  readonly received: Uint8Array[] = [];
  closed = false;
  private constructor(private readonly socket: import("bun").Socket<undefined>) {}

  static async open(port: number, headers: Record<string, string> = {}): Promise<RawWebSocket> {
    let opened!: (raw: RawWebSocket) => void;
    let failed!: (err: Error) => void;
    const ready = new Promise<RawWebSocket>((resolve, reject) => ((opened = resolve), (failed = reject)));
    let raw: RawWebSocket | undefined;
    let head = "";
    const socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data(_s, chunk) {
          if (raw!.received.length === 0 && !head.includes("\r\n\r\n")) {
            head += new TextDecoder().decode(chunk);
            if (!head.includes("\r\n\r\n")) return;
            if (!head.startsWith("HTTP/1.1 101")) return failed(new Error(`not upgraded: ${head.split("\r\n")[0]}`));
            const rest = chunk.subarray(chunk.length - (head.length - head.indexOf("\r\n\r\n") - 4));
            if (rest.length > 0) raw!.received.push(rest.slice());
            return opened(raw!);
          }
          raw!.received.push(chunk.slice());
        },
        close() {
          if (raw) raw.closed = true;
        },
      },
    });
    raw = new RawWebSocket(socket);
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
    socket.write(
      `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
    );
    return ready;
  }

  /** A client frame: masked, `fin` or a fragment. */
  frame(opcode: number, payload: Uint8Array | string, fin = true, masked = true): void {
    const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
    const mask = [7, 1, 9, 3];
    const length = bytes.length < 126 ? [bytes.length] : bytes.length < 65536 ? [126, bytes.length >> 8, bytes.length & 255] : [127, 0, 0, 0, 0, (bytes.length >>> 24) & 255, (bytes.length >> 16) & 255, (bytes.length >> 8) & 255, bytes.length & 255];
    length[0]! |= masked ? 0x80 : 0;
    const body = masked ? bytes.map((b, i) => b ^ mask[i % 4]!) : bytes;
    this.socket.write(new Uint8Array([(fin ? 0x80 : 0) | opcode, ...length, ...(masked ? mask : []), ...body]));
  }

  /** Everything read so far, as text (frame headers and all). */
  text(): string {
    return new TextDecoder().decode(Buffer.concat(this.received));
  }

  end(): void {
    this.socket.end();
  }
}
