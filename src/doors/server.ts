// Wires Bun.listen to sessions: each socket's state lives in socket.data, and the handlers
// only pass bytes and events through. Also owns the connection caps, the once-a-second sweep
// for deadlines, and the graceful shutdown.

import type { TCPSocketListener } from "bun";
import type { ErrorEvent } from "../protocol/events.ts";
import { KEEPALIVE_IDLE_MS, SERVER_LIMITS, type ServerLimits } from "../protocol/limits.ts";
import { type Clock, every, SYSTEM_CLOCK } from "../net/clock.ts";
import { OutboxPool } from "../net/outbox.ts";
import { PerAddress } from "../session/per-address.ts";
import { Admission } from "./admission.ts";
import { ChatLog, LogDigest, type Repeat } from "../session/log-digest.ts";
import { networkOf } from "../session/network.ts";
import type { NodeBus } from "../cluster/roster.ts";
import type { Hub } from "../core/hub.ts";
import { Session } from "../session/session.ts";
import { ircAdapter } from "./irc/door.ts";
import { native } from "../session/native.ts";
import { Pipes } from "./pipes.ts";
import type { HttpRoutes, WebPeer } from "./web/connection.ts";
import { startWeb } from "./web/door.ts";
import { Api } from "./web/api.ts";
import { serveFile, UPLOAD_OVERHEAD } from "./web/files.ts";
import { metricsText } from "./web/metrics.ts";
import type { Door } from "../session/env.ts";
import { buildPage, type Page } from "../web/page.ts";
import { LOGIN_BURST } from "../session/registration.ts";
import { sameDigest, sha256 } from "../session/secrets.ts";
import { type HistoryStatus, then } from "../store/history.ts";
import { RETRY_MS } from "../store/sqlite/history.ts";

export interface ServerOptions {
  host: string;
  port: number;
  /** One line of the server's log (no trailing newline). */
  log(line: string): void;
  now?(): number;
  /** Time and timers for every deadline and the sweep; `now` alone: the wall clock's timers. */
  clock?: Clock;
  limits?: Partial<ServerLimits>;
  /** How often deadlines (registration, closing, pings) are checked. */
  sweepMs?: number;
  /** Repeated log lines from one network are summed up per this long (default 10 s). */
  logWindowMs?: number;
  /** Users must give this before choosing a name. */
  password?: string;
  /** Serve TLS instead of plain TCP: PEM text of the certificate chain and the private key. */
  tls?: { cert: string; key: string };
  /** The IRC door: a port for IRC clients (0: any free one), and one for IRC over TLS (with `tls`'s certificate). */
  ircPort?: number;
  ircTlsPort?: number;
  /** The server's name to IRC clients (default "bunchat"). */
  ircName?: string;
  /** The web door: the browser client, its WebSocket, the HTTP API, /healthz and /metrics (HTTPS with `tls`). */
  httpPort?: number;
  /** Names the web door answers to besides IP addresses and localhost (--web-host). */
  webHosts?: readonly string[];
  /**
   * Cluster mode: this server is one node of a chat shared with others, reached through this bus
   * (Redis, or memory between servers of one process), started already on `hub`.
   */
  bus?: NodeBus;
  /** The chat these doors lead to (src/app.ts builds it with its stores and bus). */
  hub: Hub;
}

export interface ChatServer {
  readonly hostname: string;
  readonly port: number;
  /** The IRC door's ports, when it is open. */
  readonly ircPort?: number;
  readonly ircTlsPort?: number;
  /** The web door's port, when it is open. */
  readonly httpPort?: number;
  /** The browser client as served (its weight, for the log). */
  readonly page?: Page;
  readonly hub: Hub;
  /** This server's node id, when it is a node of a cluster. */
  readonly node?: string;
  /** Open connections, joined or not, not counting ones refused at the door. */
  readonly connections: number;
  /** Tells every client, flushes, closes. Resolves when all are closed (or the grace period is over). */
  shutdown(): Promise<void>;
}

export function startServer(options: ServerOptions): ChatServer {
  const bus = options.bus;
  const limits: ServerLimits = { ...SERVER_LIMITS, ...options.limits };
  const hub = options.hub;
  // An admin name nobody has registered yet must not go to whoever registers it first.
  const accounts = hub.accounts;
  if (accounts) void hub.admins.announce((key) => then(accounts.get(key), (a) => a !== undefined), options.log);
  // Every deadline runs on this clock (the sweep too): tests move it instead of sleeping.
  const clock: Clock = options.clock ?? { now: options.now ?? Date.now, later: SYSTEM_CLOCK.later };
  const now = () => clock.now();
  const attempts = new PerAddress(limits.attemptBurst, 1000 / limits.attemptEveryMs);
  // Wrong passwords per registered name, from any address: a brute force spread over many is slowed too.
  const logins = new PerAddress(LOGIN_BURST, 1000 / limits.attemptEveryMs);
  const digest = new LogDigest(options.log, options.logWindowMs);
  const chatLog = new ChatLog(options.log);
  const network = (address: string) => networkOf(address, limits.networkBits);
  const outboxes = new OutboxPool(limits.maxOutboxTotalBytes, options.log);
  const env = {
    hub,
    limits,
    attempts,
    logins,
    tls: false,
    ...(options.ircName ? { ircName: options.ircName } : {}),
    outboxes,
    checkPassword: passwordChecker(options.password),
    log: options.log,
    logRepeat: (repeat: Repeat, address: string, line: string) => digest.note(repeat, network(address), line, now()),
    chatLog,
    clock,
  };
  // Connections over TLS (bunchat's port with --tls-cert, or the IRC TLS port) need no warning that a password travels in the clear.
  const tlsEnv = { ...env, tls: true };
  const sessions = new Set<Session>();
  // Connections of other nodes piped here, to a user of this node (doors/pipes.ts): sessions of
  // this server (swept, stopped with it), not counted at its door (the node they came to did).
  // No server password asked again: that node asked it.
  const pipes = bus
    ? new Pipes(bus, {
        session: (address, door, out) => {
          const session = new Session({ ...env, checkPassword: undefined, pipes: undefined }, out, address, 0, door, native);
          sessions.add(session);
          return session;
        },
        released: (session) => {
          session.closed();
          sessions.delete(session);
          if (sessions.size === 0) allClosed?.();
        },
        log: options.log,
        later: (ms, f) => clock.later(ms, f),
      })
    : undefined;
  if (pipes) for (const e of [env, tlsEnv]) Object.assign(e, { pipes });
  /** The web door's connections that are not sessions: plain HTTP requests, counted like any connection. */
  const webPeers = new Set<WebPeer>();
  /** The caps every door shares: connections in all, per address, per network, new ones a second. */
  const admission = new Admission(limits, network, now);
  /** TLS connections still in their handshake: when they connected, and their refusal if they have one. */
  const handshaking = new Map<Session, { since: number; refusal: ErrorEvent | undefined }>();
  let allClosed: (() => void) | undefined;
  let stopping: Promise<void> | undefined;

  /**
   * A listening socket for one door: bunchat's own protocol, or IRC; plain or TLS. Every door's
   * connections share the caps, the deadlines and the shutdown.
   */
  const listen = (port: number, tls: ServerOptions["tls"], irc: boolean): TCPSocketListener<Session> =>
    Bun.listen<Session>({
      hostname: options.host,
      port,
      // Keep writing after the peer's FIN: `printf 'sam\nhi\n' | nc -N` must still get its replies.
      allowHalfOpen: true,
      ...(tls ? { tls } : {}),
      socket: {
        open(socket) {
          const doorEnv = tls ? tlsEnv : env;
          const session = irc
            ? new Session(doorEnv, socket, socket.remoteAddress, socket.remotePort, "irc", ircAdapter)
            : new Session(doorEnv, socket, socket.remoteAddress, socket.remotePort, "tcp", native);
          socket.data = session;
          session.localAddress = socket.localAddress;
          // A peer that vanished without a FIN (pulled cable, dead Wi-Fi) stops acknowledging probes.
          socket.setKeepAlive(true, KEEPALIVE_IDLE_MS);
          // Counted at once, so a crowd of handshakes can't get past the caps; but over TLS nothing
          // can be said before the handshake, so the greeting or refusal waits for it.
          const refusal = stopping ? undefined : door(session);
          if (tls) handshaking.set(session, { since: now(), refusal });
          else welcome(session, refusal);
        },
        handshake(socket, ok, err) {
          const waiting = handshaking.get(socket.data);
          handshaking.delete(socket.data);
          // On a server, `ok` is false only when the handshake itself failed; Bun then closes the socket.
          if (ok) return welcome(socket.data, waiting?.refusal);
          const plain = /WRONG_VERSION_NUMBER|HTTP_REQUEST/.test(err?.message ?? "") ? " (a plain-text client?)" : "";
          env.logRepeat(
            FAILED_HANDSHAKE,
            socket.data.address,
            `! ${socket.data.peer}: TLS handshake failed${plain}: ${err?.message ?? "unknown error"}`,
          );
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
          handshaking.delete(socket.data);
          release(socket.data);
        },
        error(socket, err) {
          options.log(`! connection ${socket.data?.peer ?? "?"}: ${err.message}`);
        },
      },
    });
  const listeners: { stop(force: boolean): unknown }[] = [];
  /** Opens one door; when one can't be (its port taken), those opened already are closed again. */
  const open = <L extends { stop(force: boolean): unknown }>(make: () => L): L => {
    try {
      const door = make();
      listeners.push(door);
      return door;
    } catch (err) {
      for (const l of listeners) l.stop(true);
      throw err;
    }
  };
  const listener = open(() => listen(options.port, options.tls, false));
  const irc = options.ircPort === undefined ? undefined : open(() => listen(options.ircPort!, undefined, true));
  const ircTls = options.ircTlsPort === undefined || !options.tls ? undefined : open(() => listen(options.ircTlsPort!, options.tls, true));
  const page = options.httpPort === undefined ? undefined : buildPage();
  const api = options.httpPort === undefined ? undefined : new Api({ hub, limits, clock, attempts, log: options.log, logRepeat: env.logRepeat, chatLog });
  /** Connections turned away at a door, by reason (/metrics). */
  const refused: Record<string, number> = {};
  const httpPort = options.httpPort;
  const web =
    httpPort === undefined || !page
      ? undefined
      : open(() => startWeb({
          host: options.host,
          port: httpPort,
          ...(options.tls ? { tls: options.tls } : {}),
          env: options.tls ? tlsEnv : env,
          gate: {
            admit(peer) {
              const refusal = admission.refusal(peer.address, sessions.size + webPeers.size);
              if (refusal) return refusal;
              webPeers.add(peer);
              admission.counted(peer.address);
              return undefined;
            },
            refusedAtDoor(peer, port, refusal) {
              env.logRepeat(REFUSED, peer.address, `! refused ${peer.address}:${port} (web): ${refusal.code}`);
              refused[refusal.code] = (refused[refusal.code] ?? 0) + 1;
            },
            release(peer) {
              if (webPeers.delete(peer)) admission.uncounted(peer.address);
            },
            upgrade(peer, session) {
              webPeers.delete(peer); // counted from now on as the session it became
              sessions.add(session);
            },
            welcome: (session) => welcome(session, undefined),
            closed: release,
            get stopping() {
              return stopping !== undefined;
            },
          },
          routes: httpRoutes(),
          page,
          names: options.webHosts ?? [],
        }));
  // Links to files name the web door (and the name users know it by, when given).
  if (web && hub.files) hub.files.door = { port: web.port, tls: options.tls !== undefined, ...(options.webHosts?.[0] ? { host: options.webHosts[0] } : {}) };

  /** What the web door answers besides the page and the chat. */
  function httpRoutes(): HttpRoutes {
    const health = () =>
      stopping
        ? { ok: false, why: "shutting down" }
        : bus && !bus.connected
          ? { ok: false, why: "this cluster node has lost Redis" }
          : { ok: true, why: "ok" };
    const files = hub.files;
    return {
      api: (req, path, address) => api?.handle(req, path, address),
      ...(files && api
        ? {
            files: {
              maxBody: files.config.maxFileBytes + UPLOAD_OVERHEAD,
              maxFileBytes: files.config.maxFileBytes,
              uploader: (headers, room, address) => api.uploader(headers, room, address),
              uploaded: (up, got) => api.uploaded(up, got),
              temp: () => files.blobs.temp(),
              discard: (temp) => files.blobs.discard(temp),
              serve: (path, key) => serveFile(hub, files, path, key, clock.now()),
            },
          }
        : {}),
      health,
      refused: (reason) => void (refused[reason] = (refused[reason] ?? 0) + 1),
      metrics: () => {
        const users: Record<Door, number> = { tcp: 0, irc: 0, web: 0 };
        for (const s of sessions) if (s.joined) users[s.door]++;
        return metricsText({
          users,
          everyone: hub.size,
          rooms: hub.roomCount,
          connections: sessions.size + webPeers.size,
          linesIn: hub.linesIn,
          delivered: hub.delivered,
          bytesOut: outboxes.written,
          refused,
          slowDropped: outboxes.dropped,
          heldBytes: outboxes.bytes,
          history: hub.history?.writes,
          cluster: bus?.stats,
          api: api?.counts,
          healthy: health().ok,
        });
      },
    };
  }

  /** A connection is closed, whichever door it came by: it leaves, and is no longer counted. */
  function release(session: Session): void {
    session.closed();
    if (!sessions.delete(session)) return; // refused at the door: never counted
    admission.uncounted(session.address);
    if (sessions.size === 0) allClosed?.();
  }

  /** A new connection: its refusal if it is turned away, otherwise it is counted. */
  function door(session: Session): ErrorEvent | undefined {
    const refusal = admission.refusal(session.address, sessions.size + webPeers.size);
    if (refusal) return refusal;
    sessions.add(session);
    admission.counted(session.address);
    return undefined;
  }

  /** The first words to a connection, once it can hear them: a greeting, a refusal, or goodbye. */
  function welcome(session: Session, refusal: ErrorEvent | undefined): void {
    if (stopping) return session.shutdown();
    if (!refusal) return session.greet();
    env.logRepeat(REFUSED, session.address, `! refused ${session.peer}: ${refusal.code}`);
    refused[refusal.code] = (refused[refusal.code] ?? 0) + 1;
    session.refuse(refusal);
  }

  // A burst (10,000 people joining: 50M join notices) leaves a heap of garbage that the collector,
  // which runs as memory is allocated, would leave in place once the room goes quiet. Collect it
  // when traffic stops after that much output, so an idle server gives the memory back.
  const IDLE_GC_AFTER_BYTES = 64 * 1024 * 1024;
  let sinceGc = 0;
  let lastWritten = outboxes.written;
  const sweepMs = options.sweepMs ?? 1000;
  let lastSweep = now();
  const sweeper = every(clock, sweepMs, () => {
    const t = now();
    // A sweep this late means the process was stopped (SIGSTOP, a suspended VM) or starved: what
    // clients sent meanwhile is still unread in the sockets. Judge no deadline before reading it;
    // the next sweep comes after the reads.
    const gap = t - lastSweep;
    lastSweep = t;
    const delta = outboxes.written - lastWritten;
    lastWritten += delta;
    sinceGc += delta;
    if (delta === 0 && sinceGc > IDLE_GC_AFTER_BYTES) {
      sinceGc = 0;
      Bun.gc(true);
    }
    if (gap > Math.max(2 * sweepMs, sweepMs + 1000)) {
      return options.log(
        `! the server was stopped or starved for ${gap} ms; deadlines wait until what came meanwhile is read`,
      );
    }
    for (const session of sessions) session.sweep(t);
    web?.sweep(t);
    for (const [session, { since }] of handshaking) {
      if (t - since > limits.handshakeTimeoutMs) session.outbox.terminate();
    }
    attempts.sweep(t);
    api?.sweep(t);
    hub.files?.sweep(t);
    logins.sweep(t);
    admission.sweep(t);
    digest.sweep(t);
    chatLog.sweep(t);
  });

  return {
    hostname: listener.hostname,
    port: listener.port,
    ...(irc ? { ircPort: irc.port } : {}),
    ...(ircTls ? { ircTlsPort: ircTls.port } : {}),
    ...(web ? { httpPort: web.port } : {}),
    ...(page ? { page } : {}),
    ...(bus ? { node: bus.node } : {}),
    hub,
    get connections() {
      return sessions.size + webPeers.size;
    },
    shutdown() {
      stopping ??= (async () => {
        sweeper.cancel();
        // No new connections; existing ones get their notice first. The web door stays open to the
        // end, so that /healthz says 503 to a load balancer meanwhile (its WebSockets are told goodbye).
        for (const l of listeners) if (l !== web) l.stop(false);
        options.log(`shutting down: telling ${sessions.size} connection(s)`);
        if (bus) {
          // Connections piped here from other nodes, and from here to others, are told first, while the cluster carries it.
          pipes?.stop();
          // Other nodes' users see ours leave; only people here hear that this server is stopping.
          await bus.stop();
          options.log(`cluster: left; ${bus.summary()}`);
        }
        const closed = new Promise<void>((resolve) => {
          allClosed = resolve;
        });
        for (const session of sessions) session.shutdown();
        if (sessions.size > 0) {
          let timer: Timer | undefined;
          const grace = new Promise((resolve) => (timer = setTimeout(resolve, limits.shutdownGraceMs)));
          await Promise.race([closed, grace]);
          clearTimeout(timer);
        }
        for (const l of listeners) l.stop(true); // whoever did not read their notice in time is cut off
      })();
      return stopping;
    },
  };
}

/** What users and the log are told when history can't be written, and when it can again. */
export function historyStatus(hub: () => Hub, log: (line: string) => void): HistoryStatus {
  return {
    paused(why) {
      log(`history: paused, can't write: ${why}; chat goes on, retrying every ${RETRY_MS / 1000} s`);
      hub().notice(
        `History is paused: the server can't write it (${why}). Chat goes on; what is said meanwhile is written once it can.`,
        hub().clock.now(),
      );
    },
    resumed() {
      log("history: written again");
      hub().notice("History is being kept again.", hub().clock.now());
    },
  };
}

const FAILED_HANDSHAKE: Repeat = { one: "failed TLS handshake", many: "failed TLS handshakes" };
const REFUSED: Repeat = { one: "connection refused at the door", many: "connections refused at the door" };

/** Compares in constant time: both sides are hashed to the same length first. */
function passwordChecker(password: string | undefined): ((line: string) => boolean) | undefined {
  if (password === undefined) return undefined;
  const expected = sha256(password);
  return (line) => sameDigest(sha256(line), expected);
}
