// What a session tells its peer when it refuses a line, slows it down or closes on it, in one place:
// each says which limit was met and what to do about it.

import type { ErrorEvent } from "../protocol/events.ts";
import { linesIn } from "../protocol/sanitize.ts";
import { FLOOD_OUTPUT_PER_LINE, LIMITS, type ServerLimits } from "../protocol/limits.ts";
import { error } from "../core/commands/chat.ts";
import type { Adapter } from "./adapter.ts";

const kib = (n: number) => `${Math.round(n / 1024)} KiB`;
const seconds = (ms: number) => Math.ceil(ms / 1000);

export const lineTooLong = (): ErrorEvent =>
  error("line-too-long", `That line was longer than ${LIMITS.maxLineBytes} bytes; it was not sent.`);

/** A structured client's line past even what a message of several lines may take. */
export const messageLineTooLong = (limits: Pick<ServerLimits, "maxMessageBytes">): ErrorEvent =>
  error("line-too-long", `That line was longer than this server takes (a message of several lines: at most ${limits.maxMessageBytes} bytes; a line: ${LIMITS.maxLineBytes}); it was not sent.`);

/**
 * A message of several lines past the server's bounds (--max-message-bytes, --max-message-lines),
 * said with both numbers; undefined when it is within them.
 */
export function messageTooBig(text: string, limits: Pick<ServerLimits, "maxMessageBytes" | "maxMessageLines">): ErrorEvent | undefined {
  const lines = linesIn(text);
  if (lines > limits.maxMessageLines) {
    return error("line-too-long", `That message has ${lines} lines; this server takes at most ${limits.maxMessageLines} in one message. It was not sent.`);
  }
  // A UTF-16 unit is at most 3 bytes: most messages are known to fit without being measured.
  const bytes = text.length * 3 <= limits.maxMessageBytes ? 0 : Buffer.byteLength(text);
  if (bytes > limits.maxMessageBytes) {
    return error("line-too-long", `That message is ${bytes} bytes; this server takes at most ${limits.maxMessageBytes} in one message. It was not sent.`);
  }
  return undefined;
}

export const badEncoding = (): ErrorEvent =>
  error("bad-encoding", "That line was not valid UTF-8, so it was not sent. Is your terminal set to UTF-8?");

export const noNewline = (): ErrorEvent =>
  error("no-newline", `${LIMITS.maxRunBytes} bytes arrived without a newline; bunchat reads lines. Closing.`);

export const unfinishedLine = (limits: ServerLimits): ErrorEvent =>
  error(
    "unfinished-line",
    `Part of a line waited ${limits.unfinishedLineMs / 1000} s for its end (a newline); it was dropped, and so is the rest of it.`,
  );

export const registrationTimeout = (limits: ServerLimits): ErrorEvent =>
  error("registration-timeout", `No username chosen within ${limits.registerTimeoutMs / 1000} s; closing the connection.`);

/** `silentMs`: how long nothing was heard. */
export const pingTimeout = (silentMs: number): ErrorEvent =>
  error("ping-timeout", `Nothing heard from you in ${Math.round(silentMs / 1000)} s; closing the connection.`);

export const wrongProtocol = (speaks: Adapter["speaks"], what: "TLS" | "HTTP"): ErrorEvent => {
  const hint = what === "TLS" ? "connect without TLS, or ask for a TLS port" : `connect with ${speaks.clients}`;
  return error("wrong-protocol", `This port speaks ${speaks.protocol}, not ${what}: ${hint}.`);
};

export const excessFlood = (limits: ServerLimits): ErrorEvent =>
  error("excess-flood", `More than ${limits.floodBacklog} lines were waiting to be sent; disconnected for flooding.`);

/** `held`: what waited for this reader; `shared`: the server's total for slow readers was met, not this reader's own. */
export const tooSlow = (limits: ServerLimits, held: number, shared: boolean): ErrorEvent =>
  error(
    "too-slow",
    shared
      ? `The server holds too much for readers that fell behind (${kib(limits.maxOutboxTotalBytes)} in all), and ${kib(held)} of it was waiting for you; disconnected.`
      : `You stopped reading: more than ${kib(limits.maxOutboxBytes)} waited for you; disconnected.`,
  );

export const tooManyAttempts = (address: string, waitMs: number): ErrorEvent =>
  error("slow-down", `Too many failed attempts from ${address}; the next one is answered in ${seconds(waitMs)} s.`);

/** The flood budget delays the sender's lines: for their output (`outputMs` > 0) or their rate. */
export const slowDown = (limits: ServerLimits, outputMs: number): ErrorEvent => {
  const { burstLines, linesPerSecond } = limits;
  if (outputMs > 0) {
    const perSecond = Math.round((linesPerSecond * FLOOD_OUTPUT_PER_LINE) / 1024);
    return error(
      "slow-down",
      `Your commands asked for more output than ${perSecond} KiB a second (/users in a big room, say); your next lines wait ${seconds(outputMs)} s and are sent in order.`,
    );
  }
  return error(
    "slow-down",
    `You are sending faster than ${linesPerSecond} lines a second (${burstLines} at once); your lines are delayed and sent in order.`,
  );
};
