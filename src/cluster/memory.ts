// A bus between servers in one process: the same cross-node behaviour as the Redis bus (the remote
// roster and the application of other nodes' events are shared, roster.ts), carried by function
// calls at the end of each turn instead of Redis. The behaviour suite runs against both
// (test/cluster/bus.case.ts), so cross-node logic is tested in milliseconds without redis-server;
// what only Redis can get wrong (reconnections, freezes, dead nodes) is tested against Redis.

import { foldName } from "../protocol/names.ts";
import type { Hub } from "../core/hub.ts";
import type { Member } from "../core/room.ts";
import type { RelayEvent } from "../core/bus.ts";
import type { ServerEvent } from "../protocol/events.ts";
import { carriedPrivately, type ClusterEvent, type PipeEvent, type RosterEntry } from "./envelope.ts";
import { entryOf, Moderation, type NodeBus, type PipeHandler, RemoteRoster, type RosterHost } from "./roster.ts";

/** The servers of one process that share a chat, and who holds which name (Redis's name claims). */
export class MemoryNetwork {
  readonly nodes = new Map<string, MemoryBus>();
  readonly names = new Map<string, string>();
  /** What every node's line ids count from (Redis's sequence, as ids.ts leases it). */
  private lastId = 0;

  /** A line id no node of this network gave before, in the form a Redis cluster's take. */
  nextId(): string {
    return `${Date.now()}-${++this.lastId}`;
  }

  /** A new node: a hub is made on it, then it joins (it learns who is on the others, and they who is on it). */
  node(node: string, log: (line: string) => void = () => {}): MemoryBus {
    if (this.nodes.has(node)) throw new Error(`node id "${node}" is in use`);
    return new MemoryBus(this, node, log);
  }
}

export class MemoryBus extends Moderation implements NodeBus, RosterHost {
  private readonly remotes = new RemoteRoster(this);
  private outgoing: ClusterEvent[] = [];
  private scheduled = false;
  private readonly flush = () => this.deliver();
  private turnsDelivered = 0;

  /** The hub this node's users are in: built on this bus, then given to join(). */
  hub!: Hub;

  constructor(
    private readonly network: MemoryNetwork,
    readonly node: string,
    readonly log: (line: string) => void,
  ) {
    super();
  }

  /** Into the others' chat with `hub` (built on this bus). */
  join(hub: Hub): void {
    this.hub = hub;
    this.resync();
    this.network.nodes.set(this.node, this);
    this.queue({ type: "roster", users: this.entries() });
  }

  now(): number {
    return Date.now();
  }

  /** Our users, as the other nodes see them. */
  entries(): RosterEntry[] {
    return [...this.hub.locals()].map((m) => entryOf(this.hub, m));
  }

  // Bus: what happens here, for the other nodes.

  nextId(): string {
    return this.network.nextId();
  }

  relay(event: RelayEvent): void {
    if (event.type === "quit") this.free(event.name);
    if (event.type === "rename" && foldName(event.from) !== foldName(event.to)) this.free(event.from);
    this.queue(event);
  }

  relayAway(name: string, reason: string | undefined): void {
    this.queue({ type: "away-state", name, reason: reason ?? null });
  }

  relayAccount(name: string, account: string | undefined): void {
    this.queue({ type: "account", name, account: account ?? null });
  }

  sendPrivate(to: Member, event: ServerEvent): boolean {
    if (!carriedPrivately(event) || to.node === undefined || !this.network.nodes.has(to.node)) return false;
    this.queue({ type: "pm", to: to.name, node: to.node, event });
    return true;
  }

  claim(name: string): true | Promise<boolean> {
    const key = foldName(name);
    const holder = this.network.names.get(key);
    if (holder !== undefined && holder !== this.node) return Promise.resolve(false);
    this.network.names.set(key, this.node);
    return true;
  }

  unclaim(name: string): void {
    this.free(name);
  }

  private free(name: string): void {
    const key = foldName(name);
    if (this.network.names.get(key) === this.node) this.network.names.delete(key);
  }

  // RosterHost.

  /** Our view of the others made what they have now. */
  resync(): void {
    for (const other of this.network.nodes.values()) {
      if (other !== this) this.remotes.reconcile(other.node, other.entries(), "disconnected");
    }
  }

  send(event: ClusterEvent): void {
    this.queue(event);
  }

  private pipes: PipeHandler | undefined;

  sendPipe(event: PipeEvent): boolean {
    if (!this.network.nodes.has(event.node)) return false;
    this.queue(event);
    return true;
  }

  onPipes(handler: PipeHandler): void {
    this.pipes = handler;
  }

  pipe(event: PipeEvent): void {
    this.pipes?.event(event);
  }

  gone(): void {}

  touch(): void {}

  conflict(): void {}

  // Carrying events: one batch per turn, to every other node, in order.

  protected queue(event: ClusterEvent): void {
    this.outgoing.push(event);
    if (this.scheduled) return;
    this.scheduled = true;
    this.hub.turns.beforeWrite(this.flush);
  }

  private deliver(): void {
    this.scheduled = false;
    const events = this.outgoing;
    this.outgoing = [];
    if (events.length === 0) return;
    this.turnsDelivered++;
    for (const other of this.network.nodes.values()) if (other !== this) other.receive(this.node, events);
  }

  private receive(from: string, events: ClusterEvent[]): void {
    for (const event of events) {
      try {
        this.remotes.apply(from, event);
      } catch (err) {
        this.log(`! cluster: an event from ${from} could not be applied: ${(err as Error).message}`);
      }
    }
  }

  /** Leaves the others: our users' leaves go to them, their names are freed. */
  async stop(): Promise<void> {
    if (this.network.nodes.get(this.node) !== this) return;
    const ts = this.now();
    for (const m of this.hub.locals()) {
      this.outgoing.push({ type: "quit", name: m.name, reason: "server-stopped", ts });
      this.free(m.name);
    }
    this.deliver();
    this.network.nodes.delete(this.node);
    this.hub.bus = undefined;
  }

  summary(): string {
    return `${this.turnsDelivered} turns delivered in memory`;
  }

  get connected(): boolean {
    return this.network.nodes.has(this.node);
  }
}
