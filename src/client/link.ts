// The client's connection: Bun.connect, the JSON hello, framing in, the outbox out.

import { decodeEvent } from "../protocol/codec.ts";
import type { ClientHello, ServerEvent } from "../protocol/events.ts";
import { KEEPALIVE_IDLE_MS, PROTOCOL_VERSION } from "../protocol/limits.ts";
import { LineReader } from "../protocol/lines.ts";
import { Outbox } from "../net/outbox.ts";
import { VERSION } from "../version.ts";

/** Server lines can be long (a /users list of thousands); still bounded. */
const MAX_SERVER_LINE = 1 << 20;

export interface LinkHandlers {
  event(event: ServerEvent): void;
  /**
   * The connection is gone, whoever closed it. Called once. `refusal` holds the server's
   * plain-text error lines if it closed before answering our hello (server full, too many connections).
   */
  closed(refusal: string[]): void;
}

export interface Link {
  /** Sends one line of the command language (no newline inside). */
  send(line: string): void;
  /** Flushes what is queued, then closes. */
  end(): void;
}

export class ConnectError extends Error {}

const utf8 = new TextEncoder();

export async function openLink(host: string, port: number, handlers: LinkHandlers): Promise<Link> {
  let outbox: Outbox | undefined;
  let closed = false;
  // Until the server answers our hello it may be greeting nc users in plain text: skip those lines.
  let structured = false;
  const refusal: string[] = [];
  const reader = new LineReader(
    { maxBytes: MAX_SERVER_LINE },
    {
      line(line) {
        if (!structured && !line.startsWith("{")) {
          if (line.startsWith("! ") && refusal.length < 5) refusal.push(line);
          return;
        }
        structured = true;
        const event = decodeEvent(line);
        if (event) handlers.event(event);
      },
      overflow() {},
    },
  );
  const hello: ClientHello = { type: "hello", proto: PROTOCOL_VERSION, client: `bunchat/${VERSION}` };

  try {
    await Bun.connect({
      hostname: host,
      port,
      socket: {
        open(socket) {
          socket.setKeepAlive(true, KEEPALIVE_IDLE_MS); // notice a server that vanished without a FIN
          outbox = new Outbox(socket);
          outbox.send(utf8.encode(`${JSON.stringify(hello)}\n`));
        },
        data(_socket, chunk) {
          reader.push(chunk);
        },
        drain() {
          outbox?.drain();
        },
        close() {
          outbox?.discard();
          if (closed) return;
          closed = true;
          handlers.closed(structured ? [] : refusal);
        },
        error() {
          // A reset or similar: close follows and says so.
        },
        connectError() {
          // The promise rejects too; reported there.
        },
      },
    });
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = code === "ECONNREFUSED" ? "connection refused; is the server running?" : (err as Error).message;
    throw new ConnectError(`can't connect to ${host}:${port}: ${why}`);
  }

  return {
    send(line) {
      outbox?.send(utf8.encode(`${line}\n`));
    },
    end() {
      outbox?.end();
    },
  };
}
