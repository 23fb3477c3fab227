// The two connections a node keeps to Redis (one for commands, one subscribed) and their life:
// noticing Redis is gone (a close, or pings unanswered: a frozen Redis closes nothing), closing
// both, and one reconnection loop with backoff that hands over to the node's rejoin.
//
// Bun's Redis client, as seen on this machine (../shared/BUN-NOTES.md): its own reconnect gives
// up after ~31 s and forgets subscriptions, and it queues commands while disconnected unless told
// not to; and while it reconnects on its own, `onclose` does not fire, so nothing says Redis is
// gone. So it runs with autoReconnect and the offline queue off (then `onclose` fires at once and
// connect() fails fast while Redis is down), and this file reconnects itself.

import { RedisClient } from "bun";
import { type Clock, every } from "../net/clock.ts";

/** up: chatting with the cluster · syncing: catching up after (re)connecting · down: Redis unreachable · stopped. */
export type LinkState = "syncing" | "up" | "down" | "stopped";

/** How often both connections are pinged. */
const PULSE_EVERY_MS = 500;

/** What the connections need from the node they belong to. */
export interface ConnectionHost {
  log(line: string): void;
  trouble(what: string, err: unknown): void;
  /** Back in touch: subscribe, claim, catch up; leaves the state up (or down, to try again). */
  rejoin(): Promise<void>;
  /** Redis was lost: users here are told, once per outage. */
  outage(down: true): void;
  /** Back after a loss (`told`: users here were told of it). */
  reconnected(told: boolean): void;
}

export interface ConnectionOptions {
  url: string;
  clock: Clock;
  /** The longest wait between attempts to reach Redis again. */
  retryMaxMs: number;
  /** A PING unanswered this long means Redis is gone. */
  pulseTimeoutMs: number;
  /** Where reconnection attempts are counted. */
  stats: { reconnects: number };
}

/**
 * A node's two connections. Our own reconnection (see above): Bun's gives up, and would queue
 * commands. A Redis that stops answering is noticed by the pulse (pings), well before the idle
 * timeout, which stays as a backstop.
 */
export function openClients(url: string): [RedisClient, RedisClient] {
  const settings = {
    autoReconnect: false,
    enableOfflineQueue: false,
    connectionTimeout: 2000,
    idleTimeout: 10_000,
  };
  return [new RedisClient(url, settings), new RedisClient(url, settings)];
}

export class RedisConnection {
  state: LinkState = "syncing";
  /** Both are replaced on every reconnection. */
  cmd: RedisClient;
  sub: RedisClient;
  /** When the PING now awaited on each connection (commands, subscriber) was sent. */
  private pingSent: [number | undefined, number | undefined] = [undefined, undefined];
  private pulseTimer: { cancel(): void } | undefined;
  /** When the pulse last ran. */
  private lastPulse: number | undefined;
  private retryTimer: { cancel(): void } | undefined;
  private retries = 0;
  /** Users here were told the other servers can't be reached, and not yet that they can again. */
  private toldDown = false;
  /** One reconnection at a time. */
  private reconnecting = false;

  constructor(
    [cmd, sub]: [RedisClient, RedisClient],
    private readonly host: ConnectionHost,
    private readonly options: ConnectionOptions,
  ) {
    this.cmd = cmd;
    this.sub = sub;
  }

  /** Chatting, or catching up: Redis is reachable. */
  get connected(): boolean {
    return this.state === "up" || this.state === "syncing";
  }

  startPulse(): void {
    this.pulseTimer = every(this.options.clock, PULSE_EVERY_MS, () => this.pulse());
  }

  /** Stops for good: no more pings or retries, and the connections' closes are not news. */
  stop(): void {
    this.state = "stopped";
    this.pulseTimer?.cancel();
    this.retryTimer?.cancel();
    this.cmd.onclose = this.sub.onclose = null;
  }

  /**
   * Redis went away (either connection closed, or stopped answering): both connections are closed,
   * users here are told, and the reconnection loop, the only one, takes over. While it runs
   * (state down), nothing else closes or opens connections.
   */
  lost(err: Error | undefined): void {
    if (this.state !== "up" && this.state !== "syncing") return;
    this.state = "down";
    this.close();
    this.host.log(
      `! cluster: lost Redis (${err?.message ?? "connection closed"}); chatting on this server only until it is back`,
    );
    // Once per outage, however many times a reconnection fails half-way: users hear one "can't be
    // reached" and, when it is over, one "reachable again".
    if (!this.toldDown) {
      this.toldDown = true;
      this.host.outage(true);
    }
    this.retry();
  }

  /** A retry that is not scheduled while down (defensive: every path to "down" schedules one); the heartbeat checks. */
  retryIfClosed(): void {
    if (this.state === "down") this.retry();
  }

  retry(): void {
    if (this.retryTimer !== undefined || this.state === "stopped") return;
    const delay = Math.min(this.options.retryMaxMs, 100 * 2 ** Math.min(this.retries++, 10));
    this.retryTimer = this.options.clock.later(delay, () => {
      this.retryTimer = undefined;
      void this.reconnect();
    });
  }

  private async reconnect(): Promise<void> {
    if (this.reconnecting || this.state === "stopped") return;
    this.reconnecting = true;
    this.options.stats.reconnects++;
    try {
      [this.cmd, this.sub] = openClients(this.options.url);
      await Promise.all([this.cmd.connect(), this.sub.connect()]);
      this.watch();
      await this.host.rejoin();
    } catch (err) {
      if ((this.state as string) === "stopped") return; // stop() came while we waited
      this.state = "down";
      this.close();
      this.host.trouble("reconnect", err);
      return this.retry();
    } finally {
      this.reconnecting = false;
    }
    if (this.state !== "up") return; // busy: a survivor is still announcing us dead; retrying
    this.retries = 0;
    const told = this.toldDown;
    this.toldDown = false;
    this.host.reconnected(told);
  }

  /** Both connections heard from: a close, or a PING unanswered too long (see pulse), means Redis is gone. */
  watch(): void {
    const cmd = this.cmd;
    const sub = this.sub;
    this.pingSent = [undefined, undefined];
    cmd.onclose = sub.onclose = (err) => {
      if (cmd === this.cmd) this.lost(err); // not for connections already replaced
    };
  }

  close(): void {
    for (const client of [this.cmd, this.sub]) {
      client.onclose = null;
      client.close();
    }
    this.pingSent = [undefined, undefined];
  }

  /**
   * Every half second: a PING on each connection, unless one is still unanswered, and if one has
   * been for pulseTimeoutMs, Redis is taken as gone. A frozen Redis (or a dead network path) closes
   * nothing, and would otherwise hold lines for as long as TCP takes to give up.
   */
  private pulse(): void {
    const now = this.options.clock.now();
    const last = this.lastPulse;
    this.lastPulse = now;
    if (this.state !== "up" && this.state !== "syncing") return;
    // A tick this late means this process was stopped (SIGSTOP, a suspended VM) or starved: the
    // answers to the pings in flight are unread in its sockets, not missing. Judge afresh.
    if (last !== undefined && now - last > 3 * PULSE_EVERY_MS) {
      this.pingSent = [undefined, undefined];
      return;
    }
    const clients = [this.cmd, this.sub] as const;
    for (const i of [0, 1] as const) {
      const sent = this.pingSent[i];
      if (sent !== undefined) {
        if (now - sent <= this.options.pulseTimeoutMs) continue;
        const which = i === 0 ? "command" : "subscriber";
        return this.lost(new Error(`no answer to a PING on the ${which} connection in ${now - sent} ms`));
      }
      this.pingSent[i] = now;
      const client = clients[i];
      client.ping().then(
        () => {
          if (client === this.cmd || client === this.sub) this.pingSent[i] = undefined;
        },
        (err) => this.host.trouble("ping", err),
      );
    }
  }
}
