#!/usr/bin/env bun
// bunchat: the terminal client. Flags and start-up only; the client is in src/client/.

import { parseFlags, parsePort, runMain, UsageError } from "./src/cli.ts";
import { runClient } from "./src/client/app.ts";
import { helpLines } from "./src/protocol/codec.ts";
import { DEFAULT_CLIENT_HOST, DEFAULT_PORT } from "./src/protocol/limits.ts";
import { VERSION } from "./src/version.ts";

const HELP = `bunchat ${VERSION}: the terminal client for bunchat-server.

Usage: bunchat [--host <address>] [--port <port>] [--name <username>]

Options:
  --host <address>   server to connect to (default ${DEFAULT_CLIENT_HOST})
  --port <port>      server port (default ${DEFAULT_PORT})
  --name <username>  join with this name instead of being asked
  -h, --help         show this help
  -v, --version      show the version

In the chat:
${helpLines()
  .map((l) => `  ${l}`)
  .join("\n")}
  Ctrl-C, Ctrl-D        leave

If the server needs a password, it is taken from BUNCHAT_PASSWORD, or asked for (not echoed).

With stdin not a terminal, each input line is sent (the first is the name unless --name
is given), every incoming message is printed as a plain line, and the client exits 0 at
quit or end of input. Colours are off when NO_COLOR is set or output is not a terminal.
Exit status: 0 after quit; 1 if the server can't be reached, goes away or refuses the name;
2 for bad flags.

Examples:
  bunchat --host chat.example.org --name Sam
  printf 'hello from cron\\n' | bunchat --name cronbot
`;

await runMain("bunchat", async () => {
  const flags = parseFlags(process.argv.slice(2), {
    host: { type: "string" },
    port: { type: "string" },
    name: { type: "string" },
    help: { type: "boolean", short: "h" },
    version: { type: "boolean", short: "v" },
  });
  if (flags.help) return void process.stdout.write(HELP);
  if (flags.version) return void process.stdout.write(`bunchat ${VERSION}\n`);
  if (flags.host === "") throw new UsageError("--host can't be empty.");

  const noColor = (process.env.NO_COLOR ?? "") !== "";
  const code = await runClient({
    host: flags.host ?? DEFAULT_CLIENT_HOST,
    port: parsePort(flags.port, DEFAULT_PORT, false),
    name: flags.name,
    password: process.env.BUNCHAT_PASSWORD,
    interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
    color: Boolean(process.stdout.isTTY) && !noColor,
    timestamps: Boolean(process.stdout.isTTY),
  });
  // Let everything printed reach the terminal or pipe before exiting.
  await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
  process.exit(code);
});
