#!/usr/bin/env bun
// bunchat: the terminal client. Flags and start-up only; the client is in src/client/.

import { parseFlags, parsePort, runMain, UsageError } from "./src/cli.ts";
import { runClient } from "./src/client/app.ts";
import { checkName } from "./src/protocol/names.ts";
import { CLIENT_FLAGS, helpOptions, parserOptions } from "./src/flags.ts";
import type { LinkTls } from "./src/client/link.ts";
import { helpLines } from "./src/render/text.ts";
import { terminalLinks } from "./src/render/links.ts";
import { COMMANDS } from "./src/protocol/commands.ts";
import { DEFAULT_CLIENT_HOST, DEFAULT_PORT } from "./src/protocol/limits.ts";
import { VERSION } from "./src/version.ts";

/** The keys of the interactive client, in the table of commands. */
const KEYS = [
  ["Ctrl-C", "clear the line being typed; on an empty line, leave"],
  ["Ctrl-D", "leave"],
  ["Tab", 'complete a command, a #room or someone\'s name (Sa<Tab>: "Sam: "); again: the next match'],
  ["Up, Down", "earlier lines you typed (passwords are not kept)"],
] as const;

const HELP = `bunchat ${VERSION}: the terminal client for bunchat-server.

Usage: bunchat [--host <address>] [--port <port>] [--name <username>] [--tls [--ca <file>] [--insecure]]

Options:
${helpOptions(CLIENT_FLAGS)}

In the chat:
${helpLines(false, KEYS)
  .map((l) => `  ${l}`)
  .join("\n")}

If the server needs a password, it is taken from BUNCHAT_PASSWORD, or asked for (not echoed,
and asked again if it is wrong). A registered name's password (/register) is taken from
BUNCHAT_USER_PASSWORD, or asked for the same way. On a terminal, a lost connection is retried
(about 1, 2, 4, 8… s, each ±50 %, at most 30 s apart) and the client rejoins with the same name
and says who is online; the prompt reads "(offline) >" meanwhile, and lines sent then are refused,
not sent late.
When the server says why it closed (full, wrong password, TLS on that port), the client stops with
that reason instead of retrying.

With stdin not a terminal, each input line is sent (the first is the name unless --name
is given), every incoming message is printed as a plain line, and the client exits 0 at
quit or end of input. Colours are off when NO_COLOR is set or output is not a terminal.
Links are clickable (OSC 8) in terminals known to show them; FORCE_HYPERLINK=1 or 0 decides instead.
Exit status: 0 after quit; 1 if the server can't be reached at start, turns us away (full, TLS,
a wrong password from BUNCHAT_PASSWORD), or (from a pipe) goes away or refuses the name; 2 for bad
flags, a --name the server would refuse among them.

Examples in the chat (/help <command> explains one):
${COMMANDS.filter((c) => c.example !== c.usage)
  .map((c) => `  ${c.example}`)
  .join("\n")}

Examples:
  bunchat --host chat.example.org --name Sam
  printf 'hello from cron\\n' | bunchat --name cronbot
`;

await runMain("bunchat", async () => {
  const flags = parseFlags(process.argv.slice(2), parserOptions(CLIENT_FLAGS));
  if (flags.help) return void process.stdout.write(HELP);
  if (flags.version) return void process.stdout.write(`bunchat ${VERSION}\n`);
  if (flags.host === "") throw new UsageError("--host can't be empty.");
  if (flags.name !== undefined) {
    // The server's rules, checked before connecting, so that every refusal says why.
    const check = checkName(flags.name);
    if (!check.ok) throw new UsageError(`--name: ${check.reason}`);
  }

  const noColor = (process.env.NO_COLOR ?? "") !== "";
  const code = await runClient({
    host: flags.host ?? DEFAULT_CLIENT_HOST,
    port: parsePort(flags.port, DEFAULT_PORT, false),
    name: flags.name,
    password: process.env.BUNCHAT_PASSWORD,
    userPassword: process.env.BUNCHAT_USER_PASSWORD,
    tls: await readTls(flags),
    interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
    color: Boolean(process.stdout.isTTY) && !noColor,
    timestamps: Boolean(process.stdout.isTTY) && !flags["no-timestamps"],
    bell: !flags["no-bell"],
    // Clickable links where the terminal shows OSC 8 hyperlinks (FORCE_HYPERLINK=1 or 0 says so).
    links: Boolean(process.stdout.isTTY) && terminalLinks(process.env),
  });
  // Let everything printed reach the terminal or pipe before exiting.
  await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
  process.exit(code);
});

/** --tls, --ca and --insecure, as the link wants them; undefined for plain TCP. */
async function readTls(flags: { tls?: boolean; ca?: string; insecure?: boolean }): Promise<LinkTls | undefined> {
  if (!flags.tls && flags.ca === undefined && !flags.insecure) return undefined;
  if (flags.ca === undefined) return { insecure: Boolean(flags.insecure) };
  try {
    return { ca: await Bun.file(flags.ca).text(), insecure: Boolean(flags.insecure) };
  } catch (err) {
    throw new UsageError(`--ca: can't read ${flags.ca}: ${(err as Error).message}`);
  }
}
