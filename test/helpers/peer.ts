// A raw TCP line client, like nc: the tests' way to be a user in either mode.

import type { Socket } from "bun";
import { Outbox } from "../../src/net/outbox.ts";
import type { ServerEvent } from "../../src/protocol/events.ts";
import { LineLog, type LineTest } from "./lines.ts";

export class Peer {
  private constructor(
    private readonly socket: Socket<Outbox>,
    readonly log: LineLog,
    readonly mode: "text" | "json",
  ) {}

  /**
   * Connects; in json mode sends the hello first and, like the bundled client, answers the
   * server's pings (unless told not to, to play a dead peer). Nothing else is sent.
   */
  static async connect(
    port: number,
    mode: "text" | "json" = "text",
    label = "peer",
    answerPings = true,
  ): Promise<Peer> {
    const log = new LineLog(label);
    const socket = await Bun.connect<Outbox>({
      hostname: "127.0.0.1",
      port,
      allowHalfOpen: true,
      socket: {
        open: (s) => void (s.data = new Outbox(s)),
        drain: (s) => s.data.drain(),
        data: (_s, chunk) => log.push(chunk),
        close: () => log.end(),
        end: () => log.end(),
        error: () => log.end(),
      },
    });
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
    answerPings = true,
    password?: string,
  ): Promise<Peer> {
    const peer = await Peer.connect(port, mode, name, answerPings);
    if (password !== undefined) peer.send(password);
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

  next(test: LineTest, timeoutMs?: number): Promise<string> {
    return this.log.next(test, timeoutMs);
  }

  /** Some line so far or to come passes the test, in whatever order it arrived. */
  seen(test: LineTest, timeoutMs?: number): Promise<string> {
    return this.log.seen(test, timeoutMs);
  }

  /** Json mode: the next event of this type (and passing `where`). */
  async event<T extends ServerEvent["type"]>(
    type: T,
    where: (e: Extract<ServerEvent, { type: T }>) => boolean = () => true,
  ): Promise<Extract<ServerEvent, { type: T }>> {
    const line = await this.next((l) => {
      if (!l.startsWith("{")) return false;
      const e = JSON.parse(l) as ServerEvent;
      return e.type === type && where(e as Extract<ServerEvent, { type: T }>);
    });
    return JSON.parse(line);
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

  closed(timeoutMs?: number): Promise<void> {
    return this.log.closed(timeoutMs);
  }

  close(): void {
    if (!this.log.isEnded) this.socket.terminate();
  }
}
