#!/usr/bin/env bun
// bunchat-server: flags, start, signals. The chat itself is in src/ (README: "How the code is laid out").

import { dirname, join } from "node:path";
import { FILES_DEFAULTS } from "./src/core/files.ts";
import { PASSWORD_MIN, Passwords } from "./src/core/passwords.ts";
import { allValues, parseCount, parseFlags, parsePort, runMain, stopSignals, UsageError } from "./src/cli.ts";
import {
  DEFAULT_NODE_TIMEOUT_MS,
  DEFAULT_PORT,
  DEFAULT_ROOM,
  DEFAULT_SERVER_HOST,
  LIMITS,
  SERVER_LIMITS,
} from "./src/protocol/limits.ts";
import { checkName, checkRoom } from "./src/protocol/names.ts";
import { helpOptions, parserOptions, SERVER_FLAGS } from "./src/flags.ts";
import { StdoutLog } from "./src/log.ts";
import { ClusterError } from "./src/cluster/cluster.ts";
import { buildServer } from "./src/app.ts";
import { DEFAULT_DB, DEFAULT_REPLAY, DEFAULT_RETENTION, HISTORY_PAGE_MAX, REPLAY_MEMORY } from "./src/store/history.ts";
import { HistoryOpenError } from "./src/store/sqlite/file.ts";
import { VERSION } from "./src/version.ts";

const HELP = `bunchat-server ${VERSION}: a team chat server. Clients: bunchat, nc or telnet; IRC clients
(--irc-port); a browser and bots over HTTP (--http-port).

Usage: bunchat-server [--host <address>] [--port <port>] [limits]

Options:
${helpOptions(SERVER_FLAGS)}

Everyone starts in ${DEFAULT_ROOM} (--default-room); /join #room, /part, /rooms and /topic work with rooms.
Rooms' lines, actions and topics are kept in ${DEFAULT_DB} (--db); joiners see the last ones,
/history shows more and /search finds them. Private messages are never kept.

Limits: lines up to ${LIMITS.maxLineBytes} bytes; names 1-${LIMITS.nameMaxLength} of A-Z a-z 0-9 _ -; rooms # and
1-${LIMITS.roomNameMaxLength} of a-z 0-9 _ -; topics up to ${LIMITS.topicMaxLength} characters. README.md lists them all.
SIGINT or SIGTERM: every client is told, output is flushed, exit 0 (in a cluster, the users of the
other servers see ours leave).

Examples:
  bunchat-server --port ${DEFAULT_PORT}
  nc 127.0.0.1 ${DEFAULT_PORT}        # or: bunchat --port ${DEFAULT_PORT} --name Sam
  bunchat-server --port 7001 --redis redis://10.0.0.5:6379      # on each machine of a cluster
`;

/** The server's log on stdout; flushLog() on every way out. */
const stdoutLog = new StdoutLog();
const consoleLog = stdoutLog.line;
const flushLog = () => stdoutLog.flush();

await runMain("bunchat-server", async () => {
  const flags = parseFlags(process.argv.slice(2), parserOptions(SERVER_FLAGS));
  if (flags.help) return void process.stdout.write(HELP);
  if (flags.version) return void process.stdout.write(`bunchat-server ${VERSION}\n`);

  const host = flags.host ?? DEFAULT_SERVER_HOST;
  const port = parsePort(flags.port, DEFAULT_PORT);
  const limits = {
    maxClients: parseCount("--max-clients", flags["max-clients"], SERVER_LIMITS.maxClients, 0),
    maxPerIp: parseCount("--max-per-ip", flags["max-per-ip"], SERVER_LIMITS.maxPerIp, 0),
    maxPerNet: parseCount("--max-per-net", flags["max-per-net"], SERVER_LIMITS.maxPerNet, 0),
    maxDevices: parseCount("--max-devices", flags["max-devices"], SERVER_LIMITS.maxDevices, 1),
    networkBits: {
      ipv4: parseCount("--ipv4-net-bits", flags["ipv4-net-bits"], SERVER_LIMITS.networkBits.ipv4, 8, 32),
      ipv6: parseCount("--ipv6-net-bits", flags["ipv6-net-bits"], SERVER_LIMITS.networkBits.ipv6, 16, 128),
    },
    connectsPerSecond: parseCount("--connect-rate", flags["connect-rate"], SERVER_LIMITS.connectsPerSecond, 0),
    connectBurst: parseCount("--connect-burst", flags["connect-burst"], SERVER_LIMITS.connectBurst, 1),
    registerTimeoutMs:
      parseCount("--register-timeout", flags["register-timeout"], SERVER_LIMITS.registerTimeoutMs / 1000, 1) * 1000,
    maxOutboxBytes: parseCount("--max-outbox", flags["max-outbox"], SERVER_LIMITS.maxOutboxBytes / 1024, 1) * 1024,
    maxOutboxTotalBytes:
      parseCount("--max-outbox-total", flags["max-outbox-total"], SERVER_LIMITS.maxOutboxTotalBytes / 1048576, 1) *
      1048576,
    linesPerSecond: parseCount("--flood-rate", flags["flood-rate"], SERVER_LIMITS.linesPerSecond, 0),
    burstLines: parseCount("--flood-burst", flags["flood-burst"], SERVER_LIMITS.burstLines, 1),
    ...pingLimits(parseCount("--ping-interval", flags["ping-interval"], SERVER_LIMITS.pingIdleMs / 1000, 0)),
    maxRooms: parseCount("--max-rooms", flags["max-rooms"], SERVER_LIMITS.maxRooms, 1),
    maxRoomsPerUser: parseCount("--max-rooms-per-user", flags["max-rooms-per-user"], SERVER_LIMITS.maxRoomsPerUser, 1),
    maxMessageBytes: parseCount("--max-message-bytes", flags["max-message-bytes"], SERVER_LIMITS.maxMessageBytes, LIMITS.maxLineBytes, 1024 * 1024),
    maxMessageLines: parseCount("--max-message-lines", flags["max-message-lines"], SERVER_LIMITS.maxMessageLines, 1, 10_000),
  };
  const defaultRoom = checkRoom(flags["default-room"] ?? DEFAULT_ROOM);
  if (!defaultRoom.ok) throw new UsageError(`--default-room: ${defaultRoom.reason}`);
  const password = flags.password ?? process.env.BUNCHAT_PASSWORD;
  if (password === "") throw new UsageError("The password can't be empty.");
  const tls = await readTls(flags["tls-cert"], flags["tls-key"]);
  const ircPort = flags["irc-port"] === undefined ? undefined : parsePort(flags["irc-port"], 0, true, "--irc-port");
  const ircTlsPort = flags["irc-tls-port"] === undefined ? undefined : parsePort(flags["irc-tls-port"], 0, true, "--irc-tls-port");
  if (ircTlsPort !== undefined && !tls) throw new UsageError("--irc-tls-port needs --tls-cert and --tls-key (its certificate).");
  const httpPort = flags["http-port"] === undefined ? undefined : parsePort(flags["http-port"], 0, true, "--http-port");
  const webHosts = allValues(process.argv.slice(2), "web-host");
  for (const name of webHosts) {
    if (!/^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/.test(name)) {
      throw new UsageError(`--web-host is a host name as browsers use it (chat.example.org), not "${name}".`);
    }
  }
  if (webHosts.length > 0 && httpPort === undefined) throw new UsageError("--web-host is for the web door: add --http-port.");
  const ircName = flags["irc-name"];
  if (ircName !== undefined && !/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/.test(ircName)) {
    throw new UsageError(`--irc-name is a host-like name (letters, digits, "." and "-", at most 63), not "${ircName}".`);
  }
  const redis = flags.redis ?? process.env.BUNCHAT_REDIS;
  const nodeTimeoutMs = parseCount("--node-timeout", flags["node-timeout"], DEFAULT_NODE_TIMEOUT_MS / 1000, 1) * 1000;
  if (redis === undefined && (flags["node-id"] !== undefined || flags["node-timeout"] !== undefined)) {
    throw new UsageError("--node-id and --node-timeout are for cluster mode: add --redis <url>.");
  }
  if (redis !== undefined && !/^rediss?:\/\/./.test(redis)) {
    throw new UsageError(`--redis needs a redis:// or rediss:// URL, not "${redis}".`);
  }
  const replayOnJoin = parseCount("--history-on-join", flags["history-on-join"], DEFAULT_REPLAY, 0, HISTORY_PAGE_MAX);
  const retention = {
    linesPerRoom: parseCount("--history-lines", flags["history-lines"], DEFAULT_RETENTION.linesPerRoom, 1),
    days: parseCount("--history-days", flags["history-days"], DEFAULT_RETENTION.days, 0),
  };
  if (redis !== undefined && flags.db !== undefined) {
    throw new UsageError("--db is for one server: a cluster keeps its history in Redis.");
  }
  if (redis !== undefined && flags["replay-memory"] !== undefined) {
    throw new UsageError("--replay-memory is for one server: a cluster reads what joiners are shown from Redis.");
  }
  const keepPrivate = flags["keep-private"] ?? "on";
  if (keepPrivate !== "on" && keepPrivate !== "off") throw new UsageError(`--keep-private is on or off, not "${keepPrivate}".`);
  const db = flags.db ?? DEFAULT_DB;
  if (db === "") throw new UsageError("--db needs a file name, or none.");
  // Files: beside the history file by default; none with --db none or in a cluster unless a directory is given.
  const filesDir = flags.files ?? (redis === undefined && db !== "none" ? join(dirname(db), "bunchat-files") : "none");
  if (filesDir === "") throw new UsageError("--files needs a directory, or none.");
  const guestUploads = flags["guest-uploads"] ?? "off";
  if (guestUploads !== "on" && guestUploads !== "off") throw new UsageError(`--guest-uploads is on or off, not "${guestUploads}".`);
  const files =
    filesDir === "none" || httpPort === undefined
      ? undefined
      : {
          dir: filesDir,
          maxFileBytes: parseCount("--max-file-size", flags["max-file-size"], FILES_DEFAULTS.maxFileBytes / 1048576, 1, 4096) * 1048576,
          quotaBytes: parseCount("--upload-quota", flags["upload-quota"], FILES_DEFAULTS.quotaBytes / 1048576, 1) * 1048576,
          perMinute: parseCount("--uploads-per-minute", flags["uploads-per-minute"], FILES_DEFAULTS.perMinute, 1, 10_000),
          guests: guestUploads === "on",
        };
  const admins = allValues(process.argv.slice(2), "admin");
  for (const name of admins) {
    const check = checkName(name);
    if (!check.ok) throw new UsageError(`--admin ${name}: ${check.reason}`);
  }
  const ringBytes = parseCount("--replay-memory", flags["replay-memory"], REPLAY_MEMORY / 1048576, 1) * 1048576;
  const hashMiB = parseCount("--password-memory", flags["password-memory"], 64, 1, 4096);
  const passwordMin = parseCount("--password-min", flags["password-min"], PASSWORD_MIN, 1, 128);
  let server;
  try {
    server = await buildServer({
      host,
      port,
      ircPort,
      ircTlsPort,
      ircName,
      httpPort,
      webHosts,
      log: consoleLog,
      limits,
      password,
      tls,
      admins,
      passwords: new Passwords({ algorithm: "argon2id", memoryCost: hashMiB * 1024, timeCost: 2 }, undefined, undefined, passwordMin),
      defaultRoom: defaultRoom.name,
      replayOnJoin,
      keepPrivate: keepPrivate === "on",
      ...(files ? { files } : {}),
      // One server: a file here. A cluster: Redis, through the node's connection.
      ...(redis === undefined
        ? { sqlite: { path: db === "none" ? ":memory:" : db, retention, ringSize: replayOnJoin + 1, ringBytes } }
        : { cluster: { redis: { url: redis, nodeId: flags["node-id"], nodeTimeoutMs }, retention } }),
    });
  } catch (err) {
    const { message, code } = err as Error & { code?: string };
    if (err instanceof ClusterError || err instanceof HistoryOpenError) {
      flushLog();
      process.stderr.write(`bunchat-server: ${message}\n`);
      process.exit(1);
    }
    const where = `can't listen on ${host}:${port}`;
    const ports = [port, ircPort, ircTlsPort, httpPort].filter((p) => p !== undefined);
    // OpenSSL's reasons (NO_START_LINE, KEY_VALUES_MISMATCH…) come from the PEM, X.509 and key routines.
    const why = /PEM|X\.509|KEY_VALUES|EVP|RSA|EC routines/i.test(message)
      ? `--tls-cert must be a PEM certificate and --tls-key its PEM private key (${message})`
      : code === "EADDRINUSE"
        ? `${where}: ${ports.length > 1 ? `one of ports ${ports.join(", ")}` : `port ${port}`} is already in use (another bunchat-server?); choose another with --port${ircPort !== undefined ? " or --irc-port" : ""}${httpPort !== undefined ? " or --http-port" : ""}`
        : code === "EADDRNOTAVAIL"
          ? `${where}: ${host} is not an address of this machine; choose one with --host (0.0.0.0: all of them)`
          : code === "EACCES"
            ? `${where}: ports below 1024 need privileges; choose another with --port`
            : `${where}: ${message}`;
    process.stderr.write(`bunchat-server: ${why}\n`);
    process.exit(1);
  }
  const notes = [
    tls ? "TLS" : "plain TCP",
    ...(password ? ["password required"] : []),
    ...(server.node ? [`cluster node ${server.node}`] : []),
    `history in ${server.hub.history?.where}`,
  ].join(", ");
  consoleLog(`bunchat-server ${VERSION} listening on ${server.hostname}:${server.port} (${notes})`);
  if (server.ircPort !== undefined) consoleLog(`IRC door on ${server.hostname}:${server.ircPort} (plain TCP)`);
  if (server.ircTlsPort !== undefined) consoleLog(`IRC door on ${server.hostname}:${server.ircTlsPort} (TLS)`);
  if (server.httpPort !== undefined && server.page) {
    const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    const url = `${tls ? "https" : "http"}://${server.hostname.includes(":") ? `[${server.hostname}]` : server.hostname}:${server.httpPort}/`;
    consoleLog(`web door on ${url} (the page weighs ${kib(server.page.bytes)}, ${kib(server.page.gzipped)} gzipped)`);
  }
  process.on("exit", flushLog); // whatever the way out, the last lines are written
  // What this turn kept, whatever the way out.
  if (redis === undefined) process.on("exit", () => server.hub.history?.close());

  const stop = async (signal: string) => {
    consoleLog(`${signal} received`);
    await server.shutdown();
    consoleLog("stopped");
    flushLog();
    process.exit(0);
  };
  const signals = stopSignals({
    stop: (signal) => void stop(signal),
    hurry: () => {
      flushLog();
      process.exit(1); // a second Ctrl-C: stop waiting for slow clients
    },
    now: Date.now,
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => signals(signal));
  // The listening line at once (scripts and supervisors wait for it), once a signal can stop us cleanly.
  setImmediate(flushLog);
});

/** A silent client is pinged after `seconds`, and dropped after half as long again without an answer. */
function pingLimits(seconds: number) {
  return { pingIdleMs: seconds * 1000, pingTimeoutMs: seconds * 500 };
}

/** The certificate and key as PEM text; both flags or neither. */
async function readTls(certFile: string | undefined, keyFile: string | undefined) {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    throw new UsageError("TLS needs both --tls-cert and --tls-key.");
  }
  const read = async (flag: string, file: string) => {
    try {
      return await Bun.file(file).text();
    } catch (err) {
      throw new UsageError(`${flag}: can't read ${file}: ${(err as Error).message}`);
    }
  };
  return { cert: await read("--tls-cert", certFile), key: await read("--tls-key", keyFile) };
}
