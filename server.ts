#!/usr/bin/env bun
// bunchat-server: flags, start, signals. The chat itself is in src/server/.

import { parseFlags, parsePort, runMain } from "./src/cli.ts";
import { DEFAULT_PORT, DEFAULT_SERVER_HOST, LIMITS } from "./src/protocol/limits.ts";
import { consoleLog } from "./src/time.ts";
import { startServer } from "./src/server/server.ts";
import { VERSION } from "./src/version.ts";

const HELP = `bunchat-server ${VERSION}: a terminal chat server. Clients: bunchat, nc, telnet.

Usage: bunchat-server [--host <address>] [--port <port>]

Options:
  --host <address>  address to listen on (default ${DEFAULT_SERVER_HOST}: every interface;
                    use 127.0.0.1 to accept only this machine)
  --port <port>     TCP port (default ${DEFAULT_PORT}; 0 picks a free one)
  -h, --help        show this help
  -v, --version     show the version

Limits: lines up to ${LIMITS.maxLineBytes} bytes; names 1-${LIMITS.nameMaxLength} of A-Z a-z 0-9 _ -.
SIGINT or SIGTERM: every client is told, output is flushed, exit 0.

Example:
  bunchat-server --port ${DEFAULT_PORT}
  nc 127.0.0.1 ${DEFAULT_PORT}        # or: bunchat --port ${DEFAULT_PORT} --name Sam
`;

await runMain("bunchat-server", async () => {
  const flags = parseFlags(process.argv.slice(2), {
    host: { type: "string" },
    port: { type: "string" },
    help: { type: "boolean", short: "h" },
    version: { type: "boolean", short: "v" },
  });
  if (flags.help) return void process.stdout.write(HELP);
  if (flags.version) return void process.stdout.write(`bunchat-server ${VERSION}\n`);

  const host = flags.host ?? DEFAULT_SERVER_HOST;
  const port = parsePort(flags.port, DEFAULT_PORT);
  let server;
  try {
    server = startServer({ host, port, log: consoleLog });
  } catch (err) {
    process.stderr.write(`bunchat-server: can't listen on ${host}:${port}: ${(err as Error).message}\n`);
    process.exit(1);
  }
  consoleLog(`bunchat-server ${VERSION} listening on ${server.hostname}:${server.port}`);

  const stop = async (signal: string) => {
    consoleLog(`${signal} received`);
    await server.shutdown();
    consoleLog("stopped");
    process.exit(0);
  };
  let signalled = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (signalled) process.exit(1); // a second signal: stop waiting for slow clients
      signalled = true;
      void stop(signal);
    });
  }
});
