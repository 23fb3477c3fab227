// Wires Bun.listen to sessions: each socket's state lives in socket.data, and the handlers
// only pass bytes and events through. Also owns the graceful shutdown.

import type { Socket, TCPSocketListener } from "bun";
import { LIMITS } from "../protocol/limits.ts";
import { Outbox } from "../net/outbox.ts";
import { Hub } from "./hub.ts";
import { Session } from "./session.ts";

export interface ServerOptions {
  host: string;
  port: number;
  /** One line of the server's log (no trailing newline). */
  log(line: string): void;
  now?(): number;
  shutdownGraceMs?: number;
}

export interface ChatServer {
  readonly hostname: string;
  readonly port: number;
  readonly hub: Hub;
  /** Open connections, joined or not. */
  readonly connections: number;
  /** Tells every client, flushes, closes. Resolves when all are closed (or the grace period is over). */
  shutdown(): Promise<void>;
}

export function startServer(options: ServerOptions): ChatServer {
  const hub = new Hub();
  const env = { hub, log: options.log, now: options.now ?? Date.now };
  const sessions = new Set<Session>();
  let allClosed: (() => void) | undefined;
  let stopping: Promise<void> | undefined;

  const listener: TCPSocketListener<Session> = Bun.listen<Session>({
    hostname: options.host,
    port: options.port,
    // Keep writing after the peer's FIN: `printf 'sam\nhi\n' | nc -N` must still get its replies.
    allowHalfOpen: true,
    socket: {
      open(socket) {
        const session = new Session(env, new Outbox(socket), peerOf(socket));
        socket.data = session;
        sessions.add(session);
        if (stopping) session.shutdown();
        else session.greet();
      },
      data(socket, chunk) {
        socket.data.receive(chunk);
      },
      drain(socket) {
        socket.data.outbox.drain();
      },
      end(socket) {
        socket.data.peerEnded();
      },
      close(socket) {
        socket.data.closed();
        sessions.delete(socket.data);
        if (sessions.size === 0) allClosed?.();
      },
      error(socket, err) {
        options.log(`! connection ${socket.data?.peer ?? "?"}: ${err.message}`);
      },
    },
  });

  return {
    hostname: listener.hostname,
    port: listener.port,
    hub,
    get connections() {
      return sessions.size;
    },
    shutdown() {
      stopping ??= (async () => {
        listener.stop(false); // no new connections; existing ones get their notice first
        options.log(`shutting down: telling ${sessions.size} connection(s)`);
        const closed = new Promise<void>((resolve) => {
          allClosed = resolve;
        });
        for (const session of sessions) session.shutdown();
        if (sessions.size > 0) {
          const grace = options.shutdownGraceMs ?? LIMITS.shutdownGraceMs;
          let timer: Timer | undefined;
          await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, grace)))]);
          clearTimeout(timer);
        }
        listener.stop(true); // whoever did not read their notice in time is cut off
      })();
      return stopping;
    },
  };
}

function peerOf(socket: Socket<Session>): string {
  return `${socket.remoteAddress}:${socket.remotePort}`;
}
