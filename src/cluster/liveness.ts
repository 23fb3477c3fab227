// A node keeping in touch with the others through Redis: its heartbeat every quarter of the node
// timeout (and its names' claims with it), what the beat says back (names another node took while
// we were cut off, dead nodes whose cleanup we took, nodes gone silent), and catching up from a
// snapshot after a gap or a conflict, one at a time.

import type { Hub } from "../core/hub.ts";
import { LIMITS } from "../protocol/limits.ts";
import { beatReply, type ClusterEvent, parseRecords, type Sequences, snapshotReply } from "./envelope.ts";
import type { RedisConnection } from "./connection.ts";
import type { Outbound } from "./outbound.ts";
import type { ClusterStats, RemoteRoster } from "./roster.ts";
import { CHANNEL, SCRIPT_BEAT, SCRIPT_BURY, SCRIPT_SNAPSHOT } from "./scripts.ts";

/** How long a claim outlives its node's last heartbeat: cleanup frees names sooner; this is for when nobody is left to. */
export const claimTtl = (nodeTimeoutMs: number) => 2 * nodeTimeoutMs;

/** What liveness needs of its node. */
export interface LivenessHost {
  readonly hub: Hub;
  readonly node: string;
  readonly nodeTimeoutMs: number;
  readonly out: Outbound;
  readonly stats: ClusterStats;
  readonly redis: RedisConnection;
  readonly remotes: RemoteRoster;
  readonly sequences: Sequences;
  now(): number;
  log(line: string): void;
  claim(name: string): true | Promise<boolean>;
  unclaim(name: string): void;
  rejoin(): Promise<void>;
  trouble(what: string, err: unknown): void;
  touch(node: string): void;
  applySnapshot(snapshot: [string, string[]][]): void;
}

export class Liveness {
  private resyncing = false;
  private resyncAgain = false;

  constructor(private readonly host: LivenessHost) {}

  /**
   * A name of ours that another node holds in Redis now (claimed while we were cut off). The rule:
   * a name stays with whoever holds it in Redis, so our user takes the first free "name-2",
   * "name-3"… and is told why.
   */
  async yieldName(field: string): Promise<void> {
    const member = this.host.hub.find(field);
    if (!member || member.node !== undefined) return;
    const old = member.name;
    for (let n = 2; n < 100; n++) {
      const suffix = `-${n}`;
      const name = old.slice(0, LIMITS.nameMaxLength - suffix.length) + suffix;
      if (this.host.hub.find(name)) continue;
      if ((await this.host.claim(name)) !== true) continue;
      if (this.host.hub.find(old) !== member || !this.host.hub.rename(member, name, this.host.now())) return this.host.unclaim(name);
      this.host.hub.send(member, {
        type: "notice",
        text: `While this server was cut off from the others, someone there took the name ${old}; you are now ${name} (/nick to choose another).`,
        ts: this.host.now(),
      });
      this.host.log(`~ ${old} is now ${name}: the name was taken on another node meanwhile`);
      return;
    }
  }

  /** Catches up with the other nodes from Redis (after a gap or a conflict); one at a time. */
  catchUp(): void {
    if (this.host.redis.state !== "up") return;
    if (this.resyncing) {
      this.resyncAgain = true;
      return;
    }
    this.resyncing = true;
    this.host.redis.cmd.send("EVAL", [SCRIPT_SNAPSHOT, "0", this.host.node]).then(
      (reply: unknown) => {
        const snapshot = snapshotReply(reply);
        this.host.stats.resyncs++;
        this.host.applySnapshot(snapshot);
        this.resyncing = false;
        if (this.resyncAgain) {
          this.resyncAgain = false;
          this.catchUp();
        }
      },
      (err) => {
        this.resyncing = false;
        this.host.trouble("resync", err);
      },
    );
  }

  /** Every quarter of the node timeout: our heartbeat and claims, and the other nodes' health. */
  beat(): void {
    if (this.host.redis.state === "up" && (!this.host.redis.cmd.connected || !this.host.redis.sub.connected)) return this.host.redis.lost(undefined);
    if (this.host.redis.state !== "up") return void this.host.redis.retryIfClosed();
    const args = [this.host.node, this.host.out.boot, String(this.host.nodeTimeoutMs), String(claimTtl(this.host.nodeTimeoutMs))];
    if (this.host.out.congested) this.host.out.isCongested(); // tells users here once Redis has caught up, even if nobody speaks
    this.host.redis.cmd.send("EVAL", [SCRIPT_BEAT, "0", ...args]).then(
      (reply: unknown) => this.afterBeat(beatReply(reply)).catch((err) => this.host.trouble("heartbeat", err)),
      (err) => this.host.trouble("heartbeat", err),
    );
  }

  private async afterBeat({ ours, lost, dead, live }: ReturnType<typeof beatReply>): Promise<void> {
    if (this.host.redis.state !== "up") return;
    if (!ours) {
      // Our heartbeat had expired (we were taken for dead) or Redis lost its data: join again.
      this.host.log("! cluster: our heartbeat had lapsed in Redis; claiming our users' names again");
      return this.host.rejoin().catch((err) => this.host.trouble("rejoin", err));
    }
    for (const field of lost) await this.yieldName(field);
    if (lost.length > 0) this.catchUp(); // the users who kept those names, on other nodes
    for (const [node, records] of dead) await this.bury(node, records);
    // A node that left Redis's list without anyone announcing it (Redis restarted, and the node
    // never came back): its users are dropped here once it has been silent for a timeout.
    const now = this.host.now();
    for (const node of live) this.host.touch(node);
    for (const [node, members] of [...this.host.remotes.nodes()]) {
      if (live.includes(node) || members.size === 0) continue;
      const heard = this.host.sequences.heardAt(node);
      if (heard !== undefined && now - heard < this.host.nodeTimeoutMs) continue;
      this.host.remotes.forget(node, "server-lost", now);
      this.host.sequences.forget(node);
    }
  }

  /** We took a dead node's cleanup: its users' leaves go out first, and only then are their names freed. */
  private async bury(node: string, records: string[]): Promise<void> {
    const names = parseRecords(records).map((entry) => entry.name); // a broken record's name is freed all the same
    const gone: ClusterEvent = { type: "gone", node, names };
    const seq = this.host.out.nextSeq;
    const envelopes = [this.host.out.envelope([gone]), this.host.out.envelope([], seq)];
    try {
      const buried = await this.host.redis.cmd.send("EVAL", [SCRIPT_BURY, "0", CHANNEL, ...envelopes, this.host.node, node]);
      this.host.stats.published++;
      if (buried === 1) this.host.remotes.apply(this.host.node, gone);
      else this.host.log(`cluster: node ${node} is back; not announced`);
    } catch (err) {
      // Not announced: the names stay claimed, and the lock expires for another try.
      this.host.stats.unsent++;
      this.host.trouble("cleanup", err);
    }
  }
}
