// The IRC door's adapter: a session (flood control, deadlines, the outbox, bunchat's commands) that
// speaks IRC (RFC 1459/2812 and the IRCv3 capabilities below) to the same hub as everyone else. It
// reads IRC's registration and commands (a table, COMMANDS) into bunchat's; what it sends this
// client alone is written by replies.ts, and what a whole room sees is written as IRC once for
// every IRC member (src/render/irc.ts, the "irc" views).

import type { Hub } from "../../core/hub.ts";
import type { MemberNote, Room } from "../../core/room.ts";
import type { Mode, ServerEvent } from "../../protocol/events.ts";
import { NUMERIC as N } from "../../protocol/irc-numerics.ts";
import { IRC_SERVER, ircLine, type IrcMessage, parseIrc } from "../../protocol/irc.ts";
import type { Encoded } from "../../render/codec.ts";
import type { Adapter, PeerUser } from "../../session/adapter.ts";
import { looksLikeHttp } from "../../session/registration.ts";
import type { Session } from "../../session/session.ts";
import { command, type IrcCommandHost } from "./commands.ts";
import { IrcRegistration, type IrcRegistrationHost } from "./registration.ts";
import { type IrcClient, IrcReplies, ircView } from "./replies.ts";

/** Capabilities this door offers (CAP LS), with their values for CAP LS 302. */
const CAPS: Record<string, string> = {
  "echo-message": "",
  "multi-prefix": "",
  sasl: "PLAIN",
  "away-notify": "",
  "invite-notify": "",
  setname: "",
  "server-time": "",
  "userhost-in-names": "",
};

const utf8 = new TextEncoder();

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

  /** What this client is sent, written for it. */
  readonly out: IrcReplies = new IrcReplies(this);
  /** Until the client is in. */
  private registration: IrcRegistration | undefined = new IrcRegistration(this);

  constructor(readonly session: Session) {
    session.mode = "irc";
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
    const bytes = utf8.encode(text);
    this.session.outbox.send(bytes);
  }

  // Reading: registration first, then commands.

  line(line: string): void {
    const message = parseIrc(line);
    if (!message) return;
    const tagless = line.startsWith("@") ? line.slice(line.indexOf(" ") + 1) : line;
    this.lineBytes = Buffer.byteLength(tagless) + 2;
    if (this.session.phase === "registering") {
      // A browser made to POST IRC lines here sends its request and headers first.
      if (looksLikeHttp(line)) return this.session.wrongProtocol("HTTP");
      return this.registration?.line(message);
    }
    if (this.session.phase === "chatting") command(this, message);
  }

  joined(): void {
    this.registration = undefined;
  }

  /** CAP, before registering and after: LS, LIST, REQ, END. */
  cap(m: IrcMessage): void {
    const sub = (m.params[0] ?? "").toUpperCase();
    const who = this.shownNick;
    switch (sub) {
      case "LS": {
        this.registration?.negotiate();
        const v302 = Number(m.params[1] ?? "0") >= 302;
        const list = Object.entries(CAPS)
          .filter(([cap]) => cap !== "sasl" || this.hub.accounts !== undefined)
          .map(([cap, value]) => (v302 && value ? `${cap}=${value}` : cap));
        return this.send(ircLine(this.server, "CAP", [who, "LS", list.join(" ")], true));
      }
      case "LIST":
        return this.send(ircLine(this.server, "CAP", [who, "LIST", [...this.caps].join(" ")], true));
      case "REQ": {
        this.registration?.negotiate();
        const asked = (m.params[1] ?? "").trim().split(/\s+/).filter((c) => c !== "");
        const known = (c: string) => Object.hasOwn(CAPS, c.replace(/^-/, "")) && (c !== "sasl" || this.hub.accounts !== undefined);
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

  render(event: ServerEvent): Uint8Array {
    return utf8.encode(this.out.event(event));
  }
}

/** The IRC door's adapter for a new connection. */
export const ircAdapter = (session: Session): Adapter => new IrcAdapter(session);
