// The client's connection: Bun.connect, the JSON hello, framing in, the outbox out.

import { decodeEvent } from "../protocol/decode.ts";
import type { ClientHello, ServerEvent } from "../protocol/events.ts";
import { KEEPALIVE_IDLE_MS, PROTOCOL_VERSION } from "../protocol/limits.ts";
import { LineReader } from "../protocol/lines.ts";
import type { Socket } from "bun";
import { Outbox } from "../net/outbox.ts";
import { VERSION } from "../version.ts";

/** Server lines can be long (a /users list of thousands); still bounded. */
const MAX_SERVER_LINE = 1 << 20;

export interface LinkHandlers {
  /** An event, and the bytes its line took (newline included). */
  event(event: ServerEvent, bytes: number): void;
  /**
   * The connection is gone, whoever closed it. Called once. `refusal` holds the server's
   * plain-text error lines if it closed before answering our hello (server full, too many connections).
   */
  closed(refusal: string[], wrongProtocol: boolean): void;
}

export interface Link {
  /** Sends one line of the command language (no newline inside). */
  send(line: string): void;
  /** Flushes what is queued, then closes. */
  end(): void;
}

export class ConnectError extends Error {}

const utf8 = new TextEncoder();

/** How to reach the server over TLS. */
export interface LinkTls {
  /** PEM text of extra CAs to trust (a private CA or a self-signed certificate). */
  ca?: string;
  /** Skip certificate and hostname checks (still encrypted, but not authenticated). */
  insecure: boolean;
}

/** A TLS handshake that has not finished by then is given up. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/** First bytes of a TLS record (alert 0x15 or handshake 0x16, version 3.x): a TLS server answering plain text. */
const looksLikeTls = (chunk: Uint8Array) => (chunk[0] === 0x15 || chunk[0] === 0x16) && chunk[1] === 0x03;

export async function openLink(host: string, port: number, handlers: LinkHandlers, tls?: LinkTls): Promise<Link> {
  let outbox: Outbox | undefined;
  let closed = false;
  let gotData = false;
  /** Connected as far as the caller is concerned: TCP is up and, with TLS, the handshake is done. */
  let ready = !tls;
  // Until the server answers our hello it may be greeting nc users in plain text: skip those lines.
  let structured = false;
  const refusal: string[] = [];
  /** The server answered in TLS: no retry can help. */
  let wrongProtocol = false;
  const reader = new LineReader(
    { maxBytes: MAX_SERVER_LINE },
    {
      line(line, bytes) {
        if (!structured && !line.startsWith("{")) {
          if (line.startsWith("! ") && refusal.length < 5) refusal.push(line);
          return;
        }
        structured = true;
        const event = decodeEvent(line);
        if (event) handlers.event(event, bytes + 1);
      },
      overflow() {},
    },
  );
  // Our own lines come back with their ids: a line picked to answer, edit or delete may be ours.
  const hello: ClientHello = { type: "hello", proto: PROTOCOL_VERSION, client: `bunchat/${VERSION}`, echo: true };
  const where = `${host}:${port}`;

  // Over TLS we are connected once the handshake is done, not when TCP is.
  let handshakeDone!: () => void;
  let handshakeFailed!: (err: ConnectError) => void;
  const handshake = new Promise<void>((resolve, reject) => {
    handshakeDone = resolve;
    handshakeFailed = reject;
  });
  handshake.catch(() => {}); // awaited below; a failure before then must not go unhandled

  const start = (socket: Socket<undefined>) => {
    outbox = new Outbox(socket);
    outbox.send(utf8.encode(`${JSON.stringify(hello)}\n`));
  };

  let socket: Socket<undefined>;
  try {
    socket = await Bun.connect({
      hostname: host,
      port,
      ...(tls ? { tls: { ...(tls.ca ? { ca: tls.ca } : {}), rejectUnauthorized: !tls.insecure } } : {}),
      socket: {
        open(socket) {
          socket.setKeepAlive(true, KEEPALIVE_IDLE_MS); // notice a server that vanished without a FIN
          if (!tls) start(socket); // over TLS, writes before the handshake would be lost
        },
        ...(tls
          ? {
              handshake(socket: Socket<undefined>, ok: boolean, err: Error | null) {
                if (ok || tls.insecure) {
                  ready = true;
                  start(socket);
                  return handshakeDone();
                }
                handshakeFailed(new ConnectError(`TLS with ${where} failed: ${explainTls(err, host)}`));
                socket.terminate();
              },
            }
          : {}),
        data(_socket, chunk) {
          if (!gotData && !tls && looksLikeTls(chunk)) {
            wrongProtocol = true;
            refusal.push(`! ${where} speaks TLS: connect with --tls.`);
          }
          gotData = true;
          reader.push(chunk);
        },
        drain() {
          outbox?.drain();
        },
        close() {
          outbox?.discard();
          if (!ready) {
            return handshakeFailed(new ConnectError(`TLS with ${where} failed: the server closed the connection.`));
          }
          if (closed) return;
          closed = true;
          handlers.closed(structured ? [] : refusal, wrongProtocol);
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
    throw new ConnectError(`can't connect to ${where}: ${why}`);
  }

  if (tls) {
    const timer = setTimeout(() => {
      handshakeFailed(
        new ConnectError(`TLS with ${where} failed: no handshake within ${HANDSHAKE_TIMEOUT_MS / 1000} s.`),
      );
      socket.terminate();
    }, HANDSHAKE_TIMEOUT_MS);
    try {
      await handshake;
    } finally {
      clearTimeout(timer);
    }
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

/** What a failed certificate check means to the person running the client. */
function explainTls(err: Error | null, host: string): string {
  const code = (err as { code?: string } | null)?.code ?? "";
  const message = err?.message ?? "unknown error";
  if (/WRONG_VERSION_NUMBER|EPROTO/.test(code + message)) {
    return "the server does not speak TLS on this port; connect without --tls.";
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return `the server's certificate is not for "${host}" (${message}).`;
  }
  if (/SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|CERT_UNTRUSTED/.test(code)) {
    return `the server's certificate is not trusted (${message}). For a private CA or a self-signed certificate, pass --ca <file>.`;
  }
  if (/EXPIRED/.test(code)) return `the server's certificate has expired (${message}).`;
  return message;
}
