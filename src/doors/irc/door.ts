// The IRC door's adapter: a session (flood control, deadlines, the outbox, bunchat's commands) that
// speaks IRC (RFC 1459/2812 and the IRCv3 capabilities below) to the same hub as everyone else. It
// reads IRC's registration and commands (a table, COMMANDS) into bunchat's; what it sends this
// client alone is written by replies.ts, and what a whole room sees is written as IRC once for
// every IRC member (src/render/irc.ts, the "irc" views).

import type { Hub } from "../../core/hub.ts";
import type { MemberNote, Room } from "../../core/room.ts";
import type { Mode, ServerEvent } from "../../protocol/events.ts";
import { NUMERIC as N } from "../../protocol/irc-numerics.ts";
import { escapeTag, IRC_SERVER, ircLine, type IrcMessage, parseIrc } from "../../protocol/irc.ts";
import { LIMITS } from "../../protocol/limits.ts";
import { lineTooLong } from "../../session/refusals.ts";
import type { Encoded } from "../../render/codec.ts";
import type { Adapter, PeerUser } from "../../session/adapter.ts";
import { looksLikeHttp } from "../../session/registration.ts";
import type { Session } from "../../session/session.ts";
import { command, type IrcCommandHost } from "./commands.ts";
import { IrcRegistration, type IrcRegistrationHost } from "./registration.ts";
import { monitorLeft } from "./monitor.ts";
import { CHATHISTORY_CAP, EVENT_PLAYBACK_CAP } from "./chathistory.ts";
import { MultilineBatches } from "./multiline.ts";
import { MULTILINE_CAP } from "../../render/irc.ts";
import { type IrcClient, IrcReplies, ircView, READ_MARKER_CAP, REDACTION_CAP } from "./replies.ts";

/** Capabilities this door offers (CAP LS), with their values for CAP LS 302. */
const CAPS: Record<string, string> = {
  batch: "",
  [CHATHISTORY_CAP]: "",
  [EVENT_PLAYBACK_CAP]: "",
  "echo-message": "",
  "labeled-response": "",
  "message-tags": "",
  [REDACTION_CAP]: "",
  [READ_MARKER_CAP]: "",
  "multi-prefix": "",
  sasl: "PLAIN",
  "away-notify": "",
  "invite-notify": "",
  setname: "",
  "server-time": "",
  "userhost-in-names": "",
};

const utf8 = new TextEncoder();
const NOTHING = new Uint8Array(0);

/** Bytes of tags a client's line may carry, its "@" and the space after them counted (message-tags). */
export const IRC_TAGS_MAX = 4096;

export class IrcAdapter implements Adapter, IrcClient, IrcCommandHost, IrcRegistrationHost {
  readonly speaks = { protocol: "IRC", clients: "an IRC client" };
  /** Capabilities the client asked for and got. */
  readonly caps = new Set<string>();
  /** The message of the PART being answered (the "parted" answer has none of its own). */
  partMessage: string | undefined;
  /** IrcCommandHost: the size of the line being answered. */
  lineBytes = 0;
  /** What the client said of itself: USER's user and real names (WHO, WHOIS), user mode +i. */
  readonly user: PeerUser = { username: "", realname: "", invisible: false };
  /** What the last command was about (a nick, a channel), for the numerics of its answer. */
  target = "*";
  /** The command being answered: IRC answers some events differently per command (WHOIS's end). */
  answering = "";
  /** The client's own tags ("+…") on the line being answered, as they are relayed; none if it had none. */
  clientTags: string | undefined;
  /** The line being answered is a NOTICE. */
  answeringNotice = false;
  /** The label of the command being answered (labeled-response) and what it was answered so far. */
  private labeled: { label: string; out: string } | undefined;
  /** Tags and text together: an IRC line with tags may be longer than bunchat's lines. */
  readonly maxLineBytes = IRC_TAGS_MAX + LIMITS.maxLineBytes;
  /** Numbers the batches of labeled answers. */
  private batchCount = 0;
  /** The client's draft/multiline batch in progress. */
  private readonly batches: MultilineBatches;

  /** What this client is sent, written for it. */
  readonly out: IrcReplies = new IrcReplies(this);
  /** Until the client is in. */
  private registration: IrcRegistration | undefined = new IrcRegistration(this);

  constructor(readonly session: Session) {
    session.mode = "irc";
    this.batches = new MultilineBatches(session.env.limits, (code, why, limit) =>
      this.send(ircLine(this.server, "FAIL", limit === undefined ? ["BATCH", code, why] : ["BATCH", code, String(limit), why], true)),
    );
  }

  // IrcClient: what the replies read of this client's session.
  get name(): string {
    return this.session.name;
  }
  get hub(): Hub {
    return this.session.hub;
  }
  get room(): Room | undefined {
    return this.session.room;
  }
  get mode(): Mode {
    return this.session.mode;
  }
  now(): number {
    return this.session.now();
  }

  /** The server's name in numerics and PONGs (--irc-name). */
  get server(): string {
    return this.session.env.ircName ?? IRC_SERVER;
  }

  /** IRC clients speak first. */
  greet(): void {}

  /** The nick as numerics name it: "*" until there is one. */
  get shownNick(): string {
    return this.name || this.registration?.wantedNick || "*";
  }

  send(text: string): void {
    if (text === "") return;
    if (this.labeled) {
      this.labeled.out += text;
      return;
    }
    const bytes = utf8.encode(text);
    this.session.outbox.send(bytes);
  }

  // Reading: registration first, then commands.

  line(line: string): void {
    const message = parseIrc(line);
    if (!message) return;
    const space = line.startsWith("@") ? line.indexOf(" ") : -1;
    const tagless = space >= 0 ? line.slice(space + 1) : line;
    this.lineBytes = Buffer.byteLength(tagless) + 2;
    // Tags and text each have their bound: 4094 bytes of tags (message-tags), bunchat's line for the rest.
    if ((space >= 0 && Buffer.byteLength(line.slice(0, space + 1)) > IRC_TAGS_MAX) || this.lineBytes - 2 > LIMITS.maxLineBytes) {
      return this.send(this.out.event(lineTooLong()));
    }
    if (this.session.phase === "registering") {
      // A browser made to POST IRC lines here sends its request and headers first.
      if (looksLikeHttp(line)) return this.session.wrongProtocol("HTTP");
      return this.registration?.line(message);
    }
    if (this.session.phase !== "chatting") return;
    // A line of a draft/multiline batch is held until the batch ends; then the batch is one message.
    if (message.tags?.has("batch") || message.command === "BATCH") {
      const batch = this.batches.take(message);
      if (batch === "taken") return;
      if (batch) return this.answer(batch.message, batch.concat);
    }
    this.answer(message);
  }

  /** A command of the client's (`concat`: a message of several lines a batch made, see command()). */
  private answer(message: IrcMessage, concat?: number[]): void {
    // Tags cost nothing to a line without them: most lines.
    if (message.tags) {
      const label = this.caps.has("labeled-response") ? message.tags.get("label") : undefined;
      if (label) this.labeled = { label: label.slice(0, 64), out: "" };
    }
    // IRCv3 bot mode: what a +B client says carries the "bot" tag.
    const own = message.tags ? clientTagsOf(message.tags) : undefined;
    this.clientTags = this.user.bot ? (own ? `bot;${own}` : "bot") : own;
    this.answeringNotice = message.command === "NOTICE";
    try {
      command(this, message, concat);
    } finally {
      this.clientTags = undefined;
      this.answeringNotice = false;
    }
    if (this.labeled && !this.session.waiting) this.settled();
  }

  /** The command being answered is done (at once, or once a store answered): its labeled answer goes. */
  settled(): void {
    const labeled = this.labeled;
    if (!labeled) return;
    this.labeled = undefined;
    this.send(labeledAnswer(labeled.label, labeled.out, this.server, this.nextBatch()));
  }

  joined(): void {
    this.registration = undefined;
  }

  nextBatch(): string {
    return `b${(++this.batchCount).toString(36)}`;
  }

  /** Its MONITOR list is this connection's: it goes with it. */
  left(): void {
    monitorLeft(this.hub, this.session);
  }

  /** CAP, before registering and after: LS, LIST, REQ, END. */
  cap(m: IrcMessage): void {
    const sub = (m.params[0] ?? "").toUpperCase();
    const who = this.shownNick;
    switch (sub) {
      case "LS": {
        this.registration?.negotiate();
        const v302 = Number(m.params[1] ?? "0") >= 302;
        const list = Object.entries({ ...CAPS, [MULTILINE_CAP]: MultilineBatches.capValue(this.session.env.limits) })
          .filter(([cap]) => cap !== "sasl" || this.hub.accounts !== undefined)
          .map(([cap, value]) => (v302 && value ? `${cap}=${value}` : cap));
        return this.send(ircLine(this.server, "CAP", [who, "LS", list.join(" ")], true));
      }
      case "LIST":
        return this.send(ircLine(this.server, "CAP", [who, "LIST", [...this.caps].join(" ")], true));
      case "REQ": {
        this.registration?.negotiate();
        const asked = (m.params[1] ?? "").trim().split(/\s+/).filter((c) => c !== "");
        const known = (c: string) => (Object.hasOwn(CAPS, c.replace(/^-/, "")) || c.replace(/^-/, "") === MULTILINE_CAP) && (c !== "sasl" || this.hub.accounts !== undefined);
        if (asked.length === 0 || !asked.every(known)) {
          return this.send(ircLine(this.server, "CAP", [who, "NAK", m.params[1] ?? ""], true));
        }
        for (const c of asked) {
          if (c.startsWith("-")) this.caps.delete(c.slice(1));
          else this.caps.add(c);
        }
        if (this.session.phase === "chatting") this.session.mode = ircView(this.caps);
        return this.send(ircLine(this.server, "CAP", [who, "ACK", asked.join(" ")], true));
      }
      case "END":
        return this.registration?.negotiated();
      default:
        return this.send(this.out.numeric(N.ERR_INVALIDCAPCMD, [sub || "*", "Invalid CAP command"]));
    }
  }


  // Writing: the events for this client alone, as IRC.

  /** Member: what IRC clients keep from lines and a line does not say (see Member.note). */
  note(note: MemberNote): void {
    if (this.session.phase === "chatting") this.send(this.out.note(note));
  }

  /** A shared answer (a room's /users, encoded once for text and JSON): IRC writes it for this client. */
  renderShared(encoded: Encoded): Uint8Array {
    return this.render(encoded.event);
  }

  /** An event written to this client now, never part of a labeled answer (a message to oneself, as delivered). */
  tellDirect(event: ServerEvent): void {
    const text = this.out.event(event);
    if (text !== "") this.session.outbox.send(utf8.encode(text));
  }

  render(event: ServerEvent): Uint8Array {
    const text = this.out.event(event);
    if (!this.labeled) return utf8.encode(text);
    this.labeled.out += text; // part of a labeled command's answer: sent with it
    return NOTHING;
  }
}

/** A line's own tags ("+…", as message-tags calls a client's), escaped again as they are relayed; undefined if none. */
export function clientTagsOf(tags: ReadonlyMap<string, string> | undefined): string | undefined {
  if (!tags) return undefined;
  const own: string[] = [];
  for (const [key, value] of tags) if (key.startsWith("+") && key.length > 1) own.push(value === "" ? key : `${key}=${escapeTag(value)}`);
  return own.length > 0 ? own.join(";") : undefined;
}

/**
 * What answered a labeled command (labeled-response), labeled: ACK for nothing, the label on the
 * one line, or a labeled-response batch around several.
 */
export function labeledAnswer(label: string, out: string, server: string, batch: string): string {
  const lines = out.split("\r\n").filter((l) => l !== "");
  const tagged = (line: string, tag: string) => (line.startsWith("@") ? `@${tag};${line.slice(1)}` : `@${tag} ${line}`);
  const labelTag = `label=${escapeTag(label)}`;
  if (lines.length === 0) return `${tagged(ircLine(server, "ACK", []), labelTag)}`;
  if (lines.length === 1) return `${tagged(lines[0]!, labelTag)}\r\n`;
  // One batch of its own (CHATHISTORY's): the label goes on its start.
  const own = /^(@\S+ )?:\S+ BATCH \+(\S+)/.exec(lines[0]!);
  if (own && new RegExp(`^(@\\S+ )?:\\S+ BATCH -${own[2]}$`).test(lines[lines.length - 1]!) && lines.slice(1, -1).every((l) => l.startsWith(`@batch=${own[2]};`) || l.startsWith(`@batch=${own[2]} `))) {
    return `${tagged(lines[0]!, labelTag)}\r\n${lines.slice(1).join("\r\n")}\r\n`;
  }
  // Lines in a batch of their own already are in it; that batch's start and end are in this one.
  return (
    tagged(ircLine(server, "BATCH", [`+${batch}`, "labeled-response"]), labelTag) +
    lines.map((l) => `${/^@(\S*;)?batch=/.test(l) ? l : tagged(l, `batch=${batch}`)}\r\n`).join("") +
    ircLine(server, "BATCH", [`-${batch}`])
  );
}

/** The IRC door's adapter for a new connection. */
export const ircAdapter = (session: Session): Adapter => new IrcAdapter(session);
