// Every limit bunchat enforces, in one table. README's "Limits" section mirrors it.

export const LIMITS = {
  /** Longest accepted input line, in bytes of UTF-8, not counting the line ending. */
  maxLineBytes: 4096,
  /** This many bytes without any newline and the peer is not sending lines: it is disconnected. */
  maxRunBytes: 16 * 1024,
  /** Usernames: at least this many characters… */
  nameMinLength: 1,
  /** …and at most this many. */
  nameMaxLength: 24,
  /** Room names: "#" and at most this many of a-z, 0-9, "_" and "-". */
  roomNameMaxLength: 32,
  /** A room's topic, in characters. */
  topicMaxLength: 300,
  /** A reason given with /away or /part, in characters; the rest is cut. */
  reasonMaxLength: 100,
} as const;

/** What the server bounds per connection and in total; each is a flag (README, "Limits"). */
export interface ServerLimits {
  /** Bytes queued for one client that is not reading; past this it is disconnected. */
  maxOutboxBytes: number;
  /** Bytes queued for every client together; past this the ones holding the most are disconnected. */
  maxOutboxTotalBytes: number;
  /** Open connections in total, joined or not; 0 for no cap. */
  maxClients: number;
  /** Open connections from one IP address; 0 for no cap. */
  maxPerIp: number;
  /** Open connections from one network (see networkBits); 0 for no cap. */
  maxPerNet: number;
  /** What makes a network: the leading bits of an IPv4 and of an IPv6 address. */
  networkBits: { ipv4: number; ipv6: number };
  /** A connection that has not chosen a name by then is closed. */
  registerTimeoutMs: number;
  /** A TLS connection that has not finished its handshake by then is reset (a plain client sent under 5 bytes). */
  handshakeTimeoutMs: number;
  /**
   * The web door: a request's head and body must have come this long after the connection began
   * waiting for them (it opened, or its last answer went); an idle kept-alive connection is closed then.
   */
  httpRequestMs: number;
  /** Lines a connection may send at once (flood control)… */
  burstLines: number;
  /** …and then per second; 0 turns flood control off. Bytes are limited alongside: see FLOOD_BYTES_PER_LINE. */
  linesPerSecond: number;
  /** Lines that may wait for the flood budget; one more and the sender is disconnected (excess flood). */
  floodBacklog: number;
  /** A structured client silent this long is pinged; 0: never. */
  pingIdleMs: number;
  /** …and dropped if it sends nothing for this long after the ping. */
  pingTimeoutMs: number;
  /** Refused names on one connection before it is closed. */
  maxNameAttempts: number;
  /** Connections one registered user may have at once (devices, from any doors); 1: one at a time. */
  maxDevices: number;
  /** Failed names or passwords from one address before its attempts are slowed… */
  attemptBurst: number;
  /** …to one per this many ms. */
  attemptEveryMs: number;
  /** New connections one address may open at once… */
  connectBurst: number;
  /** …and then per second; 0 turns this off. Past it a new connection is refused with a reason. */
  connectsPerSecond: number;
  /** Part of a line held this long without its newline is dropped, with a notice (the connection stays). */
  unfinishedLineMs: number;
  /** Rooms on the server at once; /join of a new one past it is refused. */
  maxRooms: number;
  /** Rooms one user may be in at once. */
  maxRoomsPerUser: number;
  /** A message of several lines (JSON's `{"type":"line"}`, IRC's draft/multiline, the HTTP API): at most this many bytes of UTF-8… */
  maxMessageBytes: number;
  /** …and this many lines. */
  maxMessageLines: number;
  /** A connection we are closing gets this long to take its last lines, then it is reset. */
  closeGraceMs: number;
  /** How long a graceful shutdown waits for clients to receive their notice before closing them. */
  shutdownGraceMs: number;
}

export const SERVER_LIMITS: ServerLimits = {
  maxOutboxBytes: 1024 * 1024,
  maxOutboxTotalBytes: 256 * 1024 * 1024,
  maxClients: 5000,
  maxPerIp: 32,
  maxPerNet: 256,
  networkBits: { ipv4: 24, ipv6: 64 },
  registerTimeoutMs: 30_000,
  handshakeTimeoutMs: 10_000,
  httpRequestMs: 10_000,
  burstLines: 10,
  linesPerSecond: 5,
  floodBacklog: 100,
  pingIdleMs: 60_000,
  pingTimeoutMs: 30_000,
  maxNameAttempts: 5,
  maxDevices: 10,
  attemptBurst: 5,
  attemptEveryMs: 5000,
  connectBurst: 64,
  connectsPerSecond: 10,
  unfinishedLineMs: 60_000,
  maxRooms: 10_000,
  maxRoomsPerUser: 32,
  maxMessageBytes: 16 * 1024,
  maxMessageLines: 100,
  closeGraceMs: 5000,
  shutdownGraceMs: 3000,
};

/**
 * The longest line a structured (JSON) connection may send: a `{"type":"line"}` carrying a message
 * of maxMessageBytes, each byte of it escaped to two at most (a newline is "\\n").
 */
export function jsonLineBytes(limits: Pick<ServerLimits, "maxMessageBytes">): number {
  return Math.max(LIMITS.maxLineBytes, 2 * limits.maxMessageBytes + 256);
}

/** Flood control counts bytes too: each line token buys this many bytes (a burst of 10 lines: 10 KiB). */
export const FLOOD_BYTES_PER_LINE = 1024;

/**
 * …and the output one's own commands ask for: each line token buys this much (a burst of 80 KiB,
 * then 40 KiB a second at the default rate). More waits, however big one reply was.
 */
export const FLOOD_OUTPUT_PER_LINE = 8 * 1024;

/** Idle time after which TCP keepalive probes a silent peer (then 10 probes 1 s apart). */
export const KEEPALIVE_IDLE_MS = 60_000;

export const DEFAULT_PORT = 7878;
/** The room everyone starts in (--default-room). */
export const DEFAULT_ROOM = "#lobby";
/** A cluster node silent this long is dead (--node-timeout). */
export const DEFAULT_NODE_TIMEOUT_MS = 10_000;
export const DEFAULT_SERVER_HOST = "0.0.0.0";
export const DEFAULT_CLIENT_HOST = "127.0.0.1";

/** Version of the structured (JSON lines) protocol; see PROTOCOL.md. */
export const PROTOCOL_VERSION = 1;

/** Names shown when joining. A 10,000-name welcome is 70 KB nobody reads. */
export const WELCOME_NAMES = 50;
/**
 * Names a /users reply holds at most: past this it is a summary, and /users <prefix> finds someone.
 * A full list of 2000 users with away reasons was 236 KB for a 7-byte command.
 */
export const USERS_SHOWN = 100;
/** Rooms a /rooms reply lists at most; past this /rooms <prefix> finds one. */
export const ROOMS_SHOWN = 100;
