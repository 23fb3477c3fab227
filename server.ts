#!/usr/bin/env bun
// bunchat-server: flags, start, signals. The chat itself is in src/server/.

import { parseCount, parseFlags, parsePort, runMain, UsageError } from "./src/cli.ts";
import { DEFAULT_PORT, DEFAULT_SERVER_HOST, LIMITS, SERVER_LIMITS } from "./src/protocol/limits.ts";
import { consoleLog, flushLog } from "./src/time.ts";
import { Cluster, ClusterError } from "./src/server/cluster.ts";
import { startServer } from "./src/server/server.ts";
import { VERSION } from "./src/version.ts";

const HELP = `bunchat-server ${VERSION}: a terminal chat server. Clients: bunchat, nc, telnet.

Usage: bunchat-server [--host <address>] [--port <port>] [limits]

Options:
  --host <address>            address to listen on (default ${DEFAULT_SERVER_HOST}: every interface;
                              use 127.0.0.1 to accept only this machine)
  --port <port>               TCP port (default ${DEFAULT_PORT}; 0 picks a free one)
  --max-clients <n>           open connections in total (default ${SERVER_LIMITS.maxClients}; 0: no cap)
  --max-per-ip <n>            open connections from one address (default ${SERVER_LIMITS.maxPerIp}; 0: no cap)
  --max-per-net <n>           open connections from one network (default ${SERVER_LIMITS.maxPerNet}; 0: no cap): a
                              crowd of addresses from one provider's block counts together
  --ipv4-net-bits <n>         what makes a network: the leading bits of an IPv4 address
                              (default ${SERVER_LIMITS.networkBits.ipv4}, a /${SERVER_LIMITS.networkBits.ipv4})…
  --ipv6-net-bits <n>         …and of an IPv6 address (default ${SERVER_LIMITS.networkBits.ipv6}, a /${SERVER_LIMITS.networkBits.ipv6})
  --connect-rate <n/s>        new connections one address may open per second (default 10; 0: no
                              limit, for load tests)
  --connect-burst <n>         …and at once before the rate applies (default 64)
  --register-timeout <s>      seconds to choose a name before being closed (default ${SERVER_LIMITS.registerTimeoutMs / 1000})
  --max-outbox <KiB>          output queued for a client that is not reading before it is
                              dropped (default ${SERVER_LIMITS.maxOutboxBytes / 1024})
  --max-outbox-total <MiB>    output queued for all clients together; past it the ones holding
                              the most are dropped (default ${SERVER_LIMITS.maxOutboxTotalBytes / 1048576})
  --flood-rate <lines/s>      lines a client may send per second; faster lines wait, in order
                              (default ${SERVER_LIMITS.linesPerSecond}; 0: no flood control, for load tests)
  --flood-burst <lines>       lines a client may send at once before the rate applies (default ${SERVER_LIMITS.burstLines})
  --ping-interval <s>         ping a silent bundled client after this long; it is dropped if it
                              does not answer within half as long again (default ${SERVER_LIMITS.pingIdleMs / 1000}; 0: never)
  --password <text>           users must give this before choosing a name. Visible in ps: prefer
                              the BUNCHAT_PASSWORD environment variable
  --tls-cert <file>           serve TLS with this certificate chain (PEM)…
  --tls-key <file>            …and this private key (PEM); clients then need bunchat --tls
  --redis <url>               cluster mode: share one chat with every server using this Redis
                              (redis://[:password@]host:port; or the BUNCHAT_REDIS environment
                              variable). Without it the server runs alone, in memory
  --node-id <id>              this server's name in the cluster (default: generated); a server
                              restarted after a crash takes its id over at once
  --node-timeout <s>          a cluster node silent this long is dead: its users' leaves are
                              announced and their names freed (default 10)
  -h, --help                  show this help
  -v, --version               show the version

Limits: lines up to ${LIMITS.maxLineBytes} bytes; names 1-${LIMITS.nameMaxLength} of A-Z a-z 0-9 _ -. README.md lists them all.
SIGINT or SIGTERM: every client is told, output is flushed, exit 0 (in a cluster, the users of the
other servers see ours leave).

Examples:
  bunchat-server --port ${DEFAULT_PORT}
  nc 127.0.0.1 ${DEFAULT_PORT}        # or: bunchat --port ${DEFAULT_PORT} --name Sam
  bunchat-server --port 7001 --redis redis://10.0.0.5:6379      # on each machine of a cluster
`;

await runMain("bunchat-server", async () => {
  const flags = parseFlags(process.argv.slice(2), {
    host: { type: "string" },
    port: { type: "string" },
    "max-clients": { type: "string" },
    "max-per-ip": { type: "string" },
    "max-per-net": { type: "string" },
    "ipv4-net-bits": { type: "string" },
    "ipv6-net-bits": { type: "string" },
    "register-timeout": { type: "string" },
    "max-outbox": { type: "string" },
    "max-outbox-total": { type: "string" },
    "flood-rate": { type: "string" },
    "flood-burst": { type: "string" },
    "ping-interval": { type: "string" },
    password: { type: "string" },
    "connect-rate": { type: "string" },
    "connect-burst": { type: "string" },
    "tls-cert": { type: "string" },
    "tls-key": { type: "string" },
    redis: { type: "string" },
    "node-id": { type: "string" },
    "node-timeout": { type: "string" },
    help: { type: "boolean", short: "h" },
    version: { type: "boolean", short: "v" },
  });
  if (flags.help) return void process.stdout.write(HELP);
  if (flags.version) return void process.stdout.write(`bunchat-server ${VERSION}\n`);

  const host = flags.host ?? DEFAULT_SERVER_HOST;
  const port = parsePort(flags.port, DEFAULT_PORT);
  const limits = {
    maxClients: parseCount("--max-clients", flags["max-clients"], SERVER_LIMITS.maxClients, 0),
    maxPerIp: parseCount("--max-per-ip", flags["max-per-ip"], SERVER_LIMITS.maxPerIp, 0),
    maxPerNet: parseCount("--max-per-net", flags["max-per-net"], SERVER_LIMITS.maxPerNet, 0),
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
  };
  const password = flags.password ?? process.env.BUNCHAT_PASSWORD;
  if (password === "") throw new UsageError("The password can't be empty.");
  const tls = await readTls(flags["tls-cert"], flags["tls-key"]);
  const redis = flags.redis ?? process.env.BUNCHAT_REDIS;
  const nodeTimeoutMs = parseCount("--node-timeout", flags["node-timeout"], 10, 1) * 1000;
  if (redis === undefined && (flags["node-id"] !== undefined || flags["node-timeout"] !== undefined)) {
    throw new UsageError("--node-id and --node-timeout are for cluster mode: add --redis <url>.");
  }
  if (redis !== undefined && !/^rediss?:\/\/./.test(redis)) {
    throw new UsageError(`--redis needs a redis:// or rediss:// URL, not "${redis}".`);
  }
  let cluster: Cluster | undefined;
  if (redis !== undefined) {
    try {
      cluster = await Cluster.start({ url: redis, nodeId: flags["node-id"], nodeTimeoutMs, log: consoleLog });
    } catch (err) {
      if (!(err instanceof ClusterError)) throw err;
      flushLog();
      process.stderr.write(`bunchat-server: ${err.message}\n`);
      process.exit(1);
    }
  }
  let server;
  try {
    server = startServer({ host, port, log: consoleLog, limits, password, tls, cluster });
  } catch (err) {
    const { message, code } = err as Error & { code?: string };
    const where = `can't listen on ${host}:${port}`;
    // OpenSSL's reasons (NO_START_LINE, KEY_VALUES_MISMATCH…) come from the PEM, X.509 and key routines.
    const why = /PEM|X\.509|KEY_VALUES|EVP|RSA|EC routines/i.test(message)
      ? `--tls-cert must be a PEM certificate and --tls-key its PEM private key (${message})`
      : code === "EADDRINUSE"
        ? `${where}: port ${port} is already in use (another bunchat-server?); choose another with --port`
        : code === "EADDRNOTAVAIL"
          ? `${where}: ${host} is not an address of this machine; choose one with --host (0.0.0.0: all of them)`
          : code === "EACCES"
            ? `${where}: ports below 1024 need privileges; choose another with --port`
            : `${where}: ${message}`;
    process.stderr.write(`bunchat-server: ${why}\n`);
    await cluster?.stop(); // gives its node id back at once
    process.exit(1);
  }
  const notes = [
    tls ? "TLS" : "plain TCP",
    ...(password ? ["password required"] : []),
    ...(cluster ? [`cluster node ${cluster.node}`] : []),
  ].join(", ");
  consoleLog(`bunchat-server ${VERSION} listening on ${server.hostname}:${server.port} (${notes})`);

  const stop = async (signal: string) => {
    consoleLog(`${signal} received`);
    await server.shutdown();
    consoleLog("stopped");
    flushLog();
    process.exit(0);
  };
  let signalled = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (signalled) {
        flushLog();
        process.exit(1); // a second signal: stop waiting for slow clients
      }
      signalled = true;
      void stop(signal);
    });
  }
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
