// An IRC client's registration (RFC 1459 §4.1, IRCv3 CAP 302 and SASL PLAIN): PASS, NICK and USER,
// capabilities negotiated before CAP END, a registered name's password by SASL or in PASS. Its own
// state, dropped once the client is in; CAP itself is the door's (it is negotiated in both phases).

import { error } from "../../core/commands/chat.ts";
import type { Hub } from "../../core/hub.ts";
import { NUMERIC as N } from "../../protocol/irc-numerics.ts";
import { ircLine, type IrcMessage, mask } from "../../protocol/irc.ts";
import { LIMITS } from "../../protocol/limits.ts";
import { checkName, foldName } from "../../protocol/names.ts";
import { sanitizeText } from "../../protocol/sanitize.ts";
import type { PeerUser } from "../../session/adapter.ts";
import { bannedText, botNameError, type Login, loginOf, mayJoinAgain, nameStanding, onAnotherNode, verifyLogin } from "../../session/registration.ts";
import type { Session } from "../../session/session.ts";
import { flat, ircView, type IrcReplies } from "./replies.ts";

/** What registration needs of the door. */
export interface IrcRegistrationHost {
  readonly session: Session;
  readonly hub: Hub;
  readonly out: IrcReplies;
  readonly server: string;
  readonly name: string;
  readonly shownNick: string;
  readonly caps: ReadonlySet<string>;
  readonly user: PeerUser;
  now(): number;
  send(text: string): void;
  cap(m: IrcMessage): void;
}

/** Base64 of a PLAIN response at most: two names and a password of up to 1024 characters. */
const SASL_MAX = 4 * Math.ceil((2 * 32 + 2 + 4096) / 3);

export class IrcRegistration {
  /** The nick asked for, whether USER came, a CAP negotiation under way, PASS. */
  wantedNick: string | undefined;
  private userGiven = false;
  private negotiating = false;
  private pass: string | undefined;
  /** A name check is under way (bans, account, claim): registration waits for it. */
  private checking = false;
  /** SASL PLAIN: waiting for the client's credentials, and the account it logged in to. */
  private saslWaiting = false;
  private saslBuffer = "";
  private saslLogin: { name: string; login: Login } | undefined;

  constructor(private readonly c: IrcRegistrationHost) {}

  /** CAP LS or REQ before registering: registration waits for CAP END. */
  negotiate(): void {
    this.negotiating = true;
  }

  /** CAP END: registration goes on if NICK and USER have come. */
  negotiated(): void {
    this.negotiating = false;
    this.tryRegister();
  }

  /** A line before the client is registered: CAP, AUTHENTICATE, PASS, NICK, USER, PING, QUIT. */
  line(m: IrcMessage): void {
    const [first = ""] = m.params;
    switch (m.command) {
      case "CAP":
        return this.c.cap(m);
      case "AUTHENTICATE":
        return this.authenticate(first);
      case "PASS":
        if (first === "") return this.c.send(this.c.out.needMoreParams("PASS"));
        this.pass = first;
        return;
      case "NICK":
        if (first === "") return this.c.send(this.c.out.numeric(N.ERR_NONICKNAMEGIVEN, ["No nickname given"]));
        this.wantedNick = first;
        return this.tryRegister();
      case "USER":
        if (m.params.length < 4 || m.params[0] === "" || m.params[3] === "") {
          return this.c.send(this.c.out.needMoreParams("USER"));
        }
        this.userGiven = true;
        this.c.user.realname = sanitizeText(m.params[3]!).slice(0, LIMITS.reasonMaxLength);
        this.c.user.username = sanitizeText(m.params[0]!).replace(/[^\x21-\x7e]/g, "").slice(0, 16) || "user";
        return this.tryRegister();
      case "PING":
        return this.c.send(ircLine(this.c.server, "PONG", [this.c.server, first], true));
      case "PONG":
        return;
      case "QUIT":
        return this.c.session.quit(); // not in the chat yet: nobody to tell its message
      default:
        return this.c.send(this.c.out.numeric(N.ERR_NOTREGISTERED, ["You have not registered"]));
    }
  }


  /** SASL PLAIN (the only mechanism): a registered name's password, checked like any login. */
  private authenticate(arg: string): void {
    if (!this.c.caps.has("sasl") || this.saslLogin) {
      return this.c.send(this.c.out.numeric(this.saslLogin ? N.ERR_SASLALREADY : N.ERR_SASLFAIL, [this.saslLogin ? "You have already authenticated" : "SASL authentication failed"]));
    }
    if (arg === "*") {
      this.saslWaiting = false;
      this.saslBuffer = "";
      return this.c.send(this.c.out.numeric(N.ERR_SASLABORTED, ["SASL authentication aborted"]));
    }
    if (!this.saslWaiting) {
      // Another mechanism: which there are (908), and that this try failed (904).
      if (arg.toUpperCase() !== "PLAIN") return this.c.send(this.c.out.numeric(N.RPL_SASLMECHS, ["PLAIN", "are available SASL mechanisms"]) + this.c.out.numeric(N.ERR_SASLFAIL, ["SASL authentication failed: PLAIN is the mechanism here"]));
      this.saslWaiting = true;
      return this.c.send(ircLine(undefined, "AUTHENTICATE", ["+"]));
    }
    if (arg.length > 400) {
      this.saslWaiting = false;
      this.saslBuffer = "";
      return this.c.send(this.c.out.numeric(N.ERR_SASLTOOLONG, ["SASL message too long: 400 bytes a line at most"]));
    }
    if (this.saslBuffer.length + arg.length > SASL_MAX) return this.saslFailed("SASL message too long");
    if (arg !== "+") this.saslBuffer += arg;
    if (arg.length === 400) return; // more follows
    this.saslWaiting = false;
    const decoded = Buffer.from(this.saslBuffer, "base64").toString("utf8");
    this.saslBuffer = "";
    const [, authcid = "", password = ""] = decoded.split("\0");
    const accounts = this.c.hub.accounts;
    if (!accounts || authcid === "" || password === "") return this.saslFailed("SASL authentication failed");
    const key = foldName(authcid);
    this.c.session.after(Promise.resolve(accounts.get(key)).catch(() => null), (account) => {
      if (!account) return this.saslFailed("SASL authentication failed");
      verifyLogin(this.c.session, { key, account }, password, (outcome) => {
        if (outcome !== "ok") return this.saslFailed(outcome === "busy" ? "The server is busy checking logins; try again" : "SASL authentication failed");
        this.saslLogin = { name: account.name, login: loginOf(key, account) };
        this.c.send(this.c.out.numeric(N.RPL_LOGGEDIN, [mask(this.c.shownNick), account.name, `You are now logged in as ${account.name}`]));
        this.c.send(this.c.out.numeric(N.RPL_SASLSUCCESS, ["SASL authentication successful"]));
      });
    });
  }

  private saslFailed(why: string): void {
    this.saslWaiting = false;
    this.saslBuffer = "";
    this.c.send(this.c.out.numeric(N.ERR_SASLFAIL, [why]));
  }

  /** NICK and USER have come (and CAP END, if capabilities were negotiated): the name is checked, then in. */
  private tryRegister(): void {
    if (!this.wantedNick || !this.userGiven || this.negotiating || this.checking) return;
    const { env } = this.c.session;
    if (env.checkPassword && !(this.pass !== undefined && env.checkPassword(this.pass))) {
      env.attempts.take(this.c.session.address, this.c.now());
      this.c.send(this.c.out.numeric(N.ERR_PASSWDMISMATCH, ["Password incorrect"]));
      return this.c.session.kick(error("bad-password", "Wrong server password; closing the connection."), "disconnected");
    }
    // Logged in with SASL: the account's name, whatever nick was asked for.
    const name = this.saslLogin?.name ?? this.wantedNick;
    const check = checkName(name);
    if (!check.ok) return this.refuseNick(name, N.ERR_ERRONEUSNICKNAME, check.reason);
    const holder = this.c.hub.find(check.name);
    if (!mayJoinAgain(holder, check.name)) return this.refuseNick(name, N.ERR_NICKNAMEINUSE, onAnotherNode(holder, check.name, true)?.message ?? "Nickname is already in use");
    this.checking = true;
    nameStanding(this.c.session, check.name, (standing) => {
      if ("ban" in standing) return this.c.session.kick(error("banned", bannedText(standing.ban)), "disconnected");
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
          return verifyLogin(this.c.session, { key, account }, this.pass, (outcome) => {
            this.pass = undefined;
            if (outcome === "ok") return this.claimAndEnter(account.name, loginOf(key, account));
            this.checking = false;
            const why =
              outcome === "wrong"
                ? "that password is not its"
                : outcome === "busy"
                  ? "the server is checking many logins; try again in a moment"
                  : `too many passwords were tried for it lately; the next is checked in ${Math.ceil(outcome / 1000)} s`;
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
    this.c.session.afterClaim(this.c.hub.claim(name), name, (won) => {
      this.checking = false;
      const refused = won ? this.c.session.enterChat(name, login) : this.c.session.nameTaken(name);
      if (refused) return this.refuseNick(name, N.ERR_NICKNAMEINUSE, refused.code === "too-many-devices" ? refused.message : "Nickname is already in use");
      this.c.session.mode = ircView(this.c.caps);
      this.c.session.afterMarkers(() => {
        this.c.send(this.c.out.welcome());
        this.c.session.showRoomsOf(); // another device of a user who is in rooms already
        this.c.session.catchUpConversations(); // what came in its private conversations meanwhile
      });
      this.c.session.log(`+ ${this.c.name} joined from ${this.c.session.peer} (IRC), ${this.c.hub.size} online`);
    });
  }

  /** A nick that can't be had: told why; the client picks another (it counts as a failed attempt). */
  private refuseNick(nick: string, code: typeof N.ERR_ERRONEUSNICKNAME | typeof N.ERR_NICKNAMEINUSE, why: string): void {
    this.c.session.env.attempts.take(this.c.session.address, this.c.now());
    this.wantedNick = undefined;
    this.c.send(ircLine(this.c.server, code, [this.c.name || "*", flat(nick).slice(0, 64), why], true));
  }
}
