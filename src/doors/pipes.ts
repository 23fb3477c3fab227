// Devices of one user on two nodes of a cluster: a registered user is a member of one node (its
// home), and a connection to another node that chooses its name is piped there through the
// cluster: the home node runs it as a session of its own (its password asked and checked there,
// then another device of the user, with its own flood budget, current room and deadlines), on a
// connection whose bytes go back as `out` events; the node it came to only passes its lines on and
// writes what comes back. Bunchat's own port and the page (JSON or text); an IRC client on another
// node is refused with the reason, as before.

import type { NodeBus, PipeHandler } from "../cluster/roster.ts";
import type { PipeEvent } from "../cluster/envelope.ts";
import type { Door } from "../protocol/events.ts";
import type { Writable } from "../net/outbox.ts";
import type { Session } from "../session/session.ts";

/** A piped connection's side here: its lines go to the home node, and it closes when the pipe does. */
export interface Pipe {
  line(text: string): void;
  close(): void;
}

/** How long a piped connection's home node has to answer its opening (its password question) before it is closed. */
export const PIPE_ANSWER_MS = 10_000;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

export class Pipes implements PipeHandler {
  /** Connections here piped to a user's home node, by pipe id. */
  private readonly outgoing = new Map<string, { session: Session; node: string; answered: boolean }>();
  /** Sessions here for connections of other nodes, by "<node> <pipe>". */
  private readonly hosted = new Map<string, Session>();
  private next = 0;

  constructor(
    private readonly bus: NodeBus,
    /** A session here for a connection of another node, writing to `out`. */
    private readonly host: {
      session(address: string, door: Door, out: Writable): Session;
      released(session: Session): void;
      log(line: string): void;
      later(ms: number, f: () => void): { cancel(): void };
    },
  ) {
    bus.onPipes(this);
  }

  /** `session` chose `name`, a registered user of `node`: from now on it is piped there. Undefined if that node can't be reached. */
  open(session: Session, node: string, name: string): Pipe | undefined {
    const pipe = `${Date.now().toString(36)}${(this.next++).toString(36)}`;
    const opened = this.bus.sendPipe({ type: "pipe", node, from: this.bus.node, pipe, op: "open", mode: session.mode === "json" ? "json" : "text", door: session.door === "web" ? "web" : "tcp", address: session.address, text: name });
    if (!opened) return undefined;
    this.outgoing.set(pipe, { session, node, answered: false });
    this.host.log(`+ ${session.peer} chose ${name.startsWith("/resume") ? "a page session" : name}, a user of node ${node}: piped there`);
    // That node answers at once (a password asked, a session signed in): if it does not, this one says so.
    this.host.later(PIPE_ANSWER_MS, () => {
      const waiting = this.outgoing.get(pipe);
      if (!waiting || waiting.answered) return;
      this.outgoing.delete(pipe);
      this.bus.sendPipe({ type: "pipe", node, from: this.bus.node, pipe, op: "close" });
      session.pipeEnded(`The server your name is on (${node}) did not answer; connect again.`);
    });
    return {
      line: (text) => void this.bus.sendPipe({ type: "pipe", node, from: this.bus.node, pipe, op: "line", text }),
      close: () => {
        if (this.outgoing.delete(pipe)) this.bus.sendPipe({ type: "pipe", node, from: this.bus.node, pipe, op: "close" });
      },
    };
  }

  event(e: PipeEvent): void {
    const key = `${e.from} ${e.pipe}`;
    switch (e.op) {
      case "open": {
        if (this.hosted.has(key)) return;
        let open = true;
        const back = (op: "out" | "close", text?: string) => void this.bus.sendPipe({ type: "pipe", node: e.from, from: this.bus.node, pipe: e.pipe, op, ...(text !== undefined ? { text } : {}) });
        const out: Writable = {
          write: (bytes) => {
            if (open) back("out", utf8Decoder.decode(bytes));
            return bytes.length;
          },
          end: () => this.closeHosted(key, () => open && ((open = false), back("close"))),
          terminate: () => this.closeHosted(key, () => open && ((open = false), back("close"))),
        };
        const session = this.host.session(e.address ?? "", e.door ?? "tcp", out);
        this.hosted.set(key, session);
        if (e.mode === "json") session.speakJson();
        return session.receive(utf8.encode(`${e.text ?? ""}\n`)); // the name it chose: its password is asked next
      }
      case "line":
        return this.hosted.get(key)?.receive(utf8.encode(`${e.text ?? ""}\n`));
      case "out": {
        const mine = this.outgoing.get(e.pipe);
        if (!mine) return;
        mine.answered = true;
        return mine.session.deliver(utf8.encode(e.text ?? ""));
      }
      case "close": {
        const hosted = this.hosted.get(key);
        if (hosted) return this.closeHosted(key, () => {});
        const mine = this.outgoing.get(e.pipe);
        if (!mine) return;
        this.outgoing.delete(e.pipe);
        return mine.session.pipeEnded();
      }
    }
  }

  /** A node is gone: its connections here close, and those here piped to it are told and closed. */
  gone(node: string): void {
    for (const key of [...this.hosted.keys()]) if (key.startsWith(`${node} `)) this.closeHosted(key, () => {});
    for (const [pipe, { session, node: home }] of [...this.outgoing]) {
      if (home !== node) continue;
      this.outgoing.delete(pipe);
      session.pipeEnded(`The server your name is on (${node}) is gone; connect again.`);
    }
  }

  /**
   * This server is stopping (before it leaves the cluster): the connections piped here are told, as
   * its own are, and closed; those here piped to other nodes are told and closed, and their devices
   * there leave.
   */
  stop(): void {
    for (const session of [...this.hosted.values()]) session.shutdown();
    for (const [pipe, { session, node }] of [...this.outgoing]) {
      this.outgoing.delete(pipe);
      this.bus.sendPipe({ type: "pipe", node, from: this.bus.node, pipe, op: "close" });
      session.shutdown();
    }
  }

  private closeHosted(key: string, then: () => void): void {
    const session = this.hosted.get(key);
    then();
    if (!session) return;
    this.hosted.delete(key);
    this.host.released(session);
  }
}
