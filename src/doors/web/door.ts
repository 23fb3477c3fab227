// The browser's door and the HTTP API, on one Bun.listen socket of our own: the page at "/", the
// chat as JSON lines over a WebSocket at "/ws" (a Session like any other: the same codec, limits
// and outbox, written as binary frames), the API for bots and CI under "/api/", "/healthz" and
// "/metrics". Every connection, a plain HTTP one too, counts against the server's caps and
// connect rate from the moment it opens, and must send its request within a deadline of ours
// (httpRequestMs). Bun.serve gave us no say over either (nor over the memory a browser's
// unfinished WebSocket message held, nor over sharing its port with another process), so the
// door speaks HTTP/1.1 and WebSocket itself (http.ts, websocket.ts) on Bun.listen, like the
// other doors.

import type { TCPSocketListener } from "bun";
import { KEEPALIVE_IDLE_MS } from "../../protocol/limits.ts";
import { WebConnection, type WebOptions } from "./connection.ts";

/** The web door's listener, and its sweep for deadlines. */
export interface WebDoor {
  readonly port: number;
  stop(force: boolean): void;
  sweep(now: number): void;
}

export function startWeb(options: WebOptions): WebDoor {
  const connections = new Set<WebConnection>();
  const door = { refusedWaiting: 0 };
  const listener: TCPSocketListener<WebConnection> = Bun.listen<WebConnection>({
    hostname: options.host,
    port: options.port,
    allowHalfOpen: true, // an answer still goes to a client that sent its request and then its FIN
    ...(options.tls ? { tls: options.tls } : {}),
    socket: {
      open(socket) {
        socket.setKeepAlive(true, KEEPALIVE_IDLE_MS);
        const conn = new WebConnection(socket, options, connections, door);
        socket.data = conn;
        connections.add(conn);
        // Counted at once; over TLS a refusal can only be said after the handshake.
        conn.refusal = options.gate.admit(conn);
        if (!options.tls) conn.opened();
      },
      handshake(socket, ok) {
        if (ok) socket.data.opened();
      },
      data(socket, chunk) {
        socket.data.receive(chunk);
      },
      drain(socket) {
        socket.data.drain();
      },
      end(socket) {
        socket.data.peerEnded();
      },
      close(socket) {
        socket.data.closed();
      },
      error(socket, err) {
        options.env.log(`! web connection ${socket.data?.address ?? "?"}: ${err.message}`);
      },
    },
  });
  return {
    port: listener.port,
    stop: (force) => listener.stop(force),
    sweep(now) {
      for (const conn of connections) conn.sweep(now);
    },
  };
}
