// One connection's life: choosing a mode, choosing a name, chatting, leaving (exactly once).
// Works on lines and events; the socket stays on the other side of the outbox.

import { encode, LEAVE_WORDS, parseClientHello } from "../protocol/codec.ts";
import { lookupCommand, parseInput } from "../protocol/commands.ts";
import type { LeaveReason, Mode, ServerEvent } from "../protocol/events.ts";
import { LIMITS, PROTOCOL_VERSION, type ServerLimits } from "../protocol/limits.ts";
import { LineReader } from "../protocol/lines.ts";
import { checkName } from "../protocol/names.ts";
import { sanitizeText } from "../protocol/sanitize.ts";
import type { Outbox } from "../net/outbox.ts";
import { VERSION } from "../version.ts";
import { type CommandContext, error, runCommand } from "./commands.ts";
import type { Hub, Member } from "./hub.ts";

export interface SessionEnv {
  readonly hub: Hub;
  readonly limits: ServerLimits;
  log(line: string): void;
  now(): number;
}

/** new: nothing received yet · naming: waiting for a free, valid name · chatting · closed: gone or going. */
type Phase = "new" | "naming" | "chatting" | "closed";

export class Session implements Member, CommandContext {
  name = "";
  mode: Mode = "text";
  private phase: Phase = "new";
  readonly reader: LineReader;
  private readonly connectedAt: number;
  /** When we started closing this connection; it is reset if still open closeGraceMs later. */
  private closingSince: number | undefined;

  constructor(
    private readonly env: SessionEnv,
    readonly outbox: Outbox,
    /** "ip:port" of the peer, for the log. */
    readonly peer: string,
  ) {
    this.connectedAt = env.now();
    this.reader = new LineReader(LIMITS.maxLineBytes, {
      line: (text) => this.onLine(text),
      overflow: () =>
        this.reply(error("line-too-long", `That line was longer than ${LIMITS.maxLineBytes} bytes; it was not sent.`)),
    });
  }

  get me(): Member {
    return this;
  }
  get hub(): Hub {
    return this.env.hub;
  }

  receive(chunk: Uint8Array): void {
    if (this.phase !== "closed") this.reader.push(chunk);
  }

  deliver(bytes: Uint8Array): void {
    this.outbox.send(bytes);
  }

  reply(event: ServerEvent): void {
    this.outbox.send(encode(event, this.mode));
  }

  now(): number {
    return this.env.now();
  }

  log(line: string): void {
    this.env.log(line);
  }

  /** quit or /quit: goodbye, leave, close once the goodbye is out. */
  quit(): void {
    this.reply({ type: "bye", name: this.name });
    this.leave("quit");
    this.closeAfterFlush();
  }

  /** The peer half-closed (sent FIN): what it sent has been handled; leave and flush our replies. */
  peerEnded(): void {
    this.leave("disconnected");
    this.closeAfterFlush();
  }

  /** Refused at the door (server full, too many from one address): one line, then close. */
  refuse(event: ServerEvent): void {
    this.phase = "closed";
    this.reply(event);
    this.closeAfterFlush();
  }

  /** Its outbox passed the limit: it has stopped reading. The outbox has already ended the socket. */
  tooSlow(): void {
    this.closingSince ??= this.now();
    this.leave("too-slow");
  }

  /** Called about once a second: deadlines that no socket event would ever trigger. */
  sweep(now: number): void {
    if (this.closingSince !== undefined) {
      if (now - this.closingSince > this.env.limits.closeGraceMs) this.outbox.terminate();
      return;
    }
    if (
      (this.phase === "new" || this.phase === "naming") &&
      now - this.connectedAt > this.env.limits.registerTimeoutMs
    ) {
      const seconds = this.env.limits.registerTimeoutMs / 1000;
      this.reply(error("registration-timeout", `No username chosen within ${seconds} s; closing the connection.`));
      this.phase = "closed";
      this.closeAfterFlush();
    }
  }

  /** The socket is closed, for whatever reason. */
  closed(): void {
    this.leave("disconnected");
    this.outbox.discard();
  }

  /** Server shutdown: a notice, then close. No leave is announced: everyone is leaving. */
  shutdown(): void {
    if (this.phase === "closed") return;
    this.hub.remove(this);
    this.phase = "closed";
    this.reply({ type: "shutdown" });
    this.closeAfterFlush();
  }

  private closeAfterFlush(): void {
    this.closingSince ??= this.now();
    this.outbox.end();
  }

  private leave(reason: LeaveReason): void {
    const wasJoined = this.phase === "chatting";
    this.phase = "closed";
    if (!wasJoined || !this.hub.remove(this)) return;
    this.hub.broadcast({ type: "leave", name: this.name, reason, ts: this.now() });
    this.log(`- ${this.name} left (${LEAVE_WORDS[reason]}), ${this.hub.size} online`);
  }

  /** On connect, in plain text: a raw line client sees a prompt; the bundled client skips it. */
  greet(): void {
    this.reply({
      type: "hello",
      server: VERSION,
      proto: PROTOCOL_VERSION,
      maxLineBytes: LIMITS.maxLineBytes,
      nameMaxLength: LIMITS.nameMaxLength,
    });
    this.reply({ type: "ask-name" });
  }

  private onLine(line: string): void {
    switch (this.phase) {
      case "new":
        this.phase = "naming";
        if (this.chooseMode(line)) return;
        return this.onName(line);
      case "naming":
        return this.onName(line);
      case "chatting":
        return this.onChat(line);
      case "closed":
        return;
    }
  }

  /** A first line that is a JSON hello switches to structured mode. True if the line was a hello. */
  private chooseMode(line: string): boolean {
    const hello = parseClientHello(line);
    if (hello === undefined) return false;
    this.mode = "json";
    if ("error" in hello || hello.proto !== PROTOCOL_VERSION) {
      const why =
        "error" in hello ? hello.error : `This server speaks protocol ${PROTOCOL_VERSION}, not ${hello.proto}.`;
      this.reply(error("bad-hello", why));
      this.phase = "closed";
      this.closeAfterFlush();
      return true;
    }
    this.greet();
    return true;
  }

  private onName(line: string): void {
    const input = parseInput(line);
    if (input.kind === "empty") return this.reply({ type: "ask-name" });
    if (input.kind === "command") {
      if (lookupCommand(input.word) === "quit") return this.quit();
      return this.refuseName(error("not-registered", "Choose a username first; commands work once you have joined."));
    }
    const check = checkName(line);
    if (!check.ok) return this.refuseName(error("name-invalid", check.reason));
    const taken = this.hub.find(check.name);
    this.name = check.name;
    if (taken || !this.hub.add(this)) {
      this.name = "";
      return this.refuseName(
        error("name-taken", `The name "${check.name}" is taken${taken ? ` by ${taken.name}` : ""}.`),
      );
    }
    this.phase = "chatting";
    this.reply({ type: "welcome", name: this.name, users: this.hub.names() });
    this.hub.broadcast({ type: "join", name: this.name, ts: this.now() }, this);
    this.log(`+ ${this.name} joined from ${this.peer}, ${this.hub.size} online`);
  }

  private refuseName(event: ServerEvent): void {
    this.reply(event);
    this.reply({ type: "ask-name" });
  }

  private onChat(line: string): void {
    const input = parseInput(line);
    switch (input.kind) {
      case "empty":
        return;
      case "command":
        return runCommand(this, input.word, input.args);
      case "text": {
        const text = sanitizeText(input.text);
        if (text.trim() === "") {
          return this.reply(error("bad-usage", "Nothing left to send once control characters are removed."));
        }
        this.hub.broadcast({ type: "public", from: this.name, text, ts: this.now() }, this);
        this.log(`[Broadcast message from ${this.name}] ${text}`);
        return;
      }
    }
  }
}
