// The IRC door: a connection that speaks IRC (RFC 1459/2812 and the IRCv3 capabilities below) to
// the same hub as everyone else. A Session underneath (flood control, deadlines, the outbox, the
// commands of bunchat); this class reads IRC's commands into bunchat's, and writes the events that
// name their recipient (numerics, private messages) as IRC. What a whole room sees is written as
// IRC once for every IRC member (src/render/irc.ts, the "irc" views).

import type { Encoded } from "../../render/codec.ts";
import { stamp, toText } from "../../render/text.ts";
import { type ErrorEvent, type KeptEvent, type ServerEvent, unreachable } from "../../protocol/events.ts";
import { IRC_HOST, IRC_LINE_BYTES, IRC_SERVER, ircLine, type IrcMessage, mask, parseIrc } from "../../protocol/irc.ts";
import { ircShared, privmsgLines, timeTag } from "../../render/irc.ts";
import { lookupCommand } from "../../protocol/commands.ts";
import { NUMERIC as N, type Numeric } from "../../protocol/irc-numerics.ts";
import { LIMITS } from "../../protocol/limits.ts";
import { checkName, foldName } from "../../protocol/names.ts";
import { sanitizeText } from "../../protocol/sanitize.ts";
import type { Writable } from "../../net/outbox.ts";
import { VERSION } from "../../version.ts";
import { error, runCommand, say } from "../../core/commands/chat.ts";
import { bannedText, botNameError, type Login, looksLikeHttp, nameStanding, verifyLogin } from "../../session/registration.ts";
import type { Member, MemberNote, Room } from "../../core/room.ts";
import { bannedName, type RoomRoles } from "../../store/rooms.ts";
import { Session } from "../../session/session.ts";
import type { SessionEnv } from "../../session/env.ts";

/** Capabilities this door offers (CAP LS), with their values for CAP LS 302. */
const CAPS: Record<string, string> = {
  "echo-message": "",
  "message-tags": "",
  "multi-prefix": "",
  sasl: "PLAIN",
  "away-notify": "",
  "server-time": "",
  "userhost-in-names": "",
};

const utf8 = new TextEncoder();

/** Text that may go in an IRC parameter: no line breaks, no NUL. */
function flat(text: string): string {
  return text.replace(/[\r\n\0]+/g, " ");
}

/** An IRC command once registered (IrcSession.COMMANDS). */
interface IrcCommand {
  /** Parameters it can't do without. */
  min: number;
  /** What IRC answers when they are missing, if not ERR_NEEDMOREPARAMS. */
  missing?(session: IrcSession, command: string): string;
  run(session: IrcSession, params: readonly string[], message: IrcMessage): void;
}

export class IrcSession extends Session {
  protected override readonly speaks = { protocol: "IRC", clients: "an IRC client" };
  /** Capabilities the client asked for and got. */
  private readonly caps = new Set<string>();
  /** While registering: the nick asked for, whether USER came, a CAP negotiation under way, PASS. */
  private wantedNick: string | undefined;
  private userGiven = false;
  private negotiating = false;
  private pass: string | undefined;
  /** A name check is under way (bans, account, claim): registration waits for it. */
  private checking = false;
  /** SASL PLAIN: waiting for the client's credentials, and the account it logged in to. */
  private saslWaiting = false;
  private saslBuffer = "";
  private saslLogin: { name: string; login: Login } | undefined;
  /** User mode +i: not shown by a WHO mask to those who share no room with it. */
  invisible = false;
  /** The message of the PART being answered (the "parted" answer has none of its own). */
  private partMessage: string | undefined;
  /** USER's real name and user name, for WHOIS and WHO. */
  realname = "";
  username = "";
  /** What the last command was about (a nick, a channel), for the numerics of its answer. */
  private target = "*";
  /** The command being answered: IRC answers some events differently per command (WHOIS's end). */
  private answering = "";

  constructor(env: SessionEnv, socket: Writable, address: string, port: number) {
    super(env, socket, address, port, "irc");
    this.mode = "irc";
    this.registration = undefined;
  }

  /** The server's name in numerics and PONGs (--irc-name). */
  private get server(): string {
    return this.env.ircName ?? IRC_SERVER;
  }

  /** IRC clients speak first. */
  override greet(): void {}

  /** The nick as numerics name it: "*" until there is one. */
  private get shownNick(): string {
    return this.name || this.wantedNick || "*";
  }

  /** A numeric reply to this client: `:bunchat 001 nick params…`. */
  /** ERR_NEEDMOREPARAMS for `command`: one place for what every command answers when it lacks a parameter. */
  private needMoreParams(command: string): string {
    return this.numeric(N.ERR_NEEDMOREPARAMS, [command, "Not enough parameters"]);
  }

  private numeric(code: Numeric, params: readonly string[], trailing = true): string {
    return ircLine(this.server, code, [this.shownNick, ...params], trailing);
  }

  private send(text: string): void {
    if (text === "") return;
    const bytes = utf8.encode(text);
    this.outbox.send(bytes);
  }

  private tag(ts: number): string {
    return this.caps.has("server-time") ? timeTag(ts) : "";
  }

  // Reading: registration first, then commands.

  protected override dispatch(line: string): void {
    const message = parseIrc(line);
    if (!message) return;
    if (this.phase === "registering") {
      // A browser made to POST IRC lines here sends its request and headers first.
      if (looksLikeHttp(line)) return this.wrongProtocol("HTTP");
      return this.register(message);
    }
    if (this.phase === "chatting") this.command(message);
  }

  private register(m: IrcMessage): void {
    const [first = ""] = m.params;
    switch (m.command) {
      case "CAP":
        return this.cap(m);
      case "AUTHENTICATE":
        return this.authenticate(first);
      case "PASS":
        if (first === "") return this.send(this.needMoreParams("PASS"));
        this.pass = first;
        return;
      case "NICK":
        if (first === "") return this.send(this.numeric(N.ERR_NONICKNAMEGIVEN, ["No nickname given"]));
        this.wantedNick = first;
        return this.tryRegister();
      case "USER":
        if (m.params.length < 4 || m.params[0] === "" || m.params[3] === "") {
          return this.send(this.needMoreParams("USER"));
        }
        this.userGiven = true;
        this.realname = sanitizeText(m.params[3]!).slice(0, LIMITS.reasonMaxLength);
        this.username = sanitizeText(m.params[0]!).replace(/[^\x21-\x7e]/g, "").slice(0, 16) || "user";
        return this.tryRegister();
      case "PING":
        return this.send(ircLine(this.server, "PONG", [this.server, first], true));
      case "PONG":
        return;
      case "QUIT":
        return this.quit(); // not in the chat yet: nobody to tell its message
      default:
        return this.send(this.numeric(N.ERR_NOTREGISTERED, ["You have not registered"]));
    }
  }

  private cap(m: IrcMessage): void {
    const sub = (m.params[0] ?? "").toUpperCase();
    const who = this.shownNick;
    switch (sub) {
      case "LS": {
        if (this.phase === "registering") this.negotiating = true;
        const v302 = Number(m.params[1] ?? "0") >= 302;
        const list = Object.entries(CAPS)
          .filter(([cap]) => cap !== "sasl" || this.hub.accounts !== undefined)
          .map(([cap, value]) => (v302 && value ? `${cap}=${value}` : cap));
        return this.send(ircLine(this.server, "CAP", [who, "LS", list.join(" ")], true));
      }
      case "LIST":
        return this.send(ircLine(this.server, "CAP", [who, "LIST", [...this.caps].join(" ")], true));
      case "REQ": {
        if (this.phase === "registering") this.negotiating = true;
        const asked = (m.params[1] ?? "").trim().split(/\s+/).filter((c) => c !== "");
        const known = (c: string) => Object.hasOwn(CAPS, c.replace(/^-/, "")) && (c !== "sasl" || this.hub.accounts !== undefined);
        if (asked.length === 0 || !asked.every(known)) {
          return this.send(ircLine(this.server, "CAP", [who, "NAK", m.params[1] ?? ""], true));
        }
        for (const c of asked) {
          if (c.startsWith("-")) this.caps.delete(c.slice(1));
          else this.caps.add(c);
        }
        if (this.phase === "chatting") this.mode = this.caps.has("server-time") ? "irc-time" : "irc";
        return this.send(ircLine(this.server, "CAP", [who, "ACK", asked.join(" ")], true));
      }
      case "END":
        if (this.phase !== "registering") return;
        this.negotiating = false;
        return this.tryRegister();
      default:
        return this.send(this.numeric(N.ERR_INVALIDCAPCMD, [sub || "*", "Invalid CAP command"]));
    }
  }

  /** SASL PLAIN (the only mechanism): a registered name's password, checked like any login. */
  private authenticate(arg: string): void {
    if (!this.caps.has("sasl") || this.saslLogin) {
      return this.send(this.numeric(this.saslLogin ? N.ERR_SASLALREADY : N.ERR_SASLFAIL, [this.saslLogin ? "You have already authenticated" : "SASL authentication failed"]));
    }
    if (arg === "*") {
      this.saslWaiting = false;
      this.saslBuffer = "";
      return this.send(this.numeric(N.ERR_SASLABORTED, ["SASL authentication aborted"]));
    }
    if (!this.saslWaiting) {
      if (arg.toUpperCase() !== "PLAIN") return this.send(this.numeric(N.RPL_SASLMECHS, ["PLAIN", "are available SASL mechanisms"], false));
      this.saslWaiting = true;
      return this.send(ircLine(undefined, "AUTHENTICATE", ["+"]));
    }
    if (arg.length > 400 || this.saslBuffer.length > 1200) return this.saslFailed("SASL message too long");
    if (arg !== "+") this.saslBuffer += arg;
    if (arg.length === 400) return; // more follows
    this.saslWaiting = false;
    const decoded = Buffer.from(this.saslBuffer, "base64").toString("utf8");
    this.saslBuffer = "";
    const [, authcid = "", password = ""] = decoded.split("\0");
    const accounts = this.hub.accounts;
    if (!accounts || authcid === "" || password === "") return this.saslFailed("SASL authentication failed");
    const key = foldName(authcid);
    this.after(Promise.resolve(accounts.get(key)).catch(() => null), (account) => {
      if (!account) return this.saslFailed("SASL authentication failed");
      verifyLogin(this, { key, account }, password, (outcome) => {
        if (outcome !== "ok") return this.saslFailed(outcome === "busy" ? "The server is busy checking logins; try again" : "SASL authentication failed");
        this.saslLogin = { name: account.name, login: { key, ignores: account.ignores ?? [] } };
        this.send(this.numeric(N.RPL_LOGGEDIN, [mask(this.shownNick), account.name, `You are now logged in as ${account.name}`]));
        this.send(this.numeric(N.RPL_SASLSUCCESS, ["SASL authentication successful"]));
      });
    });
  }

  private saslFailed(why: string): void {
    this.saslWaiting = false;
    this.saslBuffer = "";
    this.send(this.numeric(N.ERR_SASLFAIL, [why]));
  }

  /** NICK and USER have come (and CAP END, if capabilities were negotiated): the name is checked, then in. */
  private tryRegister(): void {
    if (!this.wantedNick || !this.userGiven || this.negotiating || this.checking) return;
    const { env } = this;
    if (env.checkPassword && !(this.pass !== undefined && env.checkPassword(this.pass))) {
      env.attempts.take(this.address, this.now());
      this.send(this.numeric(N.ERR_PASSWDMISMATCH, ["Password incorrect"]));
      return this.kick(error("bad-password", "Wrong server password; closing the connection."), "disconnected");
    }
    // Logged in with SASL: the account's name, whatever nick was asked for.
    const name = this.saslLogin?.name ?? this.wantedNick;
    const check = checkName(name);
    if (!check.ok) return this.refuseNick(name, N.ERR_ERRONEUSNICKNAME, check.reason);
    if (this.hub.find(check.name)) return this.refuseNick(name, N.ERR_NICKNAMEINUSE, "Nickname is already in use");
    this.checking = true;
    nameStanding(this, check.name, (standing) => {
      if ("ban" in standing) return this.kick(error("banned", bannedText(standing.ban)), "disconnected");
      if (standing.account === null) {
        this.checking = false;
        return this.refuseNick(name, N.ERR_NICKNAMEINUSE, "Registered names can't be checked right now; try again in a moment");
      }
      const key = foldName(check.name);
      if (standing.account?.bot) {
        this.checking = false;
        return this.refuseNick(name, N.ERR_NICKNAMEINUSE, botNameError(standing.account.name).message);
      }
      if (standing.account && this.saslLogin?.login.key !== key) {
        // No SASL: the server password slot (PASS) may carry the name's password, as many clients send it.
        if (!env.checkPassword && this.pass !== undefined) {
          const account = standing.account;
          return verifyLogin(this, { key, account }, this.pass, (outcome) => {
            this.pass = undefined;
            if (outcome === "ok") return this.claimAndEnter(account.name, { key, ignores: account.ignores ?? [] });
            this.checking = false;
            const why =
              outcome === "wrong"
                ? "that password is not its"
                : outcome === "busy"
                  ? "the server is checking many logins; try again in a moment"
                  : `too many wrong passwords for it; the next is checked in ${Math.ceil(outcome / 1000)} s`;
            this.refuseNick(name, N.ERR_NICKNAMEINUSE, `${account.name} is a registered name and ${why}: log in with SASL, or choose another nick`);
          });
        }
        this.checking = false;
        return this.refuseNick(name, N.ERR_NICKNAMEINUSE, `${standing.account.name} is a registered name: log in with SASL (or PASS), or choose another nick`);
      }
      this.claimAndEnter(check.name, standing.account ? this.saslLogin!.login : undefined);
    });
  }

  private claimAndEnter(name: string, login: Login | undefined): void {
    this.afterClaim(this.hub.claim(name), name, (won) => {
      this.checking = false;
      if (!won || !this.enterChat(name, login)) return this.refuseNick(name, N.ERR_NICKNAMEINUSE, "Nickname is already in use");
      this.mode = this.caps.has("server-time") ? "irc-time" : "irc";
      this.welcomeIrc();
      this.log(`+ ${this.name} joined from ${this.peer} (IRC), ${this.hub.size} online`);
    });
  }

  /** A nick that can't be had: told why; the client picks another (it counts as a failed attempt). */
  private refuseNick(nick: string, code: typeof N.ERR_ERRONEUSNICKNAME | typeof N.ERR_NICKNAMEINUSE, why: string): void {
    this.env.attempts.take(this.address, this.now());
    this.wantedNick = undefined;
    this.send(ircLine(this.server, code, [this.name || "*", flat(nick).slice(0, 64), why], true));
  }

  /** 001–005, LUSERS and the MOTD: what a client waits for before it joins its channels. */
  private welcomeIrc(): void {
    const nick = this.name;
    let out = this.numeric(N.RPL_WELCOME, [`Welcome to bunchat, ${nick}! Rooms here are channels: /join #lobby`]);
    out += this.numeric(N.RPL_YOURHOST, [`Your host is ${this.server}, running bunchat ${VERSION}`]);
    out += this.numeric(N.RPL_CREATED, ["This server speaks IRC as a door to bunchat's rooms"]);
    out += this.numeric(N.RPL_MYINFO, [this.server, `bunchat-${VERSION}`, "i", "bnot"], false);
    for (const line of isupport()) out += this.numeric(N.RPL_ISUPPORT, [...line, "are supported by this server"]);
    this.send(out);
    this.lusers();
    this.motd();
  }

  private lusers(): void {
    const users = this.hub.size;
    let invisible = 0;
    for (const member of this.hub.locals()) if (member instanceof IrcSession && member.invisible) invisible++;
    let out = this.numeric(N.RPL_LUSERCLIENT, [`There are ${users - invisible} users and ${invisible} invisible on 1 server`]);
    out += this.numeric(N.RPL_LUSEROP, ["0", "operator(s) online"], true);
    out += this.numeric(N.RPL_LUSERCHANNELS, [String(this.hub.roomCount), "channels formed"]);
    out += this.numeric(N.RPL_LUSERME, [`I have ${users} clients and 0 servers`]);
    const peak = Math.max(users, this.hub.peak);
    out += this.numeric(N.RPL_LOCALUSERS, [String(users), String(peak), `Current local users ${users}, max ${peak}`]);
    out += this.numeric(N.RPL_GLOBALUSERS, [String(users), String(peak), `Current global users ${users}, max ${peak}`]);
    this.send(out);
  }

  private motd(): void {
    let out = this.numeric(N.RPL_MOTDSTART, [`- ${this.server} Message of the day -`]);
    for (const line of [
      "This is bunchat: the same rooms for IRC, nc, the bunchat client and the browser.",
      `Every #channel is a room. You may send lines of up to ${LIMITS.maxLineBytes} bytes (a longer one is refused: 417);`,
      "others' lines longer than IRC's 512 bytes reach you split over several, none of their text lost.",
    ]) {
      out += this.numeric(N.RPL_MOTD, [`- ${line}`]);
    }
    out += this.numeric(N.RPL_ENDOFMOTD, ["End of /MOTD command"]);
    this.send(out);
  }

  // Commands once registered.

  private command(m: IrcMessage): void {
    this.answering = m.command;
    this.target = "*";
    const spec = IrcSession.COMMANDS[m.command];
    if (!spec) return this.bunchatCommand(m);
    // One place for what a command lacks: ERR_NEEDMOREPARAMS, or the numeric IRC has for it.
    if (m.params.length < spec.min || m.params.slice(0, spec.min).some((p) => p === "")) {
      return this.send(spec.missing ? spec.missing(this, m.command) : this.needMoreParams(m.command));
    }
    spec.run(this, m.params, m);
  }

  /** bunchat's own commands (REGISTER, HISTORY, SEARCH, MUTE…) as raw IRC commands; else ERR_UNKNOWNCOMMAND. */
  private bunchatCommand(m: IrcMessage): void {
    const name = lookupCommand(m.command.toLowerCase());
    if (!name) return this.send(this.numeric(N.ERR_UNKNOWNCOMMAND, [m.command, "Unknown command"]));
    // IRCv3's REGISTER <account> <email|*> <password>: the password is the last.
    const p = m.params;
    const args = name === "register" && p.length >= 3 ? p[2]! : p.join(" ");
    return runCommand(this, name, args);
  }

  /**
   * The IRC commands once registered, ergo's way: each with the parameters it can't do without
   * (`min`; when fewer come, ERR_NEEDMOREPARAMS unless `missing` says what IRC answers instead)
   * and what it does. Anything else is one of bunchat's own commands, or unknown.
   */
  private static readonly COMMANDS: Record<string, IrcCommand> = {
    PING: {
      min: 0, // "PING :" (an empty token) is answered; only none at all is ERR_NOORIGIN
      run(s, p) {
        if (p[0] === undefined) return s.send(s.numeric(N.ERR_NOORIGIN, ["No origin specified"]));
        for (const room of s.rooms) room.flushPresence(); // what happened before the PING comes before its PONG
        s.send(ircLine(s.server, "PONG", [s.server, p[0]], true));
      },
    },
    PONG: { min: 0, run() {} },
    CAP: { min: 0, run: (s, _p, m) => s.cap(m) },
    PASS: { min: 0, run: (s) => s.send(s.numeric(N.ERR_ALREADYREGISTERED, ["You may not reregister"])) },
    USER: { min: 0, run: (s) => s.send(s.numeric(N.ERR_ALREADYREGISTERED, ["You may not reregister"])) },
    AUTHENTICATE: { min: 0, run: (s) => s.send(s.numeric(N.ERR_SASLALREADY, ["You have already authenticated"])) },
    QUIT: { min: 0, run: (s, p) => s.quit(p[0] ? sanitizeText(p[0]).slice(0, LIMITS.reasonMaxLength) : undefined) },
    NICK: {
      min: 1,
      missing: (s) => s.numeric(N.ERR_NONICKNAMEGIVEN, ["No nickname given"]),
      run(s, p) {
        if (p[0] === s.name) return; // IRC: a change to the same nick says nothing
        s.target = p[0]!;
        s.rename(p[0]!);
      },
    },
    JOIN: { min: 1, run: (s, p) => s.join(p[0]!) },
    PART: { min: 1, run: (s, p) => s.part(p[0]!, p[1]) },
    // Their own numerics for what is missing, and none at all for a NOTICE: in message().
    PRIVMSG: { min: 0, run: (s, p) => s.message("PRIVMSG", p[0], p[1]) },
    NOTICE: { min: 0, run: (s, p) => s.message("NOTICE", p[0], p[1]) },
    TOPIC: { min: 1, run: (s, p) => s.topic(p[0]!, p[1]) },
    NAMES: { min: 0, run: (s, p) => s.names(p[0]) },
    WHO: { min: 0, run: (s, p) => s.who(p[0]) },
    WHOIS: { min: 0, run: (s, p) => s.whois(p.length > 1 ? p[1] : p[0]) },
    WHOWAS: {
      min: 1,
      missing: (s) => s.numeric(N.ERR_NONICKNAMEGIVEN, ["No nickname given"]),
      run: (s, p) => s.send(s.numeric(N.ERR_WASNOSUCHNICK, [p[0]!, "There was no such nickname"]) + s.numeric(N.RPL_ENDOFWHOWAS, [p[0]!, "End of WHOWAS"])),
    },
    AWAY: { min: 0, run: (s, p) => (p[0] ? runCommand(s, "away", p[0]) : runCommand(s, "back", "")) },
    LIST: { min: 0, run: (s) => s.list() },
    LUSERS: { min: 0, run: (s) => s.lusers() },
    MOTD: { min: 0, run: (s) => s.motd() },
    MODE: { min: 1, run: (s, p) => s.modeCommand(p) },
    KICK: { min: 2, run: (s, p) => s.kickCommand(p[0]!, p[1]!, p[2]) },
    VERSION: {
      min: 0,
      run: (s) => s.send(s.numeric(N.RPL_VERSION, [`bunchat-${VERSION}`, s.server, "IRC door"]) + isupport().map((l) => s.numeric(N.RPL_ISUPPORT, [...l, "are supported by this server"])).join("")),
    },
    TIME: { min: 0, run: (s) => s.send(s.numeric(N.RPL_TIME, [s.server, new Date(s.now()).toUTCString()])) },
    INFO: {
      min: 0,
      run: (s) => s.send(s.numeric(N.RPL_INFO, [`bunchat ${VERSION}: one chat for IRC, nc, its own client and the browser`]) + s.numeric(N.RPL_ENDOFINFO, ["End of INFO list"])),
    },
    HELP: { min: 0, run: (s, p) => s.help(p[0]) },
    HELPOP: { min: 0, run: (s, p) => s.help(p[0]) },
    USERHOST: {
      min: 0,
      run: (s, p) =>
        s.send(s.numeric(N.RPL_USERHOST, [p.slice(0, 5).map((n) => s.hub.find(n)).filter((u): u is Member => u !== undefined).map((u) => `${u.name}=${s.hub.awayReason(u) === undefined ? "+" : "-"}${userOf(u)}@${IRC_HOST}`).join(" ")])),
    },
    ISON: {
      min: 0,
      run: (s, p) => s.send(s.numeric(N.RPL_ISON, [p.join(" ").split(/\s+/).filter((n) => n && s.hub.find(n)).map((n) => s.hub.find(n)!.name).join(" ")])),
    },
  };

  private join(list: string): void {
    if (list === "0") {
      for (const room of [...this.rooms]) runCommand(this, "part", room.name);
      return;
    }
    for (const name of list.split(",").filter((n) => n !== "").slice(0, 10)) {
      this.target = name;
      if (!name.startsWith("#")) {
        this.send(this.numeric(N.ERR_NOSUCHCHANNEL, [name, "No such channel: room names start with #"]));
        continue;
      }
      const room = this.hub.room(name);
      if (room?.has(this)) continue; // IRC: joining a channel one is in says nothing
      runCommand(this, "join", name);
    }
  }

  private part(list: string, message: string | undefined): void {
    for (const name of list.split(",").filter((n) => n !== "")) {
      this.target = name;
      const room = this.hub.room(name);
      if (!room) {
        this.send(this.numeric(N.ERR_NOSUCHCHANNEL, [name, "No such channel"]));
        continue;
      }
      if (!room.has(this)) {
        this.send(this.notOn(name));
        continue;
      }
      this.partMessage = message ? sanitizeText(message).slice(0, LIMITS.reasonMaxLength) : undefined;
      runCommand(this, "part", `${room.name}${message ? ` ${message}` : ""}`);
      this.partMessage = undefined;
    }
  }

  private message(command: "PRIVMSG" | "NOTICE", to: string | undefined, raw: string | undefined): void {
    const quiet = command === "NOTICE"; // IRC: no automatic reply to a NOTICE, errors included
    this.lastActive = this.now(); // for WHOIS's idle time
    if (!to) return quiet ? undefined : this.send(this.numeric(N.ERR_NORECIPIENT, [`No recipient given (${command})`]));
    if (raw === undefined || raw === "") return quiet ? undefined : this.send(this.numeric(N.ERR_NOTEXTTOSEND, ["No text to send"]));
    const action = /^\u0001ACTION (.*?)\u0001?$/s.exec(raw);
    if (raw.startsWith("\u0001") && !action) return; // other CTCP (VERSION, PING…): not answered
    const text = sanitizeText(action ? action[1]! : raw).trim();
    if (text === "") return;
    for (const target of to.split(",").slice(0, 4)) {
      this.target = target;
      if (target.startsWith("#")) {
        const room = this.hub.room(target);
        if (!room) {
          if (!quiet) this.send(this.numeric(N.ERR_NOSUCHCHANNEL, [target, "No such channel"]));
          continue;
        }
        if (!room.has(this)) {
          if (!quiet) this.send(this.numeric(N.ERR_CANNOTSENDTOCHAN, [target, "Cannot send to channel: join it first"]));
          continue;
        }
        const ts = this.now();
        const event = action
          ? ({ type: "action", room: room.name, from: this.name, text, ts } as const)
          : ({ type: "public" as const, room: room.name, from: this.name, text, ts, ...(quiet ? { notice: true as const } : {}) });
        if (say(this, room, event)) {
          if (!quiet) this.send(this.numeric(N.ERR_CANNOTSENDTOCHAN, [room.name, `Cannot send to channel: you are muted in ${room.name}`]));
          continue;
        }
        if (this.caps.has("echo-message")) this.send(privmsgLines(this.name, room.name, text, action !== null, this.tag(ts), quiet && !action));
        continue;
      }
      const user = this.hub.find(target);
      if (!user) {
        if (!quiet) this.send(this.numeric(N.ERR_NOSUCHNICK, [target, "No such nick"]));
        continue;
      }
      runCommand(this, "pm", `${user.name} ${action ? `* ${this.name} ${text}` : text}`);
    }
  }

  private topic(name: string, text: string | undefined): void {
    this.target = name;
    const room = this.hub.room(name);
    if (!room) return this.send(this.numeric(N.ERR_NOSUCHCHANNEL, [name, "No such channel"]));
    if (text === undefined) return this.send(this.topicLines(room));
    if (!room.has(this)) return this.send(this.notOn(room.name));
    this.runIn(room, "topic", text === "" ? "-" : text);
  }

  private topicLines(room: Room): string {
    if (!room.topic) return this.numeric(N.RPL_NOTOPIC, [room.name, "No topic is set"]);
    return this.numeric(N.RPL_TOPIC, [room.name, room.topic.text]) + this.numeric(N.RPL_TOPICWHOTIME, [room.name, mask(room.topic.by), String(Math.floor(room.topic.ts / 1000))], false); // a mask: clients show "by Sam [Sam@host]"
  }

  /** A channel's members as IRC shows them, operators with "@", as 353 lines that fit, then (`end`) 366. */
  private namesLines(room: Room, end = true): string {
    const full = this.caps.has("userhost-in-names");
    const names = room.names.all().map((n) => {
      const member = this.hub.find(n);
      const shown = full && member ? `${n}!${userOf(member)}@${IRC_HOST}` : n;
      return member && this.hub.isOp(member, room) ? `@${shown}` : shown;
    });
    let out = "";
    let line: string[] = [];
    let bytes = 0;
    const width = IRC_LINE_BYTES - 80 - room.name.length - this.name.length;
    for (const n of names) {
      if (bytes + n.length + 1 > width && line.length > 0) {
        out += this.numeric(N.RPL_NAMREPLY, ["=", room.name, line.join(" ")]);
        line = [];
        bytes = 0;
      }
      line.push(n);
      bytes += n.length + 1;
    }
    if (line.length > 0) out += this.numeric(N.RPL_NAMREPLY, ["=", room.name, line.join(" ")]);
    return end ? out + this.numeric(N.RPL_ENDOFNAMES, [room.name, "End of /NAMES list"]) : out;
  }

  /** NAMES #a: its names and 366; NAMES #a,#b: each one's names, then one 366 for the list. */
  private names(list: string | undefined): void {
    if (!list) return this.send(this.numeric(N.RPL_ENDOFNAMES, ["*", "End of /NAMES list"]));
    const names = list.split(",").filter((n) => n !== "").slice(0, 10);
    let out = "";
    for (const name of names) {
      const room = this.hub.room(name);
      if (room) out += this.namesLines(room, false);
    }
    this.send(out + this.numeric(N.RPL_ENDOFNAMES, [list, "End of /NAMES list"]));
  }

  private whoLine(channel: string, member: Member, room?: Room): string {
    const away = this.hub.awayReason(member) !== undefined ? "G" : "H";
    const op = room && this.hub.isOp(member, room) ? "@" : "";
    return this.numeric(N.RPL_WHOREPLY, [channel, userOf(member), IRC_HOST, this.server, member.name, `${away}${op}`, `0 ${realnameOf(member)}`]);
  }

  /** WHO #channel, WHO nick, or WHO mask (* and ? over nicks): at most 200 lines. */
  private who(query: string | undefined): void {
    const target = query ?? "*";
    let out = "";
    if (target.startsWith("#")) {
      const room = this.hub.room(target);
      if (room) for (const n of room.names.all()) {
        const member = this.hub.find(n);
        if (member) out += this.whoLine(room.name, member, room);
      }
    } else if (/[*?]/.test(target)) {
      const pattern = new RegExp(`^${target.replace(/!.*$/, "").replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
      let shown = 0;
      for (const n of this.hub.names()) {
        if (shown >= 200) break;
        const member = this.hub.find(n);
        if (!member || !pattern.test(n)) continue;
        const room = member.rooms.find((r) => this.rooms.includes(r));
        if (member instanceof IrcSession && member.invisible && member !== this && !room) continue;
        out += this.whoLine(room?.name ?? "*", member, room);
        shown++;
      }
    } else {
      const member = this.hub.find(target);
      const room = member?.rooms.find((r) => this.rooms.includes(r)) ?? member?.rooms[0];
      if (member) out += this.whoLine(room?.name ?? "*", member, room);
    }
    this.send(out + this.numeric(N.RPL_ENDOFWHO, [target, "End of WHO list"]));
  }

  private whois(nick: string | undefined): void {
    if (!nick) return this.send(this.numeric(N.ERR_NONICKNAMEGIVEN, ["No nickname given"]));
    this.target = nick;
    runCommand(this, "whois", nick);
  }

  private list(): void {
    runCommand(this, "rooms", "");
  }

  private modeCommand(p: readonly string[]): void {
    const [target = "", change, ...args] = p;
    this.target = target;
    if (!target.startsWith("#")) {
      if (foldName(target) !== foldName(this.name)) return this.send(this.numeric(N.ERR_USERSDONTMATCH, ["Can't change mode for other users"]));
      if (change === undefined) return this.send(this.numeric(N.RPL_UMODEIS, [this.invisible ? "+i" : "+"], false));
      const user = /^([+-])i$/.exec(change);
      if (!user) return this.send(this.numeric(N.ERR_UMODEUNKNOWNFLAG, ["Unknown MODE flag: only +i (invisible to WHO masks) is a user mode here"]));
      if (this.invisible === (user[1] === "+")) return;
      this.invisible = user[1] === "+";
      return this.send(ircLine(mask(this.name), "MODE", [this.name, change], true));
    }
    const room = this.hub.room(target);
    if (!room) return this.send(this.numeric(N.ERR_NOSUCHCHANNEL, [target, "No such channel"]));
    if (change === undefined) {
      return this.send(this.numeric(N.RPL_CHANNELMODEIS, [room.name, room.roles.locked ? "+nt" : "+n"], false) + this.numeric(N.RPL_CREATIONTIME, [room.name, String(Math.floor(room.created / 1000))], false));
    }
    if (change === "b" || change === "+b" && args.length === 0) {
      const now = this.now();
      let out = "";
      for (const [key, until] of Object.entries(room.roles.banned ?? {})) {
        if (until === 0 || until > now) out += this.numeric(N.RPL_BANLIST, [room.name, `${bannedName(room.roles, key)}!*@*`, this.server, "0"], false);
      }
      return this.send(out + this.numeric(N.RPL_ENDOFBANLIST, [room.name, "End of channel ban list"]));
    }
    // +o/-o nick, +b/-b mask, +t/-t: bunchat's /op, /deop, /ban, /unban, /topic lock|unlock there.
    const flags = /^([+-])([obnt])$/.exec(change);
    const needsArg = flags !== null && (flags[2] === "o" || flags[2] === "b");
    if (!flags || (needsArg && !args[0])) {
      return this.send(this.numeric(N.ERR_UNKNOWNMODE, [change.replace(/^[+-]/, "").slice(0, 1) || "?", "is not a mode bunchat rooms have (+o, +b and +t change)"]));
    }
    if (!room.has(this)) return this.send(this.notOn(room.name));
    if (flags[2] === "n") return; // always: only members talk in a room
    const plus = flags[1] === "+";
    if (flags[2] === "t") this.runIn(room, "topic", plus ? "lock" : "unlock");
    else this.runIn(room, flags[2] === "o" ? (plus ? "op" : "deop") : plus ? "ban" : "unban", args[0]!.replace(/!.*$/, ""));
  }

  private kickCommand(channel: string, nick: string, why: string | undefined): void {
    this.target = channel;
    const room = this.hub.room(channel);
    if (!room) return this.send(this.numeric(N.ERR_NOSUCHCHANNEL, [channel, "No such channel"]));
    if (!room.has(this)) return this.send(this.notOn(room.name));
    this.runIn(room, "kick", `${nick}${why ? ` ${why}` : ""}`);
  }

  /**
   * A bunchat command about `room` (they act on the current room): run with `room` current, then
   * the current room as it was (IRC has none, but the bunchat commands a client sends raw do).
   */
  private runIn(room: Room, command: string, args: string): void {
    const current = this.room;
    this.room = room;
    runCommand(this, command, args);
    if (current && this.rooms.includes(current)) this.room = current;
  }

  /** 442: a channel this client is not on. */
  private notOn(channel: string): string {
    return this.numeric(N.ERR_NOTONCHANNEL, [channel, "You're not on that channel"]);
  }

  private help(topic: string | undefined): void {
    const subject = topic ?? "*";
    let out = this.numeric(N.RPL_HELPSTART, [subject, "bunchat's IRC door: JOIN #room, PRIVMSG, PART, TOPIC, NAMES, WHO, WHOIS, AWAY, LIST, NICK, KICK, MODE +o/+b, QUIT"]);
    out += this.numeric(N.RPL_HELPTXT, [subject, "Every #channel is a bunchat room, shared with nc, the bunchat client and the browser."]);
    out += this.numeric(N.RPL_ENDOFHELP, [subject, "End of /HELP"]);
    this.send(out);
  }

  // Writing: the events for this client alone, as IRC.

  /** Member: what IRC clients keep from lines and a line does not say (see Member.note). */
  note(note: MemberNote): void {
    if (this.phase !== "chatting") return;
    switch (note.type) {
      case "away":
        return this.awayChanged(note.name, note.reason);
      case "joined":
        return this.joinedAs(note.room, note.name, note.away, note.op);
      case "roles":
        return this.rolesChanged(note.room, note.before, note.after);
      default:
        return unreachable(note);
    }
  }

  /** Someone sharing a room went away (reason) or came back; with away-notify, told as AWAY. */
  private awayChanged(name: string, reason: string | undefined): void {
    if (!this.caps.has("away-notify")) return;
    this.send(this.tag(this.now()) + ircLine(mask(name), "AWAY", reason === undefined ? [] : [reason], true));
  }

  /** Someone joined one of this client's channels away, or as an operator: a MODE, then an AWAY. */
  private joinedAs(room: Room, name: string, away: string | undefined, op: boolean): void {
    if (op) this.send(this.tag(this.now()) + ircLine(this.server, "MODE", [room.name, "+o", name]));
    if (away !== undefined) this.awayChanged(name, away);
  }

  /**
   * A room's roles changed. IRC clients keep channel modes and who is "@" from MODE lines:
   * +o/-o for each member whose operator status changed, +t/-t for the topic lock, +b/-b for bans.
   */
  private rolesChanged(room: Room, before: RoomRoles, after: RoomRoles): void {
    const runs = (r: RoomRoles, key: string) => r.owner === key || r.ops.includes(key);
    const changes: string[] = [];
    for (const name of room.names.all()) {
      const key = foldName(name);
      const [was, is] = [runs(before, key), runs(after, key)];
      if (was !== is) changes.push(`${is ? "+" : "-"}o ${name}`);
    }
    if (!before.locked !== !after.locked) changes.push(after.locked ? "+t" : "-t");
    const now = this.now();
    const banned = (r: RoomRoles, key: string) => {
      const until = r.banned?.[key];
      return until !== undefined && (until === 0 || until > now);
    };
    for (const key of new Set([...Object.keys(before.banned ?? {}), ...Object.keys(after.banned ?? {})])) {
      if (banned(before, key) !== banned(after, key)) changes.push(`${banned(after, key) ? "+" : "-"}b ${bannedName(banned(after, key) ? after : before, key)}!*@*`);
    }
    let out = "";
    for (const change of changes.slice(0, 20)) out += this.tag(now) + ircLine(this.server, "MODE", [room.name, ...change.split(" ")]);
    this.send(out);
  }

  /** A shared answer (a room's /users, encoded once for text and JSON): IRC writes it for this client. */
  protected override renderShared(encoded: Encoded): Uint8Array {
    return this.render(encoded.event);
  }

  override render(event: ServerEvent): Uint8Array {
    return utf8.encode(this.ircFor(event));
  }

  private ircFor(event: ServerEvent): string {
    const time = this.mode === "irc-time";
    switch (event.type) {
      case "hello":
      case "ask-name":
      case "ask-password":
      case "ask-login":
      case "welcome":
        return "";
      case "private":
        return privmsgLines(event.from, this.name, event.text, false, this.tag(event.ts));
      case "private-sent":
        return this.caps.has("echo-message") ? privmsgLines(this.name, event.to, event.text, false, this.tag(event.ts)) : "";
      case "room":
        if (!event.joined) return "";
        return this.tag(this.now()) + ircLine(mask(this.name), "JOIN", [event.room]) + this.roomState(event.room);
      case "parted":
        if (event.kicked !== undefined) return ircLine(this.server, "KICK", [event.room, this.name, `Kicked ${event.kicked}`], true);
        return ircLine(mask(this.name), "PART", this.partMessage ? [event.room, this.partMessage] : [event.room], true);
      case "topic-is": {
        const room = this.hub.room(event.room);
        return room ? this.topicLines(room) : this.numeric(N.RPL_NOTOPIC, [event.room, "No topic is set"]);
      }
      case "rooms": {
        let out = this.numeric(N.RPL_LISTSTART, ["Channel", "Users  Name"]);
        for (const r of event.rooms) out += this.numeric(N.RPL_LIST, [r.name, String(r.count), r.topic ?? ""]);
        return out + this.numeric(N.RPL_LISTEND, ["End of /LIST"]);
      }
      case "whois":
        return this.whoisLines(event);
      case "away":
        return event.reason === null
          ? this.numeric(N.RPL_UNAWAY, ["You are no longer marked as being away"])
          : this.numeric(N.RPL_NOWAWAY, ["You have been marked as being away"]);
      case "away-notice":
        return this.numeric(N.RPL_AWAY, [event.name, event.reason]);
      case "history":
        if (event.why === "join") return this.replayLines(event.room, event.events);
        return this.asNotices(event);
      case "pong":
        return ircLine(this.server, "PONG", [this.server, event.token], true);
      case "ping":
        return ircLine(undefined, "PING", [this.server], true);
      case "error":
        return this.errorLines(event);
      case "bye":
        return ircLine(undefined, "ERROR", [`Closing link: ${this.name || "*"} (Quit)`], true);
      case "rename":
      case "public":
      case "action":
      case "join":
      case "joins":
      case "leave":
      case "leaves":
      case "topic":
      case "shutdown":
        return ircShared(event, time);
      case "notice":
        return this.tag(event.ts) + ircLine(this.server, "NOTICE", [this.name || "*", event.text], true);
      case "users":
      case "search":
      case "help":
        return this.asNotices(event);
    }
  }

  /** What a client is sent on joining: the topic and the names (with the JOIN before them). */
  private roomState(name: string): string {
    const room = this.hub.room(name);
    if (!room) return "";
    return (room.topic ? this.topicLines(room) : "") + this.namesLines(room);
  }

  /**
   * A room's last lines on joining it, dated in their text as the plain door dates them ("[14:02]",
   * "[2026-11-29 14:02]" before today), and with their times as tags for server-time. Both: irssi
   * asks for server-time but shows its own clock unless `/set show_server_time on`, so by default
   * every replayed line read as said the moment one joined.
   */
  private replayLines(room: string, events: readonly KeptEvent[]): string {
    const stamped = this.caps.has("server-time");
    const now = this.now();
    let out = "";
    for (const e of events) {
      if (e.type === "topic") continue; // the topic itself follows the JOIN
      out += privmsgLines(e.from, room, `[${stamp(e.ts, now)}] ${e.text}`, e.type === "action", stamped ? timeTag(e.ts) : "");
    }
    return out;
  }

  private whoisLines(w: Extract<ServerEvent, { type: "whois" }>): string {
    if (!w.online) {
      return this.numeric(N.ERR_NOSUCHNICK, [w.name, w.registered ? "No such nick (a registered name, offline)" : "No such nick"]) + this.numeric(N.RPL_ENDOFWHOIS, [w.name, "End of /WHOIS list"]);
    }
    const member = this.hub.find(w.name);
    let out = this.numeric(N.RPL_WHOISUSER, [w.name, member ? userOf(member) : w.name, IRC_HOST, "*", member ? realnameOf(member) : w.name]);
    if (w.rooms && w.rooms.length > 0) {
      const ops = new Set(w.operator ?? []);
      out += this.numeric(N.RPL_WHOISCHANNELS, [w.name, w.rooms.map((r) => (ops.has(r) ? `@${r}` : r)).join(" ")]);
    }
    out += this.numeric(N.RPL_WHOISSERVER, [w.name, this.server, w.elsewhere ? "on another server of this bunchat cluster" : "bunchat"]);
    if (w.away !== undefined) out += this.numeric(N.RPL_AWAY, [w.name, w.away]);
    if (w.registered) out += this.numeric(N.RPL_WHOISACCOUNT, [w.name, w.name, "is logged in as"]);
    if (w.admin) out += this.numeric(N.RPL_WHOISOPERATOR, [w.name, "is a server admin"]);
    if (w.idle !== undefined) {
      out += this.numeric(N.RPL_WHOISIDLE, [w.name, String(Math.floor(w.idle / 1000)), String(Math.floor((w.since ?? 0) / 1000)), "seconds idle, signon time"]);
    }
    return out + this.numeric(N.RPL_ENDOFWHOIS, [w.name, "End of /WHOIS list"]);
  }

  /** An error as IRC's numeric for it where there is one, else a NOTICE (closing ones: ERROR). */
  private errorLines(e: ErrorEvent): string {
    const t = this.target;
    switch (e.code) {
      case "name-invalid":
        return ircLine(this.server, N.ERR_ERRONEUSNICKNAME, [this.name || "*", t, e.message], true);
      case "name-taken":
        return ircLine(this.server, N.ERR_NICKNAMEINUSE, [this.name || "*", t, e.message], true);
      case "unknown-user":
        return this.answering === "WHOIS" ? this.numeric(N.ERR_NOSUCHNICK, [t, e.message]) + this.numeric(N.RPL_ENDOFWHOIS, [t, "End of /WHOIS list"]) : this.numeric(N.ERR_NOSUCHNICK, [t, e.message]);
      case "not-in-room":
        return this.numeric(N.ERR_NOTONCHANNEL, [t, e.message]);
      case "room-invalid":
        return this.numeric(N.ERR_NOSUCHCHANNEL, [t, e.message]);
      case "too-many-rooms":
        return this.numeric(N.ERR_TOOMANYCHANNELS, [t, e.message]);
      case "not-allowed":
        return this.numeric(N.ERR_CHANOPRIVSNEEDED, [t.startsWith("#") ? t : (this.room?.name ?? t), e.message]);
      case "unknown-command":
        return this.numeric(N.ERR_UNKNOWNCOMMAND, [this.answering || "?", e.message]);
      case "line-too-long":
        return this.numeric(N.ERR_INPUTTOOLONG, [`Input line was too long (bunchat takes ${LIMITS.maxLineBytes} bytes)`]);
      case "bad-encoding":
        return ircLine(this.server, "FAIL", ["*", "INVALID_UTF8", "Message rejected: it was not UTF-8"], true);
      case "bad-password":
      case "excess-flood":
      case "too-many-attempts":
      case "registration-timeout":
      case "ping-timeout":
      case "too-slow":
      case "kicked":
      case "banned":
      case "server-full":
      case "too-many-connections":
      case "connecting-too-fast":
      case "no-newline":
      case "wrong-protocol":
        return ircLine(undefined, "ERROR", [`Closing link: ${e.message}`], true);
      default:
        return ircLine(this.server, "NOTICE", [this.name || "*", e.message], true);
    }
  }

  /** An event IRC has no reply for, as the plain-text lines nc users read, each a NOTICE. */
  private asNotices(event: ServerEvent): string {
    return toText(event, false)
      .split("\n")
      .map((line) => ircLine(this.server, "NOTICE", [this.name || "*", flat(line) || " "], true))
      .join("");
  }
}

/** ISUPPORT (005) tokens, a few per line. */
function isupport(): string[][] {
  const tokens = [
    "AWAYLEN=100",
    "CASEMAPPING=ascii",
    `CHANNELLEN=${LIMITS.roomNameMaxLength + 1}`,
    "CHANMODES=b,,,nt",
    "CHANTYPES=#",
    `KICKLEN=${LIMITS.reasonMaxLength}`,
    "MODES=1",
    "NETWORK=bunchat",
    `NICKLEN=${LIMITS.nameMaxLength}`,
    "PREFIX=(o)@",
    "TARGMAX=JOIN:10,PART:,PRIVMSG:4,NOTICE:4,NAMES:,KICK:1",
    `TOPICLEN=${LIMITS.topicMaxLength}`,
    "UTF8ONLY",
  ];
  const lines: string[][] = [];
  for (let i = 0; i < tokens.length; i += 12) lines.push(tokens.slice(i, i + 12));
  return lines;
}

/** A member's user name as WHO and WHOIS show it: an IRC user's from USER, anyone else's nick. */
function userOf(member: Member): string {
  return member instanceof IrcSession && member.username ? `~${member.username}` : member.name;
}

/** A member's real name as WHO and WHOIS show it: an IRC user's from USER, anyone else's nick. */
function realnameOf(member: Member): string {
  return member instanceof IrcSession && member.realname ? member.realname : member.name;
}
