// Every flag of both programs, written once: parsing (cli.ts), --help and the README's flag
// tables (scripts/docs.ts) all come from these tables.

import {
  DEFAULT_CLIENT_HOST,
  DEFAULT_NODE_TIMEOUT_MS,
  DEFAULT_PORT,
  DEFAULT_ROOM,
  DEFAULT_SERVER_HOST,
  SERVER_LIMITS,
} from "./protocol/limits.ts";
import { FILES_DEFAULTS } from "./core/files.ts";
import { DEFAULT_DB, DEFAULT_REPLAY, DEFAULT_RETENTION, HISTORY_PAGE_MAX, REPLAY_MEMORY } from "./store/history.ts";

export interface FlagSpec {
  /** Without the dashes. */
  readonly name: string;
  /** What follows it, as shown ("<n>"); absent for a switch. */
  readonly value?: string;
  readonly short?: string;
  /** The default as shown ("" for none worth saying). */
  readonly default: string;
  /** What it does: one or two sentences, in Markdown (backticks are dropped for --help). */
  readonly help: string;
}

const L = SERVER_LIMITS;
const HELP_FLAGS: readonly FlagSpec[] = [
  { name: "help", short: "h", default: "", help: "show help" },
  { name: "version", short: "v", default: "", help: "show the version" },
];

export const SERVER_FLAGS = [
  {
    name: "host",
    value: "<address>",
    default: `\`${DEFAULT_SERVER_HOST}\``,
    help: "address to listen on; every interface by default so your team can join; `127.0.0.1` for this machine only",
  },
  {
    name: "port",
    value: "<port>",
    default: `\`${DEFAULT_PORT}\``,
    help: "TCP port; `0` picks a free one (printed at start)",
  },
  {
    name: "default-room",
    value: "<#room>",
    default: `\`${DEFAULT_ROOM}\``,
    help: "the room everyone starts in",
  },
  {
    name: "max-rooms",
    value: "<n>",
    default: `\`${L.maxRooms}\``,
    help: "rooms on the server at once; a `/join` that would make one more is refused (the default room is always there)",
  },
  {
    name: "max-rooms-per-user",
    value: "<n>",
    default: `\`${L.maxRoomsPerUser}\``,
    help: "rooms one user may be in at once",
  },
  {
    name: "max-message-bytes",
    value: "<n>",
    default: `\`${L.maxMessageBytes}\``,
    help: "bytes (UTF-8) of one message of several lines (a pasted stack trace, a code block); a longer one is refused with the reason. A single typed line is at most 4096",
  },
  {
    name: "max-message-lines",
    value: "<n>",
    default: `\`${L.maxMessageLines}\``,
    help: "lines of one message; more are refused with the reason",
  },
  {
    name: "db",
    value: "<file>",
    default: `\`${DEFAULT_DB}\``,
    help: "where rooms' history is kept (SQLite, made if missing; one server per file), and registered users' private conversations (`--keep-private`); `none`: in memory only (up to `--replay-memory`; `/search` reads the newest 2 MiB of your rooms' lines), gone at exit",
  },
  {
    name: "keep-private",
    value: "<on|off>",
    default: "`on`",
    help: "keep private messages between two registered users with the history (guests' never are), so that each of the two sees them on every device, is shown what came while away, and finds them with `/history <name>` and `/search`; the two may `/edit` and `/delete` their own. `off`: they are delivered and forgotten. The log never holds their text either way",
  },
  {
    name: "files",
    value: "<dir|none>",
    default: "beside `--db` (`bunchat-files`)",
    help: "where files shared in rooms are kept (with `--http-port`: uploads from the page, `/upload` in the client, `POST /api/rooms/<room>/files` for bots), each once by its SHA-256; what is known of them is kept with the history. `none`: no files. Off by default with `--db none`; in a cluster, a directory every node shares (and Redis keeps what is known of them)",
  },
  {
    name: "max-file-size",
    value: "<MB>",
    default: `\`${FILES_DEFAULTS.maxFileBytes / 1048576}\``,
    help: "bytes of one file at most, in MiB; a bigger upload is refused before it is read",
  },
  {
    name: "upload-quota",
    value: "<MB>",
    default: `\`${FILES_DEFAULTS.quotaBytes / 1048576}\``,
    help: "files one user (or bot) may have kept at once, in MiB; deleting a file's line frees its share",
  },
  {
    name: "uploads-per-minute",
    value: "<n>",
    default: `\`${FILES_DEFAULTS.perMinute}\``,
    help: "uploads one user, bot or address may make a minute",
  },
  {
    name: "guest-uploads",
    value: "<on|off>",
    default: "`off`",
    help: "whether guests (names not registered) may share files too",
  },
  {
    name: "history-on-join",
    value: "<n>",
    default: `\`${DEFAULT_REPLAY}\``,
    help: `lines of a room shown to whoever joins it (at most ${HISTORY_PAGE_MAX}); \`0\` for none (\`/history\` still works)`,
  },
  {
    name: "replay-memory",
    value: "<MiB>",
    default: `\`${REPLAY_MEMORY / 1048576}\``,
    help: "memory for the lines shown to joiners, kept for the rooms joined lately; past it, the rooms joined longest ago are read from `--db` again when next joined. With `--db none`, the memory for all the history: past it, the server's oldest lines go first",
  },
  {
    name: "history-lines",
    value: "<n>",
    default: `\`${DEFAULT_RETENTION.linesPerRoom}\``,
    help: "lines kept per room; older ones are deleted as new ones come",
  },
  {
    name: "history-days",
    value: "<n>",
    default: `\`${DEFAULT_RETENTION.days}\``,
    help: "days a line is kept; `0`: as long as `--history-lines` allows",
  },
  {
    name: "password-min",
    value: "<n>",
    default: "`8`",
    help: "fewest characters of a new account password",
  },
  {
    name: "password-memory",
    value: "<MiB>",
    default: "`64`",
    help: "memory one password hash takes (argon2id, 2 passes): more makes a stolen account file slower to guess, less suits a small machine (OWASP's least is 19); hashes made before keep their own cost",
  },
  {
    name: "admin",
    value: "<name>",
    default: "(none)",
    help: "a server admin (repeat it for several): a registered name, who may `/kick`, `/ban` and make bot tokens once logged in to it. A name not registered yet registers only with the setup code the server prints in its log at start",
  },
  {
    name: "max-clients",
    value: "<n>",
    default: `\`${L.maxClients}\``,
    help: "open connections in total, named or not; `0` for no cap",
  },
  {
    name: "max-per-ip",
    value: "<n>",
    default: `\`${L.maxPerIp}\``,
    help: "open connections from one IP address (a classroom or office behind one NAT address fits); `0` for no cap, e.g. for load tests on loopback",
  },
  {
    name: "max-devices",
    value: "<n>",
    default: `\`${L.maxDevices}\``,
    help: "connections one registered user may have at once, from any doors (the page at work, the terminal client at home, an IRC client): one name in every room, each device told everything; past it a new login is refused with the reason; `1`: one at a time. Guests always have one",
  },
  {
    name: "max-per-net",
    value: "<n>",
    default: `\`${L.maxPerNet}\``,
    help: "open connections from one network (below): a crowd of addresses from one provider's block counts together; `0` for no cap (load tests on loopback)",
  },
  {
    name: "ipv4-net-bits",
    value: "<n>",
    default: `\`${L.networkBits.ipv4}\``,
    help: "what makes a network, for `--max-per-net` and for log summaries: the leading bits of an IPv4 address…",
  },
  { name: "ipv6-net-bits", value: "<n>", default: `\`${L.networkBits.ipv6}\``, help: "…and of an IPv6 address" },
  {
    name: "connect-rate",
    value: "<n/s>",
    default: `\`${L.connectsPerSecond}\``,
    help: "new connections one address may open per second once its burst is spent; `0` for no limit (load tests)",
  },
  {
    name: "connect-burst",
    value: "<n>",
    default: `\`${L.connectBurst}\``,
    help: "new connections one address may open at once",
  },
  {
    name: "register-timeout",
    value: "<s>",
    default: `\`${L.registerTimeoutMs / 1000}\``,
    help: "seconds a connection has to choose a name; then it is told and closed",
  },
  {
    name: "max-outbox",
    value: "<KiB>",
    default: `\`${L.maxOutboxBytes / 1024}\``,
    help: "output that may wait for a client that has stopped reading; past it the client is dropped",
  },
  {
    name: "max-outbox-total",
    value: "<MiB>",
    default: `\`${L.maxOutboxTotalBytes / 1048576}\``,
    help: "output that may wait for all clients together; past it the ones holding the most are dropped until a quarter of it is free",
  },
  {
    name: "flood-rate",
    value: "<lines/s>",
    default: `\`${L.linesPerSecond}\``,
    help: "lines a client may send per second; faster lines wait, in order; `0` turns flood control off (load tests)",
  },
  {
    name: "flood-burst",
    value: "<lines>",
    default: `\`${L.burstLines}\``,
    help: "lines a client may send at once before the rate applies",
  },
  {
    name: "ping-interval",
    value: "<s>",
    default: `\`${L.pingIdleMs / 1000}\``,
    help: "a silent `bunchat` is pinged after this long and dropped if it does not answer within half as long again; `0`: never",
  },
  {
    name: "password",
    value: "<text>",
    default: "(none)",
    help: "users must give it before choosing a name. Shows in `ps`: prefer the `BUNCHAT_PASSWORD` environment variable",
  },
  {
    name: "tls-cert",
    value: "<file>",
    default: "(none)",
    help: "serve TLS with this certificate chain (PEM); needs `--tls-key`. Clients then connect with `bunchat --tls`",
  },
  { name: "tls-key", value: "<file>", default: "(none)", help: "the certificate's private key (PEM)" },
  {
    name: "irc-port",
    value: "<port>",
    default: "(off)",
    help: "also speak IRC on this port: irssi, WeeChat and HexChat users join the same rooms (`0`: a free port)",
  },
  {
    name: "irc-name",
    value: "<name>",
    default: "`bunchat`",
    help: "the server's name to IRC clients (in numerics and PONGs), e.g. `chat.example.com`",
  },
  {
    name: "irc-tls-port",
    value: "<port>",
    default: "(off)",
    help: "IRC over TLS on this port, with the certificate of `--tls-cert`",
  },
  {
    name: "http-port",
    value: "<port>",
    default: "(off)",
    help: "the web door on this port: the chat in a browser at `/`, the HTTP API for bots (`/api/…`), `/healthz` and `/metrics`; HTTPS with `--tls-cert` (`0`: a free port)",
  },
  {
    name: "web-host",
    value: "<name>",
    default: "(none)",
    help: "a name the web door answers to (repeat it for several), as browsers reach it: `chat.example.org`. IP addresses and `localhost` always work; a request for any other name is refused (421), so that a web page can't reach the door through a name of its own (DNS rebinding)",
  },
  {
    name: "redis",
    value: "<url>",
    default: "(none)",
    help: "cluster mode: one chat shared by every server using this Redis (`redis://[:password@]host:port`; or `BUNCHAT_REDIS`)",
  },
  {
    name: "node-id",
    value: "<id>",
    default: "generated",
    help: "this server's name in the cluster (1-64 of `A-Z a-z 0-9 _ . -`); two running servers can't share one; a crashed one restarted under it takes it over at once",
  },
  {
    name: "node-timeout",
    value: "<s>",
    default: `\`${DEFAULT_NODE_TIMEOUT_MS / 1000}\``,
    help: "a cluster server silent this long is dead: its users' leaves are announced and their names freed",
  },
  ...HELP_FLAGS,
] as const satisfies readonly FlagSpec[];

export const CLIENT_FLAGS = [
  { name: "host", value: "<address>", default: `\`${DEFAULT_CLIENT_HOST}\``, help: "server to connect to" },
  { name: "port", value: "<port>", default: `\`${DEFAULT_PORT}\``, help: "server port" },
  {
    name: "name",
    value: "<username>",
    default: "(asked)",
    help: "join with this name instead of being asked (checked against the name rules before connecting)",
  },
  {
    name: "tls",
    default: "off",
    help: "connect with TLS; the server's certificate must be trusted by the system and name `--host`",
  },
  {
    name: "ca",
    value: "<file>",
    default: "(none)",
    help: "also trust this CA or self-signed certificate (PEM), for a private CA; implies `--tls`",
  },
  {
    name: "insecure",
    default: "off",
    help: 'TLS without checking the certificate: encrypted, but anyone in the middle could be the "server"; implies `--tls`',
  },
  {
    name: "no-timestamps",
    default: "shown",
    help: "no `[HH:MM]` before each line (timestamps are only shown on a terminal anyway)",
  },
  { name: "no-bell", default: "rings", help: "don't ring the terminal bell when a line mentions your name" },
  ...HELP_FLAGS,
] as const satisfies readonly FlagSpec[];

/**
 * What a load test from one address must lift, or the per-address and per-network caps would
 * (rightly) refuse it: the benchmarks and the tests that start thousands of clients use this.
 */
export const LOAD_TEST_LIFTS = ["--max-per-ip", "0", "--max-per-net", "0", "--connect-rate", "0"] as const;

/** What parseFlags takes: each flag's kind and short form. */
export function parserOptions<F extends readonly FlagSpec[]>(flags: F) {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const f of flags)
    options[f.name] = { type: f.value ? "string" : "boolean", ...(f.short ? { short: f.short } : {}) };
  return options as { [K in F[number]["name"]]: { type: "string" | "boolean"; short?: string } };
}

/** How a flag is written: "-h, --help" or "--port <port>". */
export function flagUsage(f: FlagSpec): string {
  return `${f.short ? `-${f.short}, ` : ""}--${f.name}${f.value ? ` ${f.value}` : ""}`;
}

/** The "Options:" lines of --help, wrapped to `width` columns. */
export function helpOptions(flags: readonly FlagSpec[], width = 100): string {
  const column = Math.max(...flags.map((f) => flagUsage(f).length)) + 4;
  const lines: string[] = [];
  for (const f of flags) {
    const shown = f.default.replaceAll("`", "");
    const plain = f.help.replaceAll("`", "");
    const text =
      // "(off)", "(none)": nothing worth a "(default …)".
      shown && !shown.startsWith("(") && !["off", "shown", "rings"].includes(shown) ? `${plain} (default ${shown})` : plain;
    let line = `  ${flagUsage(f)}`.padEnd(column);
    for (const word of text.split(" ")) {
      if (line.length + word.length + 1 > width && line.trim() !== "") {
        lines.push(line.trimEnd());
        line = " ".repeat(column);
      }
      line += `${line.endsWith(" ") ? "" : " "}${word}`;
    }
    lines.push(line.trimEnd());
  }
  return lines.join("\n");
}

/** The README's table of flags. */
export function flagTable(flags: readonly FlagSpec[]): string {
  const rows = flags.map((f) => [
    f.short ? `\`-${f.short}\`, \`--${f.name}\`` : `\`--${f.name}${f.value ? ` ${f.value}` : ""}\``,
    f.default,
    f.help,
  ]);
  const widths = [0, 1, 2].map((i) =>
    Math.max(...[["Flag", "Default", "Meaning"][i]!, ...rows.map((r) => r[i]!)].map((c) => c.length)),
  );
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(["Flag", "Default", "Meaning"]), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
