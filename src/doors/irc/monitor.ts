// IRC's MONITOR (IRCv3): each client's list of nicks whose coming online and going it is told of
// (730/731), bounded per client; one registry per hub, told by the hub when a name comes or goes
// (a rename is the one name going and the other coming). A client's list is its connection's, and
// goes when that connection leaves (the IRC adapter's left()).

import type { Hub } from "../../core/hub.ts";
import type { Device, Member } from "../../core/room.ts";
import { NUMERIC as N } from "../../protocol/irc-numerics.ts";
import { IRC_HOST } from "../../protocol/irc.ts";
import { foldName } from "../../protocol/names.ts";
import type { IrcReplies } from "./replies.ts";
import { userOf } from "./replies.ts";

/** Nicks one client may monitor (ISUPPORT MONITOR=). */
export const MONITOR_LIMIT = 100;

/** What the registry needs of a monitoring client. */
export interface Monitoring {
  /** Its connection (whose list it is) and who it is in the chat (not told of its own name). */
  readonly device: Device;
  readonly member: Member;
  readonly out: IrcReplies;
  send(text: string): void;
}

export class Monitors {
  /** Who monitors each name key, and each client's name keys (with the names as given). */
  private readonly byKey = new Map<string, Set<Device>>();
  private readonly byClient = new Map<Device, { client: Monitoring; names: Map<string, string> }>();

  constructor(private readonly hub: Hub) {
    hub.watch((member, online, name) => this.changed(member, online, name));
  }

  /** MONITOR + a,b: added (up to the limit; past it 734 with those left out), told who is online (730) and who not (731). */
  add(client: Monitoring, targets: string[]): void {
    let entry = this.byClient.get(client.device);
    if (!entry) this.byClient.set(client.device, (entry = { client, names: new Map() }));
    const online: string[] = [];
    const offline: string[] = [];
    const full: string[] = [];
    for (const name of targets) {
      const key = foldName(name);
      if (!entry.names.has(key) && entry.names.size >= MONITOR_LIMIT) {
        full.push(name);
        continue;
      }
      entry.names.set(key, name);
      let clients = this.byKey.get(key);
      if (!clients) this.byKey.set(key, (clients = new Set()));
      clients.add(client.device);
      const member = this.hub.find(name);
      if (member && foldName(member.name) === key) online.push(`${member.name}!${userOf(member)}@${IRC_HOST}`);
      else offline.push(name);
    }
    let out = "";
    if (online.length > 0) out += client.out.numeric(N.RPL_MONONLINE, [online.join(",")]);
    if (offline.length > 0) out += client.out.numeric(N.RPL_MONOFFLINE, [offline.join(",")]);
    if (full.length > 0) out += client.out.numeric(N.ERR_MONLISTFULL, [String(MONITOR_LIMIT), full.join(","), "Monitor list is full"]);
    client.send(out);
  }

  /** MONITOR - a,b: no longer told of them (nothing said). */
  remove(client: Monitoring, targets: string[]): void {
    const entry = this.byClient.get(client.device);
    if (!entry) return;
    for (const name of targets) this.forget(client.device, entry.names, foldName(name));
  }

  /** MONITOR C: the whole list goes. */
  clear(client: Monitoring): void {
    const entry = this.byClient.get(client.device);
    if (!entry) return;
    for (const key of [...entry.names.keys()]) this.forget(client.device, entry.names, key);
    this.byClient.delete(client.device);
  }

  /** Its connection left: its list goes. */
  left(device: Device): void {
    const entry = this.byClient.get(device);
    if (entry) this.clear(entry.client);
  }

  /** MONITOR L: the names as given (732s), then 733. */
  list(client: Monitoring): void {
    const names = [...(this.byClient.get(client.device)?.names.values() ?? [])];
    let out = "";
    for (let i = 0; i < names.length; i += 20) out += client.out.numeric(N.RPL_MONLIST, [names.slice(i, i + 20).join(",")]);
    client.send(out + client.out.numeric(N.RPL_ENDOFMONLIST, ["End of MONITOR list"]));
  }

  /** MONITOR S: who of the list is online and who not, now. */
  status(client: Monitoring): void {
    const names = [...(this.byClient.get(client.device)?.names.values() ?? [])];
    this.add(client, names);
  }

  private forget(device: Device, names: Map<string, string>, key: string): void {
    names.delete(key);
    const clients = this.byKey.get(key);
    clients?.delete(device);
    if (clients?.size === 0) this.byKey.delete(key);
  }

  /** The hub's news: a name came online or went. */
  private changed(member: Member, online: boolean, name: string): void {
    const clients = this.byKey.get(foldName(name));
    if (!clients) return;
    for (const watcher of clients) {
      const client = this.byClient.get(watcher)?.client;
      if (!client || client.member === member) continue;
      client.send(
        online
          ? client.out.numeric(N.RPL_MONONLINE, [`${name}!${userOf(member)}@${IRC_HOST}`])
          : client.out.numeric(N.RPL_MONOFFLINE, [name]),
      );
    }
  }
}

const registries = new WeakMap<Hub, Monitors>();

/** A connection left (its member may stay, on another device): its MONITOR list goes. */
export function monitorLeft(hub: Hub, device: Device): void {
  registries.get(hub)?.left(device);
}

/** The hub's MONITOR registry, made when first asked for. */
export function monitorsOf(hub: Hub): Monitors {
  let monitors = registries.get(hub);
  if (!monitors) registries.set(hub, (monitors = new Monitors(hub)));
  return monitors;
}
