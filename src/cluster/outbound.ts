// What this node tells the others: each turn of the event loop, one script in Redis with the
// turn's changes to our user list and history (ops) and one envelope of its events, numbered, so
// that the other nodes see a gap; dropped rather than queued past a bound while Redis is not
// keeping up, and the senders told when their lines may not have reached the other servers.

import { excerpt } from "../protocol/messages.ts";
import type { Hub } from "../core/hub.ts";
import type { Member } from "../core/room.ts";
import { foldName } from "../protocol/names.ts";
import type { ClusterEvent, Envelope } from "./envelope.ts";
import { entryOf, type ClusterStats } from "./roster.ts";
import { CHANNEL, SCRIPT_TURN } from "./scripts.ts";

/** Events in one envelope before it is published without waiting for the turn to end. */
const MAX_ENVELOPE_EVENTS = 1024;
/**
 * An envelope that reaches Redis later than this after it was sent is dropped there, unapplied:
 * a frozen Redis that wakes must not deliver what the sender was already told did not go.
 */
const ENVELOPE_DEADLINE_MS = 1000;

/** What the outbound side needs of its node. */
export interface OutboundHost {
  readonly hub: Hub;
  readonly node: string;
  readonly stats: ClusterStats;
  readonly connected: boolean;
  /** The command connection: what it is sent, and what waits to be written to it. */
  readonly cmd: { send(name: string, args: string[]): Promise<unknown>; readonly bufferedAmount: number };
  /** Redis's clock minus ours: envelope deadlines are on Redis's clock. */
  readonly redisOffsetMs: number;
  /** Lines kept per room's stream (XADD MAXLEN ~). */
  readonly historyLines: number;
  /** Output waiting for Redis past which envelopes are dropped. */
  readonly maxPendingBytes: number;
  now(): number;
  log(line: string): void;
  /** A notice to everyone here. */
  notice(text: string): void;
  rejoin(): Promise<void>;
  trouble(what: string, err: unknown): void;
}

export class Outbound {
  /** This turn's envelope: events, and changes to our user list in Redis (op, field, value triples). */
  private events: ClusterEvent[] = [];
  private ops: string[] = [];
  private seq = 0;
  private readonly flushTurn = () => void this.publishTurn();
  private flushScheduled = false;
  /** Senders told that their lines may not have reached the other servers, since lines last went through. */
  private readonly toldUndelivered = new Set<Member>();

  constructor(
    private readonly host: OutboundHost,
    /** A new one per process, so a node restarted under the same id starts a new sequence. */
    readonly boot: string,
  ) {}

  /** The number the next envelope will have. */
  get nextSeq(): number {
    return this.seq + 1;
  }

  /** A change to our user list in Redis, sent with this turn's script. */
  op(kind: "set" | "del", field: string, value = ""): void {
    this.ops.push(kind, field, value);
  }

  /** The envelope of what this turn holds and `more` (leaving: our users' quits), taken out of the turn. */
  last(more: ClusterEvent[]): string {
    const events = [...this.events, ...more];
    this.events = [];
    return this.envelope(events);
  }

  /** A script with lines to keep was handed to the client since sentLines() was last asked. */
  private linesSent = false;

  /** Whether a script with lines to keep was handed to Redis's client since last asked (and no more). */
  sentLines(): boolean {
    const sent = this.linesSent;
    this.linesSent = false;
    return sent;
  }

  /** History lines handed to Redis with a turn's script, and ones lost with a script that failed. */
  readonly historyWrites = { written: 0, failed: 0 };

  write(op: "hist" | "topic" | "talk", room: string, value: string): void {
    this.ops.push(op, room, value);
    this.schedule();
  }


  /** Whether this turn's changes for Redis free `key`'s name (ops are op, field, value triples). */
  freeing(key: string): boolean {
    for (let i = 0; i < this.ops.length; i += 3) if (this.ops[i] === "del" && this.ops[i + 1] === key) return true;
    return false;
  }


  /** Our user's record in Redis (its name as typed, and away reason), set at the end of the turn. */
  record(name: string): void {
    const member = this.host.hub.find(name);
    this.ops.push("set", foldName(name), JSON.stringify(member ? entryOf(this.host.hub, member) : { name }));
  }

  queue(event: ClusterEvent): void {
    this.events.push(event);
    if (this.events.length >= MAX_ENVELOPE_EVENTS) void this.publishTurn();
    else this.schedule();
  }

  schedule(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.host.hub.turns.beforeWrite(this.flushTurn);
  }

  /** One script per turn: our user list changes, and one envelope with the turn's events. */
  async publishTurn(): Promise<void> {
    this.flushScheduled = false;
    const events = this.events;
    const ops = this.ops;
    this.events = [];
    this.ops = [];
    if (events.length === 0 && ops.length === 0) return;
    // While Redis is away nothing is queued: users here were told, and the catch-up on return
    // brings the user list up to date. A stale line delivered a minute late is worse.
    let lines = 0;
    for (let i = 0; i < ops.length; i += 3) if (ops[i] === "hist") lines++;
    if (!this.host.connected) {
      if (events.length > 0) this.host.stats.unsent++;
      this.historyWrites.failed += lines;
      return;
    }
    // Connected but Redis is not taking what we send (busy, or frozen and not yet timed out):
    // past a bound the events are dropped, not queued. Their sequence number is used up, so the
    // other nodes see the gap and catch up; our user-list changes still go (they are small).
    let envelope = "";
    if (events.length > 0 && this.isCongested()) {
      this.seq++;
      this.host.stats.unsent++;
    } else if (events.length > 0) envelope = this.envelope(events);
    if (envelope === "" && ops.length === 0) return;
    const deadline = String(Math.round(this.host.now() + this.host.redisOffsetMs + ENVELOPE_DEADLINE_MS));
    if (lines > 0) this.linesSent = true;
    try {
      const done = await this.host.cmd.send("EVAL", [
        SCRIPT_TURN,
        "0",
        CHANNEL,
        envelope,
        this.host.node,
        deadline,
        String(this.host.historyLines),
        ...ops,
      ]);
      if (done === 1) {
        if (envelope) this.host.stats.published++;
        this.historyWrites.written += lines;
        this.toldUndelivered.clear(); // lines go again: a later failure is news
        return;
      }
      // Redis ran it after its deadline (it was frozen or swamped meanwhile) and did nothing: the
      // senders are told, and our user list in Redis is written afresh.
      if (envelope) this.host.stats.unsent++;
      this.historyWrites.failed += lines;
      this.undelivered(events, "Redis took too long to take it");
      this.host.log("! cluster: an envelope reached Redis after its deadline and was dropped; rejoining");
      void this.host.rejoin().catch((err) => this.host.trouble("rejoin", err));
    } catch (err) {
      if (envelope) this.host.stats.unsent++;
      this.historyWrites.failed += lines;
      this.undelivered(events, "Redis stopped answering");
      this.host.trouble("publish", err);
    }
  }

  /**
   * Tells the senders here of lines and private messages that may not have reached the other
   * servers: never silent, but once per sender until lines go through again.
   */
  private undelivered(events: ClusterEvent[], why: string): void {
    const lines = new Map<Member, string[]>();
    for (const event of events) {
      let from: string;
      let what: string;
      if (event.type === "public" || event.type === "action") [from, what] = [event.from, `"${excerpt(event.text, 41)}"`];
      else if (event.type === "pm") {
        const e = event.event;
        [from, what] = e.type === "edit" || e.type === "delete" ? [e.by, `your ${e.type} of a line to ${event.to}`] : [e.from, `your ${e.type === "invite" ? "invite" : "private message"} to ${event.to}`];
      }
      else continue;
      const sender = this.host.hub.find(from);
      if (!sender || sender.node !== undefined || this.toldUndelivered.has(sender)) continue;
      let list = lines.get(sender);
      if (!list) lines.set(sender, (list = []));
      list.push(what);
    }
    for (const [sender, list] of lines) {
      this.toldUndelivered.add(sender);
      const which = list.length === 1 ? list[0]! : `${list.length} of your lines (${list[0]} and after)`;
      this.host.hub.send(sender, {
        type: "error",
        code: "unreachable",
        message: `${which[0]!.toUpperCase()}${which.slice(1)} may not have reached the other servers (${why}); people on this server got it.`,
      });
    }
  }

  /** Whether Redis has more than the bound waiting for it; users here are told when this starts and ends. */
  isCongested(): boolean {
    const waiting = this.host.cmd.bufferedAmount;
    if (!this.congested && waiting > this.host.maxPendingBytes) {
      this.congested = true;
      this.host.log(
        `! cluster: Redis is not keeping up (${Math.round(waiting / 1048576)} MiB waiting); messages for other servers are dropped until it does`,
      );
      this.host.notice(
        "Messages are not reaching the other servers right now (they can't keep up); they are not delivered there.",
      );
    } else if (this.congested && waiting < this.host.maxPendingBytes / 2) {
      this.congested = false;
      this.host.log("cluster: Redis is keeping up again");
      this.host.notice("Messages reach the other servers again.");
    }
    return this.congested;
  }
  congested = false;

  /** Our next envelope (or, given `seq`, another with that number: one or the other is sent). */
  envelope(events: ClusterEvent[], seq?: number): string {
    const envelope: Envelope = { n: this.host.node, b: this.boot, s: seq ?? ++this.seq, e: events };
    return JSON.stringify(envelope); // starts with ownPrefix: "n" and "b" first
  }

  /** How each of our envelopes starts. */
  get ownPrefix(): string {
    return (this.prefix ??= JSON.stringify({ n: this.host.node, b: this.boot }).slice(0, -1) + ",");
  }
  private prefix: string | undefined;
}
