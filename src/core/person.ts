// A user in the chat on this server: one name, the rooms it is in, what it ignores, and the
// connections (devices) it is sent what it is sent through. A guest has one connection; a
// registered user may have several, from any doors at once, and stays in its rooms until the last
// one goes. Everything the hub keys by member (rooms, away reasons, operators' lists) holds for
// the whole stay, whichever connections come and go meanwhile.

import type { ErrorEvent, LeaveReason } from "../protocol/events.ts";
import type { Device, Member, Room } from "./room.ts";

export class Person implements Member {
  readonly rooms: Room[] = [];
  readonly devices: Device[] = [];
  /** Read markers: target -> the time of the newest line read (loaded from the store for a registered user). */
  readonly markers = new Map<string, number>();
  seen: number | undefined;
  lastPmFrom?: Member;
  account: string | undefined;
  ignoring: Map<string, string> | undefined;
  visit: string | undefined;
  oper: string | undefined;
  lastActive: number;
  /** Stays online, in its rooms, when its last connection goes (/always-on); away meanwhile. */
  alwaysOn = false;
  /** Its away reason is the one staying on without a connection set (taken back when a device comes). */
  awayWhileGone = false;

  constructor(
    public name: string,
    /** When it came into the chat. */
    readonly since: number,
  ) {
    this.lastActive = since;
  }

  /** The network its first connection comes from (a guest has only one: its ban covers it). */
  get network(): string | undefined {
    return this.devices[0]?.network;
  }

  /** What its first connection's client said of itself (IRC's USER). */
  ident(): { user: string; realname: string } | undefined {
    return this.devices[0]?.ident?.();
  }

  /** Put out of the chat: every connection is told why and closed; the last one to go takes it out. */
  drop(why: ErrorEvent, reason: LeaveReason, message: string): void {
    for (const device of [...this.devices]) device.drop?.(why, reason, message);
  }

  /** A connection more (another device of the same account). */
  attach(device: Device): void {
    this.devices.push(device);
  }

  /** A connection gone: how many are left. */
  detach(device: Device): number {
    const at = this.devices.indexOf(device);
    if (at >= 0) this.devices.splice(at, 1);
    return this.devices.length;
  }
}
