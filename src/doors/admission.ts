// Who may connect, whichever door: the caps every door shares (--max-clients connections in all,
// --max-per-ip per address, --max-per-net per network, --connect-rate new ones a second from one
// address), and the counts they are judged by.

import { error } from "../core/commands/chat.ts";
import type { ErrorEvent } from "../protocol/events.ts";
import type { ServerLimits } from "../protocol/limits.ts";
import { PerAddress } from "../session/per-address.ts";

export class Admission {
  private readonly perIp = new Map<string, number>();
  private readonly perNet = new Map<string, number>();
  private readonly connects: PerAddress;

  constructor(
    private readonly limits: ServerLimits,
    /** The network an address belongs to (--ipv4-net-bits, --ipv6-net-bits). */
    private readonly network: (address: string) => string,
    private readonly now: () => number,
  ) {
    this.connects = new PerAddress(limits.connectBurst, limits.connectsPerSecond);
  }

  /** One more connection from `address`, whichever door: its address, its network, its connect rate. */
  counted(address: string): void {
    this.perIp.set(address, (this.perIp.get(address) ?? 0) + 1);
    const net = this.network(address);
    this.perNet.set(net, (this.perNet.get(net) ?? 0) + 1);
    this.connects.take(address, this.now());
  }

  /** One connection fewer from `address`. */
  uncounted(address: string): void {
    uncount(this.perIp, address);
    uncount(this.perNet, this.network(address));
  }

  /** The reason to turn away a new connection from `address` while `open` are open, if there is one. */
  refusal(address: string, open: number): ErrorEvent | undefined {
    if (this.limits.maxClients > 0 && open >= this.limits.maxClients) {
      return error("server-full", `The server is full (${this.limits.maxClients} connections); try again later.`);
    }
    if (this.limits.maxPerIp > 0 && (this.perIp.get(address) ?? 0) >= this.limits.maxPerIp) {
      return error(
        "too-many-connections",
        `Too many connections from ${address} (the limit is ${this.limits.maxPerIp}); close one and try again.`,
      );
    }
    const net = this.network(address);
    if (this.limits.maxPerNet > 0 && (this.perNet.get(net) ?? 0) >= this.limits.maxPerNet) {
      return error(
        "too-many-connections",
        `Too many connections from your network ${net} (the limit is ${this.limits.maxPerNet}); try again later.`,
      );
    }
    const wait = this.connects.wait(address, this.now());
    if (wait > 0) {
      return error(
        "connecting-too-fast",
        `Too many new connections from ${address} (more than ${this.limits.connectsPerSecond} a second); try again in ${Math.ceil(wait / 1000)} s.`,
      );
    }
    return undefined;
  }

  /** About once a second: addresses whose connect budget is full again are forgotten. */
  sweep(now: number): void {
    this.connects.sweep(now);
  }
}

/** One connection fewer for `key`; keys at zero are forgotten. */
function uncount(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left > 0) counts.set(key, left);
  else counts.delete(key);
}
