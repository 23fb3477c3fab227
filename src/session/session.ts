// One connection's life: choosing a mode, choosing a name, chatting, leaving (exactly once).
// Works on lines and events; the socket stays on the other side of the outbox.

import { LINK_HOURS } from "../core/files.ts";
import { Encoded } from "../render/codec.ts";
import { LEAVE_WORDS } from "../render/text.ts";
import type { ErrorEvent, LeaveReason, Mode, ServerEvent, Unread } from "../protocol/events.ts";
import { jsonLineBytes, LIMITS } from "../protocol/limits.ts";
import { type LineHandlers, LineReader } from "../protocol/lines.ts";
import { checkName, foldName } from "../protocol/names.ts";
import { TelnetFilter } from "../protocol/telnet.ts";
import { FloodBudget } from "../net/bucket.ts";
import { Pacer, type PacerHost } from "../net/pacer.ts";
import { Outbox, type OverflowListener, type Writable } from "../net/outbox.ts";
import type { Repeat } from "./log-digest.ts";
import { type CommandContext, error, ignoreList, showReplay } from "../core/commands/chat.ts";
import type { Hub } from "../core/hub.ts";
import type { Replay } from "../core/keeping.ts";
import type { Device, Member, MemberNote, Room } from "../core/room.ts";
import { Person } from "../core/person.ts";
import { unreadIn } from "../core/markers.ts";
import type { Missed } from "../core/conversations.ts";
import type { Pipe } from "../doors/pipes.ts";
import { newSession } from "./secrets.ts";
import { SESSIONS_PER_ACCOUNT } from "../store/sessions.ts";
import { chain, type Cursor, type Maybe, then } from "../store/history.ts";
import { botNameError, type Login, nameStanding, nameTakenError, type RegistrationHost } from "./registration.ts";
import type { Adapter } from "./adapter.ts";
import * as refusals from "./refusals.ts";
import { networkOf } from "./network.ts";
import type { Door, SessionEnv } from "./env.ts";

/** Connections closed before they joined, per reason: a storm of them is summed up in the log. */
const closedFor = (code: string): Repeat => ({
  one: `connection closed before joining (${code})`,
  many: `connections closed before joining (${code})`,
});

/** registering: mode, password and name (registration.ts) · chatting · closed: gone or going. */
type Phase = "registering" | "chatting" | "closed";

/** The first bytes of a TLS ClientHello: a handshake record, version 3.x. */
const TLS_HANDSHAKE = 0x16;
const LF = 0x0a;
/** telnet's "interpret as command": never part of UTF-8 text. */
const IAC = 0xff;

/** A line from the reader, or a problem with one (too long, not UTF-8) to answer in its place. */
type Input = { text: string; bytes: number; problem?: undefined } | { problem: ErrorEvent; bytes: number };

// A session is its reader's handlers, its outbox's listener and its pacer's host itself, rather
// than holding closures for them: 10,000 idle connections must fit in the server's memory budget.
export class Session
  implements Device, CommandContext, LineHandlers, OverflowListener, PacerHost<Input>, RegistrationHost
{
  /** Who it is in the chat, once it is in (several connections of one account share one). */
  member: Person | undefined;
  mode: Mode = "text";
  /** The address of ours this connection reached (links for it name it; a WebSocket's page needs none). */
  localAddress: string | undefined;
  /** Where it is in its life: registering, chatting, closed (its adapter reads it). */
  phase: Phase = "registering";
  /** The door's language: reads the peer's lines, writes events in the door's words. */
  readonly adapter: Adapter;
  /** Member.note, for a door whose clients keep state from lines (IRC); absent for the others, who cost nothing. */
  readonly note?: (note: MemberNote) => void;
  readonly reader: LineReader;
  readonly outbox: Outbox;
  private readonly connectedAt: number;
  /** When we started closing this connection; it is reset if still open closeGraceMs later. */
  private closingSince: number | undefined;
  /** Last time anything arrived from the peer, and when we pinged it since (structured clients). */
  private heardAt: number;
  /** While a chunk is being handled: when it arrived. */
  private receivedAt: number | undefined;
  private pingedAt: number | undefined;
  private gotBytes = false;
  /** Set once a telnet command arrives (a byte 255): telnet's commands are then taken out of the input. */
  private telnet: TelnetFilter | undefined;
  /** When the unfinished line the reader holds began to arrive; undefined when it holds none. */
  private unfinishedSince: number | undefined;
  /** Flood control; undefined when it is off. */
  private budget: FloodBudget | undefined;
  /**
   * Lines in order, each handled when the flood budget (or, before the name, the address's failed
   * attempts) allows; held while a name is claimed across the cluster.
   */
  private readonly pacer: Pacer<Input>;
  /** The peer was told its lines are being delayed (once per backlog). */
  private toldSlow = false;
  /** Bytes of replies sent to this peer, counted to charge a command's output to its flood budget. */
  private replied = 0;
  /** The peer half-closed while lines were waiting: end once they are handled. */
  private inputEnded = false;

  constructor(
    readonly env: SessionEnv,
    socket: Writable,
    /** The peer's IP address and port. */
    readonly address: string,
    private readonly port: number,
    /** Which door it came in by: bunchat's TCP port, IRC, or the browser's WebSocket. */
    readonly door: Door,
    /** Makes the door's adapter for it (src/session/native.ts: bunchat's own protocol). */
    adapter: (session: Session) => Adapter,
  ) {
    this.connectedAt = this.heardAt = env.clock.now();
    const { burstLines, linesPerSecond, maxOutboxBytes } = env.limits;
    if (linesPerSecond > 0) this.budget = new FloodBudget(burstLines, linesPerSecond, this.connectedAt);
    this.outbox = new Outbox(socket, maxOutboxBytes, this, env.hub.turns, env.outboxes);
    this.pacer = new Pacer<Input>(this, env.clock);
    this.adapter = adapter(this);
    this.reader = new LineReader({ maxBytes: this.adapter.maxLineBytes ?? LIMITS.maxLineBytes, maxRunBytes: LIMITS.maxRunBytes }, this);
    const follows = this.adapter;
    if (follows.note) this.note = (note) => follows.note!(note);
  }

  // LineHandlers: what the reader makes of the bytes. Problems queue behind earlier lines, so
  // that replies keep the order of what was sent.
  line(text: string, bytes: number): void {
    this.onLine({ text, bytes });
  }
  overflow(): void {
    const json = this.mode === "json" && this.adapter.maxLineBytes === undefined;
    this.onLine({ bytes: json ? jsonLineBytes(this.env.limits) : (this.adapter.maxLineBytes ?? LIMITS.maxLineBytes), problem: json ? refusals.messageLineTooLong(this.env.limits) : refusals.lineTooLong() });
  }
  invalid(): void {
    this.onLine({ bytes: 0, problem: refusals.badEncoding() });
  }
  runaway(): void {
    this.kick(refusals.noNewline(), "flooding");
  }

  /** "ip:port", for the log (made when needed, not kept for every connection). */
  get peer(): string {
    return `${this.address}:${this.port}`;
  }

  /** Its name in the chat ("" before it has one). */
  get name(): string {
    return this.member?.name ?? "";
  }

  /** CommandContext.me: the member it is (commands run only once it is in the chat). */
  get me(): Member {
    return this.member!;
  }

  /** CommandContext.device: this connection. */
  get device(): Device {
    return this;
  }

  /** In the chat (named), not registering or gone. */
  get joined(): boolean {
    return this.phase === "chatting";
  }
  get hub(): Hub {
    return this.env.hub;
  }

  receive(chunk: Uint8Array): void {
    if (this.phase === "closed") return;
    this.heardAt = this.env.clock.now();
    this.pingedAt = undefined;
    if (!this.gotBytes && chunk.length > 0) {
      this.gotBytes = true;
      if (chunk[0] === TLS_HANDSHAKE) return this.wrongProtocol("TLS");
    }
    this.receivedAt = this.heardAt;
    const holding = this.reader.pendingBytes > 0;
    try {
      // telnet's commands (after Ctrl-C, say) come out of the stream; only telnet users pay for it.
      if (this.telnet || chunk.includes(IAC)) (this.telnet ??= this.speakTelnet()).push(chunk);
      else this.reader.push(chunk);
    } finally {
      this.receivedAt = undefined;
    }
    // The line in progress began in this chunk if nothing was held before or a line ended here.
    if (this.reader.pendingBytes === 0) this.unfinishedSince = undefined;
    else if (!holding || chunk.includes(LF)) this.unfinishedSince = this.heardAt;
  }

  /** A telnet user pressed Ctrl-C: the line being typed goes, and the way out is explained. */
  private speakTelnet(): TelnetFilter {
    return new TelnetFilter({
      data: (bytes) => this.reader.push(bytes),
      answer: (bytes) => this.outbox.send(bytes),
      interrupt: () => {
        this.reader.dropUnfinished(false);
        this.unfinishedSince = undefined;
      },
      interrupted: () => {
        this.reply({
          type: "notice",
          text: "Interrupted. Ctrl-C does not leave bunchat: type quit to leave (or Ctrl-] then quit to close telnet).",
          ts: this.now(),
        });
      },
    });
  }

  // Device: kept by the hub.

  /** The network it connects from (a guest's ban covers it). */
  get network(): string {
    return networkOf(this.address, this.env.limits.networkBits);
  }
  /** Device.echo: its own lines come back to it (the page asks, with /ws?echo=1). */
  echo = false;
  readonly historyFrom = new Map<string, Cursor>();
  /** Its current room: where its plain lines go. */
  room: Room | undefined;
  /** The page's session it signed in with, or was given (what /logout alone signs out). */
  signedInWith: string | undefined;

  /** The answer when someone online already has `name` or one like it, for joining and /nick alike. */
  nameTaken(name: string): ErrorEvent {
    return nameTakenError(name, this.hub.find(name)?.name);
  }

  /** /nick: the same checks as a first name, then everyone is told. */
  rename(wanted: string): void {
    const check = checkName(wanted);
    if (!check.ok) return this.reply(error("name-invalid", check.reason));
    const old = this.name;
    if (check.name === old) return this.reply(error("bad-usage", `You are already ${old}.`));
    const holder = this.hub.find(check.name);
    if (holder && holder !== this.member) return this.reply(this.nameTaken(check.name));
    // A new spelling of our own name needs no claim, nor a look at who owns it.
    if (holder === this.member) return this.renameTo(check.name, true);
    // A registered name (another's, or a bot's) or a banned one is not to be taken by a rename.
    nameStanding(this, check.name, (standing) => {
      if (this.phase !== "chatting") return;
      if ("ban" in standing) return this.reply(error("not-allowed", `${check.name} is banned from this server.`));
      if (standing.account === null) {
        return this.reply(error("server-busy", "Registered names can't be checked right now; try again in a moment."));
      }
      const account = standing.account;
      if (account?.bot) return this.reply(botNameError(account.name));
      if (account && foldName(account.name) !== this.member?.account) {
        return this.reply(error("name-registered", `${account.name} is a registered name: only its owner can use it (they log in as it).`));
      }
      this.renameTo(check.name, this.hub.claim(check.name));
    });
  }

  private renameTo(name: string, claim: true | Promise<boolean>): void {
    const old = this.name;
    this.afterClaim(claim, name, (won) => {
      if (!won || !this.member || !this.hub.rename(this.member, name, this.now())) return this.reply(this.nameTaken(name));
      this.log(`~ ${old} is now ${this.name}`);
    });
  }

  /**
   * Goes on once a name claim is answered: at once on one node; in a cluster, when Redis has said,
   * with this connection's lines waiting meanwhile. A name won by a connection that has since
   * closed is given back.
   */
  afterClaim(claim: true | Promise<boolean>, name: string, then: (won: boolean) => void): void {
    this.wait(claim, "claim", then, (won) => won && this.hub.unclaim(name));
  }

  /** CommandContext.tags: the client's own tags on the line being answered. */
  get tags(): string | undefined {
    return this.adapter.clientTags;
  }

  /** CommandContext.notice: the line being answered was a notice (IRC's NOTICE). */
  get notice(): boolean {
    return this.adapter.answeringNotice === true;
  }

  /** Whether an answer is awaited (a store in Redis) and this connection's lines wait for it. */
  get waiting(): boolean {
    return this.pacer.held;
  }

  after<T>(value: Maybe<T>, then: (value: T) => void): void {
    this.wait(value, "answer", then);
  }

  /**
   * Goes on with `value` at once, or once it comes, this connection's lines waiting meanwhile
   * (hold `why`). `closed`: what to undo if the connection closed before it came.
   */
  private wait<T>(value: Maybe<T>, why: "claim" | "answer", then: (value: T) => void, closed?: (value: T) => void): void {
    if (!(value instanceof Promise)) return then(value);
    this.pacer.hold(why);
    void value
      .then((v) => {
        if (this.phase === "closed") return void closed?.(v);
        // An answer that came later (history or search from Redis) is charged as one at once is.
        const before = this.replied;
        this.charging = this.phase === "chatting";
        try {
          then(v);
        } finally {
          this.charging = false;
        }
        if (this.phase === "chatting") this.budget?.charge(this.replied - before, this.now());
        this.adapter.settled?.(); // before the lines that waited: an IRC label's answer is complete
        this.pacer.release(why); // the lines that waited go on, and a half-close behind them
        this.tellIfSlowed(); // …unless that answer used up the asker's output budget
      })
      .catch((err) => this.log(`! ${this.peer}: ${(err as Error).message}`)); // a bug here must not stop the server
  }

  /** Device: when it became one of its member's connections (0 until then). */
  attachedSeq = 0;

  get lastHeldSeq(): number {
    return this.outbox.lastHeldSeq;
  }

  deliver(bytes: Uint8Array, seq?: number): void {
    this.outbox.send(bytes, seq);
  }

  deliverTurn(parts: Uint8Array[], seqs: number[]): void {
    this.outbox.sendTurn(parts, seqs);
  }

  /** Device: an event for this connection alone (a private message, a notice), in its own words. */
  tell(event: ServerEvent): void {
    this.outbox.send(this.adapter.render(event));
  }

  reply(event: ServerEvent | Encoded): void {
    const bytes = event instanceof Encoded ? this.adapter.renderShared(event) : this.adapter.render(event);
    this.replied += bytes.length;
    this.outbox.send(bytes);
  }

  /** Member.ident: what an IRC client said of itself with USER. */
  ident(): { user: string; realname: string } | undefined {
    const user = this.adapter.user;
    return user?.username ? { user: `~${user.username}`, realname: user.realname } : undefined;
  }

  /** The clock, read once per chunk received rather than several times per line. */
  now(): number {
    return this.receivedAt ?? this.env.clock.now();
  }

  log(line: string): void {
    this.env.log(line);
  }

  logsChatLine(): boolean {
    return this.env.chatLog.take(this.now());
  }

  /** quit or /quit: goodbye, leave (with `message`: IRC's QUIT has one), close once the goodbye is out. */
  quit(message?: string): void {
    this.reply({ type: "bye", name: this.name });
    this.leave("quit", message);
    this.closeAfterFlush();
  }

  /** The peer half-closed (sent FIN): once what it sent has been handled, leave and flush our replies. */
  peerEnded(): void {
    if ((this.pacer.length > 0 || this.pacer.holding("claim")) && this.phase !== "closed") {
      this.inputEnded = true; // lines still waiting for the flood budget go first
      return;
    }
    this.leave("disconnected");
    this.closeAfterFlush();
  }

  /** Refused at the door (server full, too many from one address): one line, then close. */
  refuse(event: ServerEvent): void {
    this.phase = "closed";
    this.reply(event);
    this.closeAfterFlush();
  }

  /**
   * OverflowListener: its outbox passed its limit, or held the most when all of them together held
   * too much: it has stopped reading. Leaves, and says why in case it ever reads again.
   */
  outboxOverflowed(held: number, shared: boolean): Uint8Array {
    this.closingSince ??= this.now();
    this.leave("too-slow");
    return this.adapter.render(refusals.tooSlow(this.env.limits, held, shared));
  }

  /** Called about once a second: deadlines that no socket event would ever trigger. */
  sweep(now: number): void {
    const limits = this.env.limits;
    if (this.closingSince !== undefined) {
      if (now - this.closingSince > limits.closeGraceMs) this.outbox.terminate();
      return;
    }
    if (this.unfinishedSince !== undefined && now - this.unfinishedSince > limits.unfinishedLineMs) {
      this.unfinishedSince = undefined;
      if (this.reader.dropUnfinished()) this.reply(refusals.unfinishedLine(limits));
    }
    if (this.phase !== "chatting" && now - this.connectedAt > limits.registerTimeoutMs) {
      return this.kick(refusals.registrationTimeout(limits), "disconnected");
    }
    // Plain clients can't be asked to answer; TCP keepalive watches them (see server.ts).
    if (this.phase !== "chatting" || this.mode === "text" || limits.pingIdleMs <= 0) return;
    if (this.pingedAt === undefined) {
      if (now - this.heardAt >= limits.pingIdleMs) {
        this.pingedAt = now;
        this.reply({ type: "ping" });
      }
    } else if (now - this.pingedAt >= limits.pingTimeoutMs) {
      this.kick(refusals.pingTimeout(now - this.heardAt), "timed-out");
    }
  }

  /** The socket is closed, for whatever reason. */
  closed(): void {
    this.pipe?.close();
    this.pipe = undefined;
    this.leave("disconnected");
    this.stopWaiting();
    this.outbox.discard();
  }

  /**
   * Server shutdown: a notice, then close. No leave is announced: everyone is leaving (and the
   * cluster's other nodes were told already).
   */
  shutdown(): void {
    if (this.phase === "closed") return;
    this.phase = "closed";
    this.reply({ type: "shutdown" });
    this.closeAfterFlush();
  }

  private closeAfterFlush(): void {
    this.closingSince ??= this.now();
    this.stopWaiting();
    this.outbox.end();
  }

  /** Tells the peer why, announces its leave for `reason`, and closes. */
  kick(why: ErrorEvent, reason: LeaveReason, message?: string): void {
    if (this.phase === "closed") return;
    this.reply(why);
    if (this.phase === "chatting") this.log(`! ${this.name}: ${why.code}`);
    else this.env.logRepeat(closedFor(why.code), this.address, `! ${this.peer}: ${why.code}`);
    this.leave(reason, message);
    this.closeAfterFlush();
  }

  /** Device: put out by a server admin. */
  drop(why: ErrorEvent, reason: LeaveReason, message: string): void {
    this.kick(why, reason, message);
  }

  wrongProtocol(what: "TLS" | "HTTP"): void {
    this.kick(refusals.wrongProtocol(this.adapter.speaks, what), "disconnected");
  }

  private stopWaiting(): void {
    this.pacer.clear();
  }

  private leave(reason: LeaveReason, message?: string): void {
    const wasJoined = this.phase === "chatting";
    this.phase = "closed";
    const member = this.member;
    if (!wasJoined || !member) return;
    this.adapter.left?.();
    // Another device of the same account stays: only this connection goes.
    if (member.devices.length > 1) {
      member.detach(this);
      return this.log(`- ${member.name}: a connection closed (${LEAVE_WORDS[reason]}), ${member.devices.length} left`);
    }
    this.hub.markers.seen(member, this.now()); // its last connection
    // Always on: the last connection goes, the user stays in its rooms, away, and reads later what was said.
    if (member.alwaysOn && STAYS_ONLINE.has(reason)) {
      member.detach(this);
      if (this.hub.awayReason(member) === undefined) {
        this.hub.setAway(member, ALWAYS_ON_AWAY);
        member.awayWhileGone = true;
      }
      return this.log(`- ${member.name}: the last connection closed (${LEAVE_WORDS[reason]}); always on, stays online`);
    }
    const removed = this.hub.remove(member, reason, this.now(), message); // what it said of itself still there (WHOWAS)
    member.detach(this);
    if (removed) this.log(`- ${member.name} left (${LEAVE_WORDS[reason]}), ${this.hub.size} online`);
  }

  /** On connect: the door's first words (a prompt in plain text; nothing on IRC). */
  greet(): void {
    this.adapter.greet();
  }

  /** A line from the reader: handled now if the budget allows and nothing is waiting, else queued in order. */
  private onLine(input: Input): void {
    if (this.phase === "closed") return;
    if (this.pacer.length >= this.env.limits.floodBacklog) {
      return this.kick(refusals.excessFlood(this.env.limits), "flooding");
    }
    this.pacer.push(input, this.now()); // the clock as read once for the chunk
    this.tellIfSlowed();
  }

  /** Lines wait for the sender's budget (not for an answer, which is not the sender's doing): say why, once. */
  private tellIfSlowed(): void {
    if (this.pacer.length > 0 && !this.toldSlow && !this.pacer.held) this.tellSlow();
  }

  /** Once per backlog: why the sender's lines are not answered at once. */
  private tellSlow(): void {
    const attemptsMs = this.phase === "chatting" ? 0 : this.env.attempts.wait(this.address, this.now());
    if (attemptsMs > 0) {
      this.toldSlow = true;
      return this.reply(refusals.tooManyAttempts(this.address, attemptsMs));
    }
    if (this.phase !== "chatting" || !this.budget) return;
    this.toldSlow = true;
    this.reply(refusals.slowDown(this.env.limits, this.budget.outputWait(this.now())));
  }

  // PacerHost: when a line may be handled, and what it costs.

  /** Milliseconds a line must wait: the flood budget, and failed attempts while registering. */
  paceWait(input: Input, now: number): number {
    let ms = 0;
    if (this.budget) ms = this.budget.wait(input.bytes, now);
    if (this.phase !== "chatting") ms = Math.max(ms, this.env.attempts.wait(this.address, now));
    return ms;
  }

  paceTake(input: Input, now: number): void {
    this.budget?.take(input.bytes, now);
  }

  paced(input: Input): void {
    if (this.phase !== "closed") this.handle(input);
  }

  /** The backlog is handled: a new one is told again, and a half-close that waited for it goes on. */
  paceDrained(): void {
    this.toldSlow = false;
    if (this.inputEnded) this.peerEnded();
  }

  /**
   * A device of a user of another node (doors/pipes.ts): its lines go there as they come, and what
   * that node sends it is written here.
   */
  private pipe: Pipe | undefined;

  /** RegistrationHost: `name` is a registered user of node `node`: this connection becomes piped there (its password asked there). Whether it could be. */
  pipeTo(node: string, name: string): boolean {
    const pipe = this.env.pipes?.open(this, node, name);
    if (!pipe) return false;
    this.pipe = pipe;
    this.phase = "chatting"; // no deadline to register here: the home node has its own
    return true;
  }

  /** The home node closed this piped connection (it quit, was put out, or the node went): `why`, if this node must say it. */
  pipeEnded(why?: string): void {
    this.pipe = undefined;
    if (why !== undefined) this.reply({ type: "notice", text: why, ts: this.now() });
    this.phase = "closed";
    this.closeAfterFlush();
  }

  private handle(input: Input): void {
    if (this.pipe) {
      // Checked here as any line (its length, its bytes), then the home node's.
      if (input.problem === undefined) this.pipe.line(input.text);
      else this.reply(input.problem);
      return;
    }
    const chatting = this.phase === "chatting";
    const before = this.replied;
    this.charging = chatting;
    try {
      if (input.problem === undefined) this.adapter.line(input.text);
      else {
        this.reply(input.problem);
        if (this.phase === "registering") this.adapter.reprompt?.();
      }
    } finally {
      this.charging = false;
    }
    // What one's own commands ask for; not the welcome (a big room's list is not the joiner's doing).
    if (chatting) this.budget?.charge(this.replied - before, this.now());
  }

  /** The replies being made now are charged to the output budget when they are done (a command's answers). */
  private charging = false;

  // RegistrationHost: what registering needs of the session.

  speakJson(): void {
    this.mode = "json";
    this.reader.widen(jsonLineBytes(this.env.limits)); // a message of several lines comes as one JSON line
  }

  /** Joins the chat as `name` (claimed already): undefined, or why it can't (someone took the name meanwhile, its devices are all in use). */
  joinAs(name: string, replay: Replay | undefined, login: Login | undefined): ErrorEvent | undefined {
    const refused = this.enterChat(name, login);
    if (refused) return refused;
    this.afterMarkers(() => this.welcome(replay));
    return undefined;
  }

  /**
   * A registered user's read markers, read from the store when it comes into the chat (its lines
   * wait meanwhile), then `then`. A device of a user in rooms already (another one, or back to one
   * who stayed on) has them here, and goes on at once: its rooms' lines are handed to it from now,
   * and its welcome must come first.
   */
  afterMarkers(then: () => void): void {
    const member = this.member!;
    this.after(member.rooms.length === 0 ? this.hub.markers.load(member) : undefined, then);
  }

  /** In the chat: welcomed to the lobby (or, another device of someone in rooms already, to where they are), and its read markers. */
  private welcome(replay: Replay | undefined): void {
    const member = this.member!;
    const markers = this.hub.markers.all(member);
    // Another device of someone in rooms already (or back to one who stayed on): welcomed to where they are, not to the lobby.
    if (member.rooms.length > 0) {
      this.welcomeAnother();
      return this.tellMarkers(markers);
    }
    // Back with a read marker of the lobby: what was said since it, rather than its last lines.
    const since = this.hub.markers.get(member, this.hub.lobby);
    if (since !== undefined && replay !== undefined) return this.after(this.hub.keeping.replay(this.hub.lobby, since), (r) => this.welcomeTo(r ?? replay, markers));
    this.welcomeTo(replay, markers);
  }

  /** A structured client of a server that keeps files: the key its links carry (core/files.ts). */
  private tellFileKey(): void {
    const files = this.hub.files;
    if (this.mode !== "json" || !files?.door) return;
    const now = this.now();
    this.reply({ type: "file-key", key: files.key(this.member!, now), port: files.door.port, tls: files.door.tls, until: now + LINK_HOURS * 3_600_000 });
  }

  /** Into the lobby (a member's first device), with what it is shown of it. */
  private welcomeTo(replay: Replay | undefined, markers: Record<string, number> | undefined): void {
    const member = this.member!;
    const joined = this.hub.join(member, this.hub.lobby, this.now(), true, replay, undefined, undefined, this);
    if (!joined.ok) return this.reply(joined.error); // only if --max-rooms-per-user is 0
    // Who is in as /users lists it: in a big room the first names and the counts, not a 70 KB
    // list to each of 10,000 users reconnecting at once.
    const { room } = joined;
    this.reply({ type: "welcome", name: this.name, room: room.name, rooms: [room.name], ...room.summary() });
    this.tellFileKey();
    this.tellMarkers(markers, () => this.showMissed(room, replay));
    // The log says the door when it is not bunchat's own port, as for IRC: "(web)".
    this.log(`+ ${this.name} joined from ${this.peer}${this.door === "web" ? " (web)" : ""}, ${this.hub.size} online`);
  }

  /**
   * The page signed in to `account` with its password: a session for its next load, told to it
   * (the token this once; only its SHA-256 is kept). Past SESSIONS_PER_ACCOUNT, the one used longest
   * ago goes.
   */
  issueSession(account: string): void {
    const sessions = this.hub.sessions;
    if (!sessions || this.mode !== "json") return;
    const made = newSession(account, this.now());
    const keep = async () => {
      const all = await sessions.of(account);
      const over = all.sort((a, b) => a.used - b.used).slice(0, Math.max(0, all.length - SESSIONS_PER_ACCOUNT + 1));
      for (const old of over) await sessions.remove(old.id);
      await sessions.put(made.record);
    };
    this.after(
      keep().then(() => true, () => false),
      (kept) => {
        if (!kept) return this.log(`! a session for ${this.name} could not be kept`);
        this.signedInWith = made.record.id;
        this.reply({ type: "session", id: made.record.id, token: made.text, expires: made.record.expires });
      },
    );
  }

  /**
   * After the welcome: a structured client is told its read markers and what is unread since them in
   * its rooms and conversations; then `rooms` (the default room's lines), then what came in its
   * private conversations since their markers or the user's last connection went (conversations.ts),
   * in every door. From Redis, the room's lines go first, without waiting for its answers.
   */
  private tellMarkers(markers: Record<string, number> | undefined, rooms?: () => void): void {
    const member = this.member!;
    const json = this.mode === "json";
    const unread = json && markers ? unreadIn(member, this.hub.history, member.rooms) : {};
    const ready = chain(unread, (u) => then(this.hub.conversations.missed(member, member.seen, this.now()), (m) => ({ u, m })));
    const tell = ({ u, m }: { u: Record<string, Unread>; m: Missed }) => {
      const all = { ...u, ...m.unread };
      if (json && (markers || Object.keys(all).length > 0)) this.reply({ type: "markers", markers: markers ?? {}, ...(Object.keys(all).length > 0 ? { unread: all } : {}) });
    };
    if (ready instanceof Promise) {
      rooms?.();
      return this.after(ready, (r) => (tell(r), this.showConversations(r.m)));
    }
    tell(ready);
    rooms?.();
    this.showConversations(ready.m);
  }

  /** What came in its user's private conversations since it last read them or was last connected: a history each (IRC's door, which has no markers event). */
  catchUpConversations(): void {
    const member = this.member!;
    this.after(this.hub.conversations.missed(member, member.seen, this.now()), (m) => this.showConversations(m));
  }

  /** Charged as a catch-up of a room is (showMissed): a flood of reconnects pays for what it is shown. */
  private showConversations(m: Missed): void {
    const before = this.replied;
    for (const shown of m.shown) this.reply(shown);
    if (m.shown.length > 0 && this.phase === "chatting" && !this.charging) this.budget?.charge(this.replied - before, this.now());
  }

  /**
   * A device of a user who is in the chat already: welcomed to the lobby if they are in it (else
   * their newest room), with every other room they are in after it; nobody else is told.
   */
  private welcomeAnother(): void {
    const member = this.member!;
    const lobby = this.hub.room(this.hub.lobby);
    const room = lobby && member.rooms.includes(lobby) ? lobby : member.rooms[member.rooms.length - 1]!;
    this.room = room;
    this.reply({ type: "welcome", name: member.name, room: room.name, rooms: member.rooms.map((r) => r.name), ...room.summary() });
    this.tellFileKey();
    this.catchUp(room);
    this.showRoomsOf(room);
  }

  /**
   * A device of a user in rooms already (another device, or back to one who stayed on) is told of
   * each (IRC: a JOIN each), but `shown` (its welcome's), with what was said there since the user's
   * read marker (or its last lines).
   */
  showRoomsOf(shown?: Room): void {
    const member = this.member!;
    if (member.rooms.length === 0) return;
    for (const room of member.rooms) {
      if (room === shown) continue;
      this.reply(room.event(true, true));
      this.catchUp(room);
    }
    this.log(`+ ${member.name}: another connection from ${this.peer} (${this.door}), ${member.devices.length} in all`);
  }

  /** What this device is shown of a room its user is in: since the read marker, or the last lines (this connection's lines wait for it). */
  private catchUp(room: Room): void {
    this.after(this.hub.keeping.replay(room.name, this.hub.markers.get(this.member!, room.name)), (replay) => this.showMissed(room, replay));
  }

  /**
   * What a joiner is shown of `room`: what was missed since the read marker (up to 200 lines) is
   * charged to the output budget as /history is, so that a flood of reconnects can't make the
   * server repeat a backlog for free; the usual last lines are not.
   */
  private showMissed(room: Room, replay: Replay | undefined): void {
    const before = this.replied;
    showReplay(this, room, replay);
    if (replay?.since !== undefined && this.phase === "chatting" && !this.charging) this.budget?.charge(this.replied - before, this.now());
  }

  /**
   * In the chat as `name` (claimed already), in no room yet: a new member, or another device of a
   * registered user online already (`login` proves it is theirs). Undefined, or why not.
   */
  enterChat(name: string, login: Login | undefined): ErrorEvent | undefined {
    const holder = this.hub.find(name);
    let member: Person;
    if (holder) {
      if (!(holder instanceof Person) || login === undefined || holder.account !== login.key) return this.nameTaken(name);
      const most = this.env.limits.maxDevices;
      if (holder.devices.length >= most) {
        return error("too-many-devices", `${holder.name} is online from ${holder.devices.length} connections, the most one user may have here; close one of them first.`);
      }
      member = holder;
      // Back to a user who stayed on without a connection: not away any more.
      if (holder.devices.length === 0 && holder.awayWhileGone) {
        holder.awayWhileGone = false;
        this.hub.setAway(holder, undefined);
      }
      this.attachedSeq = this.hub.turns.nextSeq(); // what its rooms said before this is not its own
      holder.attach(this);
    } else {
      member = new Person(name, this.now());
      member.account = login?.key;
      if (login && login.ignores.length > 0) member.ignoring = ignoreList(login.ignores);
      member.visit = newVisit();
      member.alwaysOn = login?.alwaysOn === true;
      member.attach(this); // before it is added: a member here has a connection
      if (!this.hub.add(member)) return this.nameTaken(name);
    }
    this.member = member;
    this.phase = "chatting";
    this.adapter.joined?.();
    // The chat starts with a full flood budget, as the bundled client's own copy does: the hello,
    // a password and the names tried were registration, limited by the failed-attempt rules.
    const { burstLines, linesPerSecond } = this.env.limits;
    if (this.budget) this.budget = new FloodBudget(burstLines, linesPerSecond, this.now());
    return undefined;
  }
}

/** How a user who stays on without a connection shows in /users and /whois. */
const ALWAYS_ON_AWAY = "not connected (always on)";

/** Leaving for these, an always-on user stays online (a kick or a server's stop take it out). */
const STAYS_ONLINE = new Set<LeaveReason>(["quit", "disconnected", "timed-out", "too-slow", "flooding"]);

/** A stay's id (Member.visit): unique across nodes and restarts in practice (time and 48 random bits). */
function newVisit(): string {
  return `${Date.now().toString(36)}.${crypto.getRandomValues(new Uint32Array(2)).join(".")}`;
}
