// What every session is given by the door that made it: the hub, the limits, the budgets shared by
// a server's connections, the log and the clock.

import type { Clock } from "../net/clock.ts";
import type { OutboxPool } from "../net/outbox.ts";
import type { ServerLimits } from "../protocol/limits.ts";
import type { Hub } from "../core/hub.ts";
import type { ChatLog, Repeat } from "./log-digest.ts";
import type { PerAddress } from "./per-address.ts";

export interface SessionEnv {
  readonly hub: Hub;
  readonly limits: ServerLimits;
  /** Failed names and passwords per address. */
  readonly attempts: PerAddress;
  /** Wrong passwords per registered name (its key), from any address. */
  readonly logins: PerAddress;
  /** Connections are TLS (a password does not travel in the clear). */
  readonly tls: boolean;
  /** The server's name to IRC clients (--irc-name; default "bunchat"). */
  readonly ircName?: string;
  /** The bound on what every outbox together holds for slow readers. */
  readonly outboxes?: OutboxPool;
  /** True if `line` is the server password; undefined when the server has none. */
  readonly checkPassword?: (line: string) => boolean;
  log(line: string): void;
  /** A line that a storm from one network could repeat thousands of times: summed up past a few. */
  logRepeat(repeat: Repeat, address: string, line: string): void;
  /** Which rooms' lines the log writes (all but a flood's). */
  readonly chatLog: ChatLog;
  readonly clock: Clock;
  /** In a cluster: connections piped to the node a registered user is on (doors/pipes.ts). */
  readonly pipes?: Pipes;
}

export type { Door } from "../protocol/events.ts";
import type { Pipes } from "../doors/pipes.ts";
