// Every limit bunchat enforces, in one table. README's "Limits" section mirrors it.

export const LIMITS = {
  /** Longest accepted input line, in bytes of UTF-8, not counting the line ending. */
  maxLineBytes: 4096,
  /** Usernames: at least this many characters… */
  nameMinLength: 1,
  /** …and at most this many. */
  nameMaxLength: 24,
} as const;

/** What the server bounds per connection and in total; each is a flag (README, "Limits"). */
export interface ServerLimits {
  /** Bytes queued for one client that is not reading; past this it is disconnected. */
  maxOutboxBytes: number;
  /** Open connections in total, joined or not; 0 for no cap. */
  maxClients: number;
  /** Open connections from one IP address; 0 for no cap. */
  maxPerIp: number;
  /** A connection that has not chosen a name by then is closed. */
  registerTimeoutMs: number;
  /** A connection we are closing gets this long to take its last lines, then it is reset. */
  closeGraceMs: number;
  /** How long a graceful shutdown waits for clients to receive their notice before closing them. */
  shutdownGraceMs: number;
}

export const SERVER_LIMITS: ServerLimits = {
  maxOutboxBytes: 1024 * 1024,
  maxClients: 5000,
  maxPerIp: 32,
  registerTimeoutMs: 30_000,
  closeGraceMs: 5000,
  shutdownGraceMs: 3000,
};

export const DEFAULT_PORT = 7878;
export const DEFAULT_SERVER_HOST = "0.0.0.0";
export const DEFAULT_CLIENT_HOST = "127.0.0.1";

/** Version of the structured (JSON lines) protocol; see PROTOCOL.md. */
export const PROTOCOL_VERSION = 1;
