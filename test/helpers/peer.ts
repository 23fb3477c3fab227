// A raw TCP line client, like nc: the tests' way to be a user in either mode.

import type { Socket } from "bun";
import { Outbox } from "../../src/net/outbox.ts";
import { LineLog, LineReader } from "./lines.ts";

/** The CA to trust, and the name to check the certificate against (default "localhost"). */
export interface PeerTls {
  ca: string;
  serverName?: string;
}

export interface PeerOptions {
  /** A json peer answers pings like the bundled client (default); false plays a dead peer. */
  answerPings?: boolean;
  /** Connect over TLS. */
  tls?: PeerTls;
  /** Local address to connect from (any 127.x.y.z works on Linux): another "machine" to the server. */
  from?: string;
  /** Sent before the name, by join(). */
  password?: string;
  /** Like nc at a terminal: on the server's FIN, do not close our side (stay in CLOSE-WAIT). */
  keepOpen?: boolean;
}

export class Peer extends LineReader {
  private constructor(
    private readonly socket: Socket<Outbox>,
    log: LineLog,
    readonly mode: "text" | "json",
  ) {
    super(log);
  }

  /**
   * Connects; in json mode sends the hello first and, like the bundled client, answers the
   * server's pings (unless told not to, to play a dead peer). Nothing else is sent.
   */
  static async connect(
    port: number,
    mode: "text" | "json" = "text",
    label = "peer",
    { answerPings = true, tls, from, keepOpen = false }: PeerOptions = {},
  ): Promise<Peer> {
    const log = new LineLog(label);
    let handshook!: () => void;
    const ready = new Promise<void>((resolve) => (handshook = resolve));
    const socket = await Bun.connect<Outbox>({
      hostname: "127.0.0.1",
      port,
      allowHalfOpen: true,
      ...(from ? { localAddress: from } : {}),
      ...(tls ? { tls: { ca: tls.ca, serverName: tls.serverName ?? "localhost" } } : {}),
      socket: {
        open: (s) => {
          s.data = new Outbox(s);
          if (!tls) handshook();
        },
        // Over TLS nothing may be written before the handshake: connect() waits for it (or its failure).
        ...(tls ? { handshake: (_s: unknown, ok: boolean) => (ok ? handshook() : (log.end(), handshook())) } : {}),
        drain: (s) => s.data.drain(),
        data: (_s, chunk) => log.push(chunk),
        close: () => (log.end(), handshook()),
        // Like a real client, close our side once the server has closed its own: over TLS the
        // server's socket is not closed until both sides have said so.
        end: (s) => {
          log.end();
          if (!keepOpen) s.end();
        },
        error: () => log.end(),
      },
    });
    await ready;
    const peer = new Peer(socket, log, mode);
    if (mode === "json") peer.send('{"type":"hello","proto":1}');
    if (mode === "json" && answerPings) log.onLine = (line) => line === '{"type":"ping"}' && peer.send("");
    return peer;
  }

  /** Connects and joins as `name`, waiting for the welcome. */
  static async join(
    port: number,
    name: string,
    mode: "text" | "json" = "text",
    options: PeerOptions = {},
  ): Promise<Peer> {
    const peer = await Peer.connect(port, mode, name, options);
    if (options.password !== undefined) peer.send(options.password);
    peer.send(name);
    if (mode === "json") await peer.event("welcome");
    else await peer.next(/^Hi .*, you are in\./);
    return peer;
  }

  send(line: string): void {
    this.write(`${line}\n`);
  }

  write(data: string | Uint8Array): void {
    this.socket.data.send(typeof data === "string" ? new TextEncoder().encode(data) : data);
  }

  /** A barrier: once the pong is back, the server has handled everything sent before it. */
  async ping(token = `t${Math.random().toString(36).slice(2)}`): Promise<void> {
    this.send(`/ping ${token}`);
    if (this.mode === "json") await this.event("pong", (e) => e.token === token);
    else await this.next(`pong ${token}`);
  }

  /** Half-close, like `nc -N`: no more input from us, but we keep reading. */
  endInput(): void {
    this.socket.shutdown();
  }

  /** Stop reading (the kernel buffers fill and the server's writes come up short), then resume. */
  pause(): void {
    this.socket.pause();
  }
  resume(): void {
    this.socket.resume();
  }

  /** Vanish without a goodbye (RST). */
  kill(): void {
    this.socket.resume(); // Bun does not act on terminate() while the socket is paused
    this.socket.terminate();
  }


  close(): void {
    if (!this.log.isEnded) this.socket.terminate();
  }
}
