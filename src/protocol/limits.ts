// Every limit bunchat enforces, in one table. README's "Limits" section mirrors it.

export const LIMITS = {
  /** Longest accepted input line, in bytes of UTF-8, not counting the line ending. */
  maxLineBytes: 4096,
  /** Usernames: at least this many characters… */
  nameMinLength: 1,
  /** …and at most this many. */
  nameMaxLength: 24,
  /** How long a graceful shutdown waits for clients to receive their notice before closing them. */
  shutdownGraceMs: 3000,
} as const;

export const DEFAULT_PORT = 7878;
export const DEFAULT_SERVER_HOST = "0.0.0.0";
export const DEFAULT_CLIENT_HOST = "127.0.0.1";

/** Version of the structured (JSON lines) protocol; see PROTOCOL.md. */
export const PROTOCOL_VERSION = 1;
