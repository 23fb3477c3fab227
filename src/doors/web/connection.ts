// One connection of the web door, from its first byte: a request's head and body read within the
// deadline, routed (the page, the API, /healthz, /metrics), answered whole; or upgraded to a
// WebSocket, then a Session like any other whose bytes go out as binary frames.

import type { Socket } from "bun";
import type { ErrorEvent } from "../../protocol/events.ts";
import { jsonLineBytes, LIMITS, type ServerLimits } from "../../protocol/limits.ts";
import type { Writable } from "../../net/outbox.ts";
import { Session } from "../../session/session.ts";
import { native } from "../../session/native.ts";
import type { SessionEnv } from "../../session/env.ts";
import { API_MAX_BODY } from "./api.ts";
import { type FileAnswer, MultipartSink, type Received, UPLOAD_OVERHEAD, UPLOAD_PATH, type Uploader, uploadRoom } from "./files.ts";
import { closeSync, openSync, readSync } from "node:fs";
import { assetResponse, PAGE_HEADERS, type Page } from "../../web/page.ts";
import { type BadRequest, HEAD_MAX_BYTES, headEnd, keepsAlive, parseHead, plainBytes, type RequestHead, responseBytes } from "./http.ts";
import { acceptKey, FrameReader, FrameWriter, isWebSocketKey, OPCODE } from "./websocket.ts";
import { Encoded } from "../../render/codec.ts";

/**
 * Connections turned away at the door that may still send their request, to be told why in its
 * own terms (a WebSocket's JSON error, a plain 503): at most this many at once, for at most
 * REFUSED_WAIT_MS each, uncounted. Past that a refusal is a bare 503 at once: a storm of them
 * can't hold descriptors.
 */
const REFUSED_WAITING = 256;
const REFUSED_WAIT_MS = 2000;

/** The biggest message a browser may send: a few full lines (each line is still held to 4096 bytes). */
export const WS_MAX_MESSAGE = 4 * LIMITS.maxRunBytes;

/** A WebSocket message at most: room for a run of lines as long as a structured reader takes (2 × jsonLineBytes), twice. */
export function wsMaxMessage(limits: Pick<ServerLimits, "maxMessageBytes">): number {
  return Math.max(WS_MAX_MESSAGE, 4 * jsonLineBytes(limits));
}
const NEWLINE = new Uint8Array([0x0a]);

/** A connection of the web door as the server counts it (before it is a session, if ever). */
export interface WebPeer {
  readonly address: string;
}

/** How the web door reaches the server's connection bookkeeping (shared with the TCP doors). */
export interface Gate {
  /** A new connection: its refusal, or undefined once it is counted (until `release`). */
  admit(peer: WebPeer): ErrorEvent | undefined;
  /** A connection refused at the door: logged and counted, like the other doors' refusals. */
  refusedAtDoor(peer: WebPeer, port: number, refusal: ErrorEvent): void;
  /** It closed (a plain HTTP connection; a session is released as a session). */
  release(peer: WebPeer): void;
  /** It became a WebSocket session, counted from now on in its place. */
  upgrade(peer: WebPeer, session: Session): void;
  /** A session's first words: a greeting, or goodbye when the server is stopping. */
  welcome(session: Session): void;
  /** A session closed. */
  closed(session: Session): void;
  readonly stopping: boolean;
}

/** What the HTTP side answers besides the page and the WebSocket: the API, health, metrics. */
export interface HttpRoutes {
  /** An /api/ request; undefined: not an API path. */
  api(req: Request, path: string, address: string): Promise<Response> | Response | undefined;
  /** Files (none: the server takes none): an upload's sender from its head, its body once in, a file to send. */
  files?: {
    maxBody: number;
    uploader(headers: Headers, room: string, address: string): Promise<Uploader | Response>;
    uploaded(up: Uploader, got: Received | { problem: string }): Promise<Response>;
    temp(): { path: string; fd: number };
    discard(temp: { path: string; fd?: number }): void;
    maxFileBytes: number;
    serve(path: string, key: string | null): Promise<FileAnswer | { status: number; why: string } | undefined>;
  };
  health(): { ok: boolean; why: string };
  /** A request turned away before any route saw it (a page of another site: "origin"; a name not ours: "host"). */
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
  /** Names the server answers to besides IP addresses and localhost (--web-host): a DNS rebinding's name is refused. */
  names: readonly string[];
}

/**
 * head: waiting for a request's head · body: for its body · answering: a route is at work ·
 * websocket: a session now · closing: answered, closing.
 */
type Phase = "head" | "body" | "upload" | "answering" | "websocket" | "closing";

/** One connection to the web door: HTTP requests one at a time, or a WebSocket session. */
export class WebConnection implements WebPeer, Writable {
  readonly address: string;
  private readonly port: number;
  refusal: ErrorEvent | undefined;
  private phase: Phase = "head";
  /** Bytes read and not yet used (a head, a body, what came after them). */
  private pending = new Uint8Array(0);
  /** When the current wait for a request (its head, its body) began. */
  private since: number;
  private head: RequestHead | undefined;
  private headLength = 0;
  private bodyLength = 0;
  /** Answer bytes the socket has not taken yet; once they are out, close if `endAfter`. */
  private out: Uint8Array[] = [];
  private endAfter = false;
  private peerDone = false;
  private counted = false;
  /** Refused at the door, waiting (briefly) for its request to be told why in its terms. */
  private waitingToBeRefused = false;
  private session: Session | undefined;
  private frames: FrameReader | undefined;
  private link: FrameWriter | undefined;
  /** The last byte of the WebSocket message being read (a message that does not end a line does). */
  private lastByte = 0x0a;
  /** An upload's body coming in: to a file on disk once its sender is let in (`sink`), counted against its Content-Length. */
  private upload: { up?: Uploader; sink?: MultipartSink; temp?: { path: string; fd: number }; read: number } | undefined;
  /** A file being sent from disk, a chunk at a time as the socket takes them. */
  private streaming: { fd: number; offset: number; size: number; close: boolean } | undefined;

  constructor(
    private readonly socket: Socket<WebConnection>,
    private readonly options: WebOptions,
    private readonly all: Set<WebConnection>,
    /** Refused connections waiting to be told why (REFUSED_WAITING at most). */
    private readonly door: { refusedWaiting: number },
  ) {
    this.address = socket.remoteAddress;
    this.port = socket.remotePort;
    this.since = options.env.clock.now();
  }

  /** It can hear us now: turned away, or counted. */
  opened(): void {
    this.since = this.options.env.clock.now();
    if (this.refusal === undefined) {
      this.counted = true;
      return;
    }
    this.options.gate.refusedAtDoor(this, this.port, this.refusal);
    // Told in its own terms once its request is here, if few wait so; else at once.
    if (this.door.refusedWaiting < REFUSED_WAITING) {
      this.door.refusedWaiting++;
      this.waitingToBeRefused = true;
    } else this.refused();
  }

  /** Turned away: a WebSocket's handshake gets the refusal as its first (JSON) line, anything else a 503. */
  private refused(head?: RequestHead): void {
    const refusal = this.refusal!;
    const key = head?.headers.get("sec-websocket-key") ?? undefined;
    if (head && new URL(head.target, "http://x").pathname === "/ws" && isWebSocketKey(key)) {
      this.send(handshakeBytes(key));
      this.phase = "closing";
      const link = new FrameWriter(this);
      link.write(new Encoded(refusal).bytes("json"));
      return link.end();
    }
    this.reply(plainBytes(503, refusal.message, true, { "retry-after": "10" }), true);
  }

  /** A request's body at most: 64 KiB, or what a message of several lines takes in JSON (--max-message-bytes). */
  private get maxBody(): number {
    return Math.max(API_MAX_BODY, jsonLineBytes(this.options.env.limits));
  }

  receive(chunk: Uint8Array): void {
    if (this.phase === "websocket") return this.frames!.push(chunk);
    if (this.phase === "upload") return this.uploadBytes(chunk);
    if (this.phase === "closing" || (!this.counted && !this.waitingToBeRefused)) return;
    this.pending = this.pending.length === 0 ? chunk.slice() : Buffer.concat([this.pending, chunk]);
    this.next();
    // What a client may send ahead of an answer is bounded: a head and a body. (A head is judged
    // once it is whole, an upload's body goes to disk as it comes: neither waits here.)
    if ((this.phase === "body" || this.phase === "answering") && this.pending.length > HEAD_MAX_BYTES + this.maxBody) {
      this.refuse({ status: 413, why: "Too much sent at once." });
    }
  }

  /** Reads as far as what is here allows: a head, then its body, then its answer. */
  private next(): void {
    if (this.phase === "head") {
      const end = headEnd(this.pending);
      if (end === -1) {
        if (this.pending.length > HEAD_MAX_BYTES) this.refuse({ status: 431, why: `A request's head is at most ${HEAD_MAX_BYTES} bytes.` });
        else if (this.peerDone && this.pending.length === 0) this.close();
        return;
      }
      if (end > HEAD_MAX_BYTES) return this.refuse({ status: 431, why: `A request's head is at most ${HEAD_MAX_BYTES} bytes.` });
      const head = parseHead(this.pending.subarray(0, end));
      if (this.waitingToBeRefused) return this.refused("status" in head ? undefined : head);
      if ("status" in head) return this.refuse(head);
      if (head.headers.has("transfer-encoding")) return this.refuse({ status: 411, why: "Send a body with a Content-Length." });
      const length = head.headers.get("content-length");
      if (length !== null && !/^\d{1,15}$/.test(length)) return this.refuse({ status: 400, why: "Content-Length is a number of bytes." });
      this.bodyLength = length === null ? 0 : Number(length);
      if (head.method === "POST" && UPLOAD_PATH.test(head.target.split("?")[0]!)) return this.startUpload(head, end, length !== null);
      if (this.bodyLength > this.maxBody) return this.refuse({ status: 413, why: `A request's body is at most ${this.maxBody} bytes.` });
      this.head = head;
      this.headLength = end;
      this.phase = "body";
      const waiting = this.pending.length - end < this.bodyLength;
      if (waiting && head.headers.get("expect")?.toLowerCase() === "100-continue") this.send(new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n"));
    }
    if (this.phase !== "body") return;
    const end = this.headLength + this.bodyLength;
    if (this.pending.length < end) return;
    const head = this.head!;
    const body = new Uint8Array(this.pending.subarray(this.headLength, end));
    this.pending = this.pending.subarray(end);
    this.phase = "answering";
    void this.answer(head, body);
  }

  private answer(head: RequestHead, body: Uint8Array<ArrayBuffer>): Promise<void> {
    return this.respond(head, () => this.route(head, body));
  }

  /** The answer `make` gives to `head`, sent; then the next request, or the close. */
  private async respond(head: RequestHead, make: () => Promise<Response | FileAnswer | "upgraded">): Promise<void> {
    let res: Response | FileAnswer | "upgraded";
    try {
      res = await make();
    } catch (err) {
      this.options.env.log(`! web: ${(err as Error).message}`);
      res = new Response("Something went wrong on the server.\n", { status: 500 });
    }
    if (res === "upgraded" || (this.phase as Phase) === "closing") return;
    const close = !keepsAlive(head) || this.peerDone || this.options.gate.stopping;
    if (!(res instanceof Response)) return this.sendFile(head, res, close);
    const bytes = await responseBytes(res, close, head.method === "HEAD");
    if ((this.phase as Phase) === "closing") return;
    this.reply(bytes, close);
    if (close) return;
    this.phase = "head";
    this.head = undefined;
    this.since = this.options.env.clock.now();
    this.next(); // a request sent right behind it (pipelined)
  }

  /** A Host that is not this server's (DNS rebinding): 421 with the flag that would make it one, counted; else undefined. */
  private misdirected(host: string): BadRequest | undefined {
    if (this.knownHost(host)) return undefined;
    this.options.routes.refused("host");
    const name = hostName(host);
    return {
      status: 421,
      why: `This server does not answer to the name ${name || "(none)"}. If it is this server's name, start it with --web-host ${name || "<name>"}; IP addresses and localhost always work.`,
    };
  }

  private async route(head: RequestHead, body: Uint8Array<ArrayBuffer>): Promise<Response | FileAnswer | "upgraded"> {
    const { routes, page } = this.options;
    const host = head.headers.get("host") ?? "";
    const misdirected = this.misdirected(host);
    if (misdirected) return text(misdirected.status, misdirected.why);
    const url = new URL(head.target, `${this.options.tls ? "https" : "http"}://${host}`);
    const path = url.pathname;
    if (path === "/ws") return this.upgrade(head, host);
    const req = new Request(url, {
      method: head.method,
      headers: head.headers,
      ...(body.length > 0 && head.method !== "GET" && head.method !== "HEAD" ? { body } : {}),
    });
    if (path.startsWith("/files/") && (head.method === "GET" || head.method === "HEAD")) {
      const file = routes.files ? await routes.files.serve(path, url.searchParams.get("k")) : { status: 404, why: "This server takes no files." };
      if (file) return "path" in file ? file : text(file.status, file.why);
    }
    const api = routes.api(req, path, this.address);
    if (api) return api;
    if (head.method !== "GET" && head.method !== "HEAD") return text(405, "Only GET here.", { allow: "GET, HEAD" });
    const asset = page.assets.get(path);
    if (asset) return assetResponse(asset, head.headers.get("accept-encoding"));
    if (path === "/healthz") {
      const health = routes.health();
      return text(health.ok ? 200 : 503, health.why);
    }
    if (path === "/metrics") {
      return new Response(routes.metrics(), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } });
    }
    return text(404, `Nothing at ${path}.`);
  }

  /** /ws: the handshake checked and answered, and a session from now on. */
  private upgrade(head: RequestHead, host: string): Response | "upgraded" {
    const { headers } = head;
    const origin = headers.get("origin");
    const scheme = this.options.tls ? "https" : "http";
    if (origin !== null && !sameOrigin(origin, scheme, host)) {
      this.options.routes.refused("origin");
      return text(403, `This WebSocket takes pages from ${scheme}://${host} only, not ${origin}.`);
    }
    const wanted = (name: string, token: string) => (headers.get(name) ?? "").toLowerCase().split(",").some((t) => t.trim() === token);
    if (head.method !== "GET" || !wanted("upgrade", "websocket") || !wanted("connection", "upgrade")) {
      return text(426, "This is bunchat's WebSocket: connect with a WebSocket client, or open / in a browser.", { upgrade: "websocket" });
    }
    if (headers.get("sec-websocket-version") !== "13") {
      return text(426, "Only WebSocket version 13 is spoken here.", { "sec-websocket-version": "13" });
    }
    const key = headers.get("sec-websocket-key") ?? undefined;
    if (!isWebSocketKey(key)) return text(400, "The WebSocket handshake needs a Sec-WebSocket-Key.");
    this.send(handshakeBytes(key));
    const { env, gate } = this.options;
    this.link = new FrameWriter(this);
    const session = new Session(env, this.link, this.address, this.port, "web", native);
    this.session = session;
    this.frames = new FrameReader(
      {
        data: (bytes, end) => {
          if (bytes.length > 0) {
            session.receive(bytes);
            this.lastByte = bytes[bytes.length - 1]!;
          }
          // A message is a line, or several; its last line needs no "\n".
          if (end && this.lastByte !== 0x0a) session.receive(NEWLINE);
          if (end) this.lastByte = 0x0a;
        },
        ping: (payload) => this.link!.sendControl(OPCODE.pong, payload),
        close: () => session.peerEnded(), // the close frame answers it, once what it sent is handled
        fail: (code, why) => {
          this.link!.close(code, why);
          this.endSocket();
        },
      },
      wsMaxMessage(env.limits),
    );
    this.phase = "websocket";
    gate.upgrade(this, session);
    session.speakJson(); // a WebSocket speaks JSON from its first line: no plain-text greeting
    // "/ws?echo=1" (the page): its own lines come back to it as everyone else gets them, with their ids.
    if (new URL(head.target, "http://x").searchParams.get("echo") === "1") session.echo = true;
    gate.welcome(session);
    const early = this.pending; // a first message sent right behind the handshake
    this.pending = new Uint8Array(0);
    if (early.length > 0) this.frames.push(early);
    return "upgraded";
  }

  /** Whether the Host header names this server: an IP address, localhost, or a --web-host name. */
  private knownHost(host: string): boolean {
    const name = hostName(host);
    if (name === "") return false;
    if (name === "localhost" || /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.startsWith("[")) return true;
    return this.options.names.some((n) => n.toLowerCase() === name);
  }

  // Uploads: the head decides (the sender, the size) before the body is read; the body goes to disk.

  private startUpload(head: RequestHead, end: number, hasLength: boolean): void {
    const files = this.options.routes.files;
    const misdirected = this.misdirected(head.headers.get("host") ?? "");
    if (misdirected) return this.refuse(misdirected);
    if (!files) return this.refuse({ status: 404, why: "This server takes no files (it was started without --files)." });
    if (!hasLength) return this.refuse({ status: 411, why: "Send an upload with a Content-Length." });
    if (this.bodyLength > files.maxBody) return this.refuse({ status: 413, why: `A file is at most ${files.maxFileBytes} bytes here; that upload is ${this.bodyLength}.` });
    const boundary = MultipartSink.boundaryOf(head.headers.get("content-type"));
    if (!boundary) return this.refuse({ status: 400, why: "Send the file as multipart/form-data, in a field named file (curl -F file=@<path>)." });
    const room = uploadRoom(head.target.split("?")[0]!);
    if (typeof room !== "string") return this.refuse({ status: 404, why: room.problem });
    this.head = head;
    this.phase = "upload";
    this.upload = { read: 0 };
    const early = this.pending.subarray(end);
    this.pending = new Uint8Array(0);
    const upload = this.upload;
    void files.uploader(head.headers, room, this.address).then((up) => {
      if (this.upload !== upload || (this.phase as Phase) !== "upload") return;
      if (up instanceof Response) {
        this.upload = undefined;
        // The body is not read: the answer closes the connection.
        return void responseBytes(up, true, false).then((bytes) => this.reply(bytes, true));
      }
      upload.up = up;
      upload.temp = files.temp();
      upload.sink = new MultipartSink(boundary, upload.temp, files.maxFileBytes);
      if (head.headers.get("expect")?.toLowerCase() === "100-continue") this.send(new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n"));
      const held = this.pending; // what came meanwhile, from the first byte after the head
      this.pending = new Uint8Array(0);
      if (held.length > 0) this.uploadBytes(held);
    });
    if (early.length > 0) this.pending = early.slice();
  }

  /** Body bytes of an upload: to its sink once its sender is let in (held until then, bounded); then its answer. */
  private uploadBytes(chunk: Uint8Array): void {
    const upload = this.upload;
    if (!upload) return;
    this.since = this.options.env.clock.now(); // an upload may take a while: it must keep coming
    if (!upload.sink) {
      this.pending = this.pending.length === 0 ? chunk.slice() : Buffer.concat([this.pending, chunk]);
      if (this.pending.length > UPLOAD_OVERHEAD * 16) {
        this.upload = undefined;
        this.refuse({ status: 417, why: "Wait for 100 Continue before sending an upload's body." });
      }
      return;
    }
    const want = this.bodyLength - upload.read;
    const body = chunk.length > want ? chunk.subarray(0, want) : chunk;
    upload.read += body.length;
    upload.sink.write(body);
    if (upload.read < this.bodyLength) return;
    if (chunk.length > want) this.pending = chunk.slice(want); // the next request, pipelined
    const got = upload.sink.end();
    if ("problem" in got) this.options.routes.files!.discard({ path: upload.temp!.path });
    upload.temp = undefined; // kept or discarded from here on
    this.upload = undefined;
    this.phase = "answering";
    const head = this.head!;
    void this.respond(head, () => this.options.routes.files!.uploaded(upload.up!, got));
  }

  /** A file from disk: its head, then its bytes as the socket takes them (never all in memory). */
  private sendFile(head: RequestHead, file: FileAnswer, close: boolean): void {
    if (close) {
      this.phase = "closing";
      this.endAfter = true;
    }
    const headOnly = head.method === "HEAD";
    this.send(fileHead(file, close));
    let fd: number;
    try {
      fd = openSync(file.path, "r");
    } catch {
      this.phase = "closing";
      return this.endSocket(); // gone since it was checked: the answer can't be finished
    }
    this.streaming = { fd, offset: headOnly ? file.size : 0, size: file.size, close };
    this.pump();
  }

  /** Sends the next chunks of the file being sent, while the socket takes them; then the next request. */
  private pump(): void {
    const s = this.streaming;
    if (!s) return;
    while (this.out.length === 0 && s.offset < s.size) {
      const chunk = new Uint8Array(Math.min(64 * 1024, s.size - s.offset));
      const n = readSync(s.fd, chunk, 0, chunk.length, s.offset);
      if (n <= 0) break;
      s.offset += n;
      this.send(chunk.subarray(0, n));
    }
    if (s.offset < s.size && this.out.length > 0) return; // the socket's drain calls again
    closeSync(s.fd);
    this.streaming = undefined;
    if (s.close) {
      if (this.out.length === 0) this.socket.end();
      return;
    }
    this.phase = "head";
    this.head = undefined;
    this.since = this.options.env.clock.now();
    this.next();
  }

  // Writing. Answers go whole, or wait for the socket's drain; a session's bytes go through its link.

  /** Writable, for the session's frames: whatever answer bytes wait go first. */
  write(data: Uint8Array): number {
    if (this.out.length > 0 && !this.flush()) return 0;
    return this.socket.write(data);
  }

  end(): void {
    this.endSocket();
  }

  terminate(): void {
    this.socket.terminate();
  }

  private send(bytes: Uint8Array): void {
    if (this.out.length > 0) return void this.out.push(bytes);
    const n = this.socket.write(bytes);
    if (n >= 0 && n < bytes.length) this.out.push(bytes.subarray(n));
  }

  /** Writes what waits; true once nothing does. */
  private flush(): boolean {
    while (this.out.length > 0) {
      const next = this.out[0]!;
      const n = this.socket.write(next);
      if (n < 0) {
        this.out = [];
        return true;
      }
      if (n < next.length) {
        this.out[0] = next.subarray(n);
        return false;
      }
      this.out.shift();
    }
    if (this.endAfter) this.socket.end();
    return true;
  }

  /** An answer; `close`: the last one, the connection closes once it is out. */
  private reply(bytes: Uint8Array, close: boolean): void {
    if (close) {
      this.phase = "closing";
      this.endAfter = true;
    }
    this.send(bytes);
    if (close && this.out.length === 0) this.socket.end();
  }

  private refuse(bad: BadRequest): void {
    this.reply(plainBytes(bad.status, bad.why), true);
  }

  private endSocket(): void {
    this.endAfter = true;
    if (this.out.length === 0) this.socket.end();
  }

  private close(): void {
    this.phase = "closing";
    this.endSocket();
  }

  drain(): void {
    this.flush();
    if (this.streaming) this.pump();
    this.link?.drain();
    this.session?.outbox.drain();
  }

  /** The peer sent its FIN: a request in progress is still answered; a session leaves. */
  peerEnded(): void {
    this.peerDone = true;
    if (this.session) return this.session.peerEnded();
    if (this.phase === "head" && this.pending.length === 0) this.close();
  }

  closed(): void {
    this.all.delete(this);
    if (this.upload?.temp) this.options.routes.files?.discard(this.upload.temp); // cut off mid-upload: its bytes go
    this.upload = undefined;
    if (this.streaming) closeSync(this.streaming.fd);
    this.streaming = undefined;
    if (this.waitingToBeRefused) this.door.refusedWaiting--;
    this.waitingToBeRefused = false;
    this.phase = "closing";
    if (this.session) this.options.gate.closed(this.session);
    else if (this.counted) this.options.gate.release(this);
    this.counted = false;
  }

  /** Once a second: a request that has not come in time is refused (408); an idle kept-alive connection closed. */
  sweep(now: number): void {
    if (this.phase === "upload" && now - this.since > this.options.env.limits.httpRequestMs) {
      if (this.upload?.temp) this.options.routes.files?.discard(this.upload.temp);
      this.upload = undefined;
      return this.refuse({ status: 408, why: `An upload sent nothing for ${this.options.env.limits.httpRequestMs / 1000} s; it was dropped.` });
    }
    if (this.phase !== "head" && this.phase !== "body") return;
    if (this.waitingToBeRefused && now - this.since > REFUSED_WAIT_MS) return this.refused();
    if (now - this.since <= this.options.env.limits.httpRequestMs) return;
    if (this.phase === "head" && this.pending.length === 0) return this.close();
    this.refuse({ status: 408, why: `A request must come whole within ${this.options.env.limits.httpRequestMs / 1000} s.` });
  }
}

/** The head of a file's answer: its status line, its headers, its length. */
function fileHead(file: FileAnswer, close: boolean): Uint8Array {
  let head = `HTTP/1.1 200 OK\r\n`;
  for (const [name, value] of Object.entries(file.headers)) head += `${name}: ${value}\r\n`;
  head += `content-length: ${file.size}\r\n${close ? "connection: close\r\n" : ""}\r\n`;
  return new TextEncoder().encode(head);
}

/** The answer to a WebSocket handshake with this key. */
function handshakeBytes(key: string): Uint8Array {
  return new TextEncoder().encode(
    `HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${acceptKey(key)}\r\n\r\n`,
  );
}

/** The name in a Host header, lower case, without its port ("[::1]" for IPv6). */
function hostName(host: string): string {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+)(?::\d{1,5})?$/.exec(host.trim());
  return m ? m[1]!.toLowerCase() : "";
}

/** Whether a page at `origin` came from this server: the same scheme, and the Host the browser sent. */
function sameOrigin(origin: string, scheme: "http" | "https", host: string): boolean {
  try {
    const url = new URL(origin);
    return url.protocol === `${scheme}:` && url.host === new URL(`${scheme}://${host}`).host;
  } catch {
    return false;
  }
}

/** A short plain-text answer. */
function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(`${body}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8", ...PAGE_HEADERS, ...headers } });
}
