// The browser's door and the HTTP API, on one Bun.serve: the page at "/", the chat as JSON lines
// over a WebSocket at "/ws" (a Session like any other: the same codec, limits and outbox), the
// API for bots and CI under "/api/", "/healthz" and "/metrics".

import type { Server, ServerWebSocket } from "bun";
import type { ErrorEvent } from "../protocol/events.ts";
import { LIMITS } from "../protocol/limits.ts";
import type { Writable } from "../net/outbox.ts";
import { Session, type SessionEnv } from "./session.ts";
import { API_MAX_BODY } from "./api.ts";
import { assetResponse, PAGE_HEADERS, type Page } from "../web/page.ts";

/** Bytes Bun may buffer for a WebSocket before its outbox holds the rest (and drops a reader that stops). */
const WS_HIGH_WATER = 64 * 1024;
/** The biggest message a browser may send: a few full lines (each line is still held to 4096 bytes). */
export const WS_MAX_MESSAGE = 4 * LIMITS.maxRunBytes;
const NEWLINE = new Uint8Array([0x0a]);
const utf8 = new TextEncoder();

/** How the web door reaches the server's connection bookkeeping (shared with the TCP doors). */
export interface Gate {
  /** A new connection: its refusal, or undefined once it is counted. */
  admit(session: Session): ErrorEvent | undefined;
  /** Its first words: a greeting, a refusal, or goodbye when the server is stopping. */
  welcome(session: Session, refusal: ErrorEvent | undefined): void;
  /** It closed. */
  release(session: Session): void;
  readonly stopping: boolean;
}

/** What the HTTP side answers besides the page and the WebSocket: the API, health, metrics. */
export interface HttpRoutes {
  /** An /api/ request; undefined: not an API path. */
  api(req: Request, path: string, address: string): Promise<Response> | Response | undefined;
  health(): { ok: boolean; why: string };
  /** A WebSocket turned away before it opened (a page of another site: "origin"). */
  refused(reason: string): void;
  metrics(): string;
}

export interface WebOptions {
  host: string;
  port: number;
  tls?: { cert: string; key: string };
  env: SessionEnv;
  gate: Gate;
  routes: HttpRoutes;
  page: Page;
}

/** A session's socket, as the outbox sees it: JSON lines go out as binary WebSocket messages. */
class WebSocketLink implements Writable {
  constructor(private readonly ws: ServerWebSocket<WebData>) {}

  write(data: Uint8Array): number {
    if (this.ws.readyState !== 1) return -1;
    // Past the mark the outbox keeps the rest, bounded like any slow reader's; Bun's drain resumes it.
    if (this.ws.getBufferedAmount() > WS_HIGH_WATER) return 0;
    return this.ws.sendBinary(data) === 0 ? -1 : data.length;
  }

  end(): void {
    this.ws.close(1000, "bye");
  }

  terminate(): void {
    this.ws.terminate();
  }
}

interface WebData {
  session: Session | undefined;
  /** The browser's address and port, as the HTTP request came (Bun's WebSocket does not say them). */
  address: string;
  port: number;
}

export function startWeb(options: WebOptions): Server<WebData> {
  const { env, gate, routes, page } = options;
  return Bun.serve<WebData>({
    hostname: options.host,
    port: options.port,
    ...(options.tls ? { tls: options.tls } : {}),
    development: false,
    maxRequestBodySize: API_MAX_BODY,
    fetch(req, server) {
      const url = new URL(req.url);
      const path = url.pathname;
      const peer = server.requestIP(req);
      const address = peer?.address ?? "";
      if (path === "/ws") {
        const origin = req.headers.get("origin");
        if (origin !== null && !sameOrigin(origin, req.headers.get("host"))) {
          routes.refused("origin");
          return text(403, `This WebSocket takes pages from ${req.headers.get("host")} only, not ${origin}.\n`);
        }
        if (server.upgrade(req, { data: { session: undefined, address, port: peer?.port ?? 0 } })) return undefined;
        return text(426, "This is bunchat's WebSocket: connect with a WebSocket client, or open / in a browser.\n");
      }
      const api = routes.api(req, path, address);
      if (api) return api;
      if (req.method !== "GET" && req.method !== "HEAD") return text(405, "Only GET here.\n");
      const asset = page.assets.get(path);
      if (asset) return assetResponse(asset, req.headers.get("accept-encoding"));
      if (path === "/healthz") {
        const health = routes.health();
        return text(health.ok ? 200 : 503, `${health.why}\n`);
      }
      if (path === "/metrics") {
        return new Response(routes.metrics(), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } });
      }
      return text(404, `Nothing at ${path}.\n`);
    },
    websocket: {
      maxPayloadLength: WS_MAX_MESSAGE,
      // Bun pings a quiet browser before this; the session's own deadlines do the rest.
      idleTimeout: 120,
      // The outbox bounds what a slow reader holds; Bun's own buffer stays small (WS_HIGH_WATER).
      backpressureLimit: 4 * WS_HIGH_WATER + WS_MAX_MESSAGE,
      closeOnBackpressureLimit: false,
      open(ws) {
        const session = new Session(env, new WebSocketLink(ws), ws.data.address, ws.data.port, "web");
        session.speakJson(); // a WebSocket speaks JSON from its first line: no plain-text greeting
        ws.data.session = session;
        gate.welcome(session, gate.stopping ? undefined : gate.admit(session));
      },
      message(ws, message) {
        const session = ws.data.session;
        if (!session) return;
        // A message is one line (or several, each ending in "\n"); its last line needs no "\n".
        const bytes = typeof message === "string" ? utf8.encode(message) : message;
        session.receive(bytes);
        if (bytes.length === 0 || bytes[bytes.length - 1] !== 0x0a) session.receive(NEWLINE);
      },
      drain(ws) {
        ws.data.session?.outbox.drain();
      },
      close(ws) {
        const session = ws.data.session;
        if (session) gate.release(session);
      },
    },
  });
}

/** Whether a page at `origin` was served by this host (the Host header the browser sent). */
function sameOrigin(origin: string, host: string | null): boolean {
  if (host === null) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** A short plain-text answer. */
function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8", ...PAGE_HEADERS, ...headers } });
}
