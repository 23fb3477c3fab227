// What the client knows of the server's answers: which are charged to its flood budget, which
// errors close the connection and which of those are worth retrying, which commands carry secrets.

import type { ErrorCode, ServerEvent } from "../protocol/events.ts";

/** Events that answer one of our own lines (the server charges their size to our budget). */
export const ANSWERS = new Set<ServerEvent["type"]>([
  "users",
  "help",
  "error",
  "pong",
  "away",
  "away-notice",
  "private-sent",
  "invite-sent",
  "room",
  "parted",
  "topic-is",
  "rooms",
  "marker",
]);

/** Errors after which the server closes the connection. */
export const CLOSING = new Set<ErrorCode>([
  "no-newline",
  "wrong-protocol",
  "excess-flood",
  "too-many-attempts",
  "bad-password",
  "ping-timeout",
  "bad-hello",
  "registration-timeout",
  "server-full",
  "too-many-connections",
  "connecting-too-fast",
  "too-slow",
]);

/** Errors after which the server closes, but trying again later can work. */
export const RETRYABLE = new Set<ErrorCode>([
  "server-full",
  "too-many-connections",
  "connecting-too-fast",
  "ping-timeout",
  "too-slow",
  "registration-timeout",
]);

/** Commands whose arguments are passwords: not left on the screen or in the history. */
export const SECRET_ARGS = new Set<string>(["register", "passwd", "unregister"]);

/** Commands whose answer can be long. */
export const LONG_ANSWERS = new Set<string>(["users", "help", "rooms", "join"]);
/** The answers to those. */
export const LONG_ANSWER_EVENTS = new Set<ServerEvent["type"]>(["users", "help", "rooms", "room", "error"]);
