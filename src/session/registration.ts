// Before a connection joins: which mode it speaks (a JSON hello, or plain text), the server
// password, and a free, valid name. The session holds one of these until the name is accepted and
// drops it then: what registering needs (the step, the names refused) is not kept for the chat.

import type { Hub } from "../core/hub.ts";
import type { Member } from "../core/room.ts";
import type { Replay } from "../core/keeping.ts";
import { type Maybe, settled, writeAside } from "../store/history.ts";
import { parseClientHello } from "../protocol/hello.ts";
import { utcMinute } from "../render/text.ts";
import { lookupCommand, parseInput } from "../protocol/commands.ts";
import type { ErrorEvent, LeaveReason, ServerEvent } from "../protocol/events.ts";
import { LIMITS, PROTOCOL_VERSION, type ServerLimits } from "../protocol/limits.ts";
import { VERSION } from "../version.ts";
import { checkName, foldName } from "../protocol/names.ts";
import type { Account } from "../store/accounts.ts";
import { type Ban, bans } from "../store/bans.ts";
import { networkOf } from "./network.ts";
import { sessionId, sessionMatches } from "./secrets.ts";
import { SESSION_LASTS_MS } from "../store/sessions.ts";
import type { Door } from "../protocol/events.ts";
import { error } from "../core/commands/chat.ts";
import type { SessionEnv } from "./env.ts";

/**
 * Whether a line is HTTP's: a request line or a header line. A web page can make a visitor's
 * browser POST lines to any port; no door takes them as chat.
 */
export function looksLikeHttp(line: string): boolean {
  return /^[A-Z]{3,10} \S+ HTTP\/\d(\.\d)?$/.test(line) || /^[A-Za-z][A-Za-z0-9-]*: /.test(line);
}

/** What registering asks of the session it is for. */
export interface RegistrationHost {
  readonly env: SessionEnv;
  readonly hub: Hub;
  readonly address: string;
  now(): number;
  reply(event: ServerEvent): void;
  /** Tells the peer why, and closes. */
  kick(why: ErrorEvent, reason: LeaveReason): void;
  wrongProtocol(what: "TLS" | "HTTP"): void;
  quit(): void;
  /** A structured hello came: JSON from now on. */
  speakJson(): void;
  /** Member.echo: its own lines come back to it (a structured client's hello asks). */
  echo: boolean;
  /** The hello and the first question, in the mode chosen. */
  greet(): void;
  /** The answer when someone online already has `name` or one like it. */
  nameTaken(name: string): ErrorEvent;
  /** Goes on once a name claim is answered (at once on one node, through Redis in a cluster). */
  afterClaim(claim: true | Promise<boolean>, name: string, then: (won: boolean) => void): void;
  /** Goes on with a value at once, or once it comes; this connection's lines wait meanwhile. */
  after<T>(value: Maybe<T>, then: (value: T) => void): void;
  /**
   * Joins the chat as `name` (claimed already), shown `replay` of the default room, logged in to a
   * registered name (none: a guest): undefined, or why it can't (the name was taken meanwhile, its
   * devices are all in use).
   */
  joinAs(name: string, replay: Replay | undefined, login: Login | undefined): ErrorEvent | undefined;
  /** `name` is a registered user of node `node`: this connection is piped there instead (false: it can't be now). */
  pipeTo(node: string, name: string): boolean;
  log(line: string): void;
  /** Which door it came in by: the page (web) is given a session when it signs in with a password. */
  readonly door: Door;
  /** A session for the page that signed in to `account` with its password (told to it once it is in). */
  issueSession(account: string): void;
  /** The page's session this connection signed in with (for /logout). */
  signedInWith: string | undefined;
}

/**
 * new: nothing received yet · password: waiting for the server password · naming: waiting for a
 * name · login: waiting for the password of the registered name chosen.
 */
type Step = "new" | "password" | "naming" | "login";

/** A registered name logged in to: its key, the name keys it ignores, and whether it stays online without a connection (/always-on). */
export interface Login {
  key: string;
  ignores: readonly string[];
  alwaysOn?: boolean;
}

/** What logging in to `account` (by its key) brings. */
export function loginOf(key: string, account: Account): Login {
  return { key, ignores: account.ignores ?? [], ...(account.alwaysOn ? { alwaysOn: true } : {}) };
}

/** Wrong passwords for one account, from anywhere, before each next try waits (then one every 5 s). */
export const LOGIN_BURST = 5;

export class Registration {
  private step: Step = "new";
  private refusedNames = 0;
  /** The registered name being logged in to, and its account. */
  private login: { key: string; account: Account } | undefined;
  /** The connection was told its password travels unencrypted (once). */
  private warned = false;

  constructor(private readonly host: RegistrationHost) {}

  /** One line from the peer while registering. */
  line(line: string): void {
    switch (this.step) {
      case "new": {
        if (looksLikeHttp(line)) return this.host.wrongProtocol("HTTP");
        const hello = this.chooseMode(line);
        if (hello === "refused") return;
        this.step = this.host.env.checkPassword ? "password" : "naming";
        return hello === "accepted" ? undefined : this.line(line);
      }
      case "password":
        return this.onPassword(line);
      case "naming":
        return this.onName(line);
      case "login":
        return this.onLogin(line);
    }
  }

  /** After an error (a line too long, say): ask again for what is wanted. */
  reprompt(): void {
    if (this.step === "naming") this.host.reply({ type: "ask-name" });
    if (this.step === "password") this.host.reply({ type: "ask-password" });
    if (this.step === "login" && this.login) this.askLogin(this.login.account.name);
  }

  /** A password is wanted for a registered name; on plain TCP, said once that it travels unencrypted. */
  private askLogin(name: string): void {
    const unencrypted = !this.host.env.tls && !this.warned;
    this.warned = true;
    this.host.reply({ type: "ask-login", name, ...(unencrypted ? { unencrypted } : {}) });
  }

  /** A line while a registered name's password is wanted: an empty one goes back to choosing a name. */
  private onLogin(line: string): void {
    const login = this.login!;
    const { env } = this.host;
    if (line === "") {
      this.login = undefined;
      this.step = "naming";
      return this.host.reply({ type: "ask-name" });
    }
    verifyLogin(this.host, login, line, (outcome) => {
      if (outcome === "ok") return this.enter(login.account.name, loginOf(login.key, login.account), this.host.door === "web");
      if (outcome === "busy") {
        this.host.reply(error("server-busy", "The server is checking many logins at once; send your password again in a moment."));
        return this.askLogin(login.account.name);
      }
      if (typeof outcome === "number") {
        const seconds = Math.ceil(outcome / 1000);
        this.host.reply(error("slow-down", `Too many passwords tried for ${login.account.name} lately (right or wrong, from anywhere); the next one is checked in ${seconds} s.`));
        return this.askLogin(login.account.name);
      }
      if (++this.refusedNames >= env.limits.maxNameAttempts) {
        return this.host.kick(
          error("too-many-attempts", `${env.limits.maxNameAttempts} attempts refused; closing the connection.`),
          "disconnected",
        );
      }
      this.host.reply(error("login-failed", `Wrong password for ${login.account.name}.`));
      this.askLogin(login.account.name);
    });
  }

  private onPassword(line: string): void {
    const { env } = this.host;
    if (env.checkPassword!(line)) {
      this.step = "naming";
      return this.host.reply({ type: "ask-name" });
    }
    env.attempts.take(this.host.address, this.host.now());
    this.host.kick(error("bad-password", "Wrong password; closing the connection."), "disconnected");
  }

  /** A first line that is a JSON hello switches to structured mode; "none" if the line is not a hello. */
  private chooseMode(line: string): "none" | "accepted" | "refused" {
    const hello = parseClientHello(line);
    if (hello === undefined) return "none";
    this.host.speakJson();
    if ("error" in hello || hello.proto !== PROTOCOL_VERSION) {
      const why =
        "error" in hello ? hello.error : `This server speaks protocol ${PROTOCOL_VERSION}, not ${hello.proto}.`;
      this.host.kick(error("bad-hello", why), "disconnected");
      return "refused";
    }
    if (hello.echo) this.host.echo = true;
    this.host.greet();
    return "accepted";
  }

  private onName(line: string): void {
    const input = parseInput(line);
    if (input.kind === "empty") return this.host.reply({ type: "ask-name" });
    if (input.kind === "command") {
      if (lookupCommand(input.word) === "quit") return this.host.quit();
      if (input.word.toLowerCase() === "resume") return this.resume(input.args);
      return this.refuseName(error("not-registered", "Choose a username first; commands work once you have joined."));
    }
    const check = checkName(line);
    if (!check.ok) return this.refuseName(error("name-invalid", check.reason), true);
    const { hub } = this.host;
    // Online already: taken, unless it is a registered user's (another device of theirs logs in to it).
    const holder = hub.find(check.name);
    if (!mayJoinAgain(holder, check.name)) {
      // A registered user of another node: this connection is piped there, another device of it.
      if (onAnotherNode(holder, check.name) && this.host.pipeTo(holder!.node!, check.name)) return;
      return this.refuseName(onAnotherNode(holder, check.name) ?? this.host.nameTaken(check.name), true);
    }
    const name = check.name;
    nameStanding(this.host, name, (standing) => {
      if ("ban" in standing) return this.host.kick(error("banned", bannedText(standing.ban)), "disconnected");
      if (standing.account === null) {
        return this.refuseName(error("server-busy", "Registered names can't be checked right now; try again in a moment."));
      }
      if (!standing.account) return this.enter(name, undefined);
      if (standing.account.bot) return this.refuseName(botNameError(standing.account.name), true);
      this.login = { key: foldName(name), account: standing.account };
      this.step = "login";
      this.askLogin(standing.account.name);
    });
  }

  /**
   * `/resume <token>` at the name question: the page's session signs in as its user (as the right
   * password does), unless it expired, was signed out, or its password changed since.
   */
  private resume(text: string): void {
    const { hub } = this.host;
    const token = text.trim();
    const id = sessionId(token);
    const sessions = hub.sessions;
    // Counted as a failed attempt: a stream of guessed tokens is slowed like guessed passwords.
    const expired = () => this.refuseName(error("session-expired", "That session no longer signs in (it expired, or was signed out): choose your name and give its password."), true);
    if (id === undefined || !sessions) return expired();
    this.host.after(settled(sessions.get(id)), (session) => {
      if (session === null) return this.refuseName(error("server-busy", "Sessions can't be checked right now; try again in a moment."));
      const now = this.host.now();
      if (!session || !sessionMatches(session, token) || session.expires <= now) return expired();
      // Its user is on another node: piped there, which signs it in with the same token.
      const holder = hub.find(session.account);
      if (onAnotherNode(holder, session.account) && this.host.pipeTo(holder!.node!, `/resume ${token}`)) return;
      nameStanding(this.host, session.account, (standing) => {
        if ("ban" in standing) return this.host.kick(error("banned", bannedText(standing.ban)), "disconnected");
        if (standing.account === null) return this.refuseName(error("server-busy", "Registered names can't be checked right now; try again in a moment."));
        const account = standing.account;
        const failed = () => this.host.log(`! a session of ${session.account} could not be written`);
        if (!account || account.bot) {
          writeAside(() => sessions.remove(session.id), failed); // its name was given up
          return expired();
        }
        writeAside(() => sessions.put({ ...session, used: now, expires: now + SESSION_LASTS_MS }), failed);
        this.host.signedInWith = session.id;
        this.enter(account.name, loginOf(session.account, account));
      });
    });
  }

  /** Joins as `name`, logged in to a registered name (its key, and whom it ignores), or a guest; `issue`: the page signed in with a password, and is given a session. */
  private enter(name: string, login: Login | undefined, issue = false): void {
    const { hub } = this.host;
    // The default room's past first (from Redis in a cluster), so that the welcome and it come
    // before anything said after the join.
    this.host.after(hub.keeping.replay(hub.lobby), (replay) => {
      // Another device of a user here holds its name already (in a cluster, Redis says so): no claim.
      const holder = hub.find(name);
      const ours = login !== undefined && holder !== undefined && holder.node === undefined && holder.account === login.key;
      this.host.afterClaim(ours ? true : hub.claim(name), name, (won) => {
        const refused = won ? this.host.joinAs(name, replay, login) : this.host.nameTaken(name);
        if (!refused) return void (issue && login && this.host.issueSession(login.key));
        this.host.signedInWith = undefined;
        this.login = undefined;
        this.step = "naming";
        this.refuseName(refused, true);
      });
    });
  }

  /** A name attempt that did not work; a failed one counts toward closing and toward slowing this address. */
  private refuseName(event: ServerEvent, failed = false): void {
    const { env } = this.host;
    this.host.reply(event);
    if (failed) {
      env.attempts.take(this.host.address, this.host.now());
      const limit = env.limits.maxNameAttempts;
      if (++this.refusedNames >= limit) {
        return this.host.kick(
          error("too-many-attempts", `${limit} names refused; closing the connection.`),
          "disconnected",
        );
      }
    }
    this.host.reply({ type: "ask-name" });
  }
}


/**
 * Whether `name`, online as `holder`, may be joined as once more: the registered name of a user on
 * this server, whose password is then asked (another of their devices); a guest's name never is.
 */
export function mayJoinAgain(holder: Member | undefined, name: string): boolean {
  return holder === undefined || (holder.node === undefined && holder.account !== undefined && holder.account === foldName(name));
}

/**
 * A registered name online on another node of the cluster, when this connection can't be piped
 * there (an IRC client's, or that node can't be reached now): refused with the reason; undefined
 * for any other holder.
 */
export function onAnotherNode(holder: Member | undefined, name: string, irc = false): ErrorEvent | undefined {
  if (holder?.node === undefined || holder.account === undefined || holder.account !== foldName(name)) return undefined;
  const why = irc ? "an IRC client connects to that one for another device of it" : "it can't be reached from here right now; try again in a moment";
  return error("name-taken", `${holder.name} is online on another server of this cluster: ${why}.`);
}

/** Why a banned name or network is refused: until when, by whom, why. */
export function bannedText(ban: Ban): string {
  const until = ban.until === undefined ? "until an admin lifts it" : `until ${utcMinute(ban.until)} UTC`;
  return `You are banned from this server ${until} (by ${ban.by}${ban.reason ? `: ${ban.reason}` : ""}).`;
}

/**
 * Where a name stands before anyone joins as it: banned (this name, or for a guest a ban on its
 * network), registered (its account: a password is wanted), or free (no account). `account` null:
 * registered names can't be asked about now (Redis gone). The bans and the account are asked for
 * together (in a cluster: one wait).
 */
export function nameStanding(
  host: Pick<RegistrationHost, "hub" | "env" | "address" | "now" | "after">,
  name: string,
  then: (standing: { ban: Ban } | { account: Account | undefined | null }) => void,
): void {
  const { hub } = host;
  const key = foldName(name);
  const list = settled(hub.rules.banList());
  const owner = settled(hub.accounts ? hub.accounts.get(key) : undefined);
  const both = list instanceof Promise || owner instanceof Promise ? Promise.all([list, owner]) : ([list, owner] as const);
  host.after(both, ([list, account]) => {
    const now = host.now();
    const network = account ? undefined : networkOf(host.address, host.env.limits.networkBits);
    const ban = list?.find((b) => bans(b, key, network, now));
    then(ban ? { ban } : { account });
  });
}

/** A name held for a bot of the HTTP API: nobody chooses it or logs in to it. */
export function botNameError(name: string): ErrorEvent {
  return error("name-taken", `${name} is a bot's name (its lines come through the HTTP API); choose another.`);
}

/**
 * A password for a registered name, checked: "ok", "wrong" (counted against the address and the
 * name, and logged without the password), "busy" (too many being checked: try again), or how many
 * ms the name's next try must wait after too many wrong ones.
 */
export function verifyLogin(
  host: Pick<RegistrationHost, "hub" | "env" | "address" | "now" | "after" | "log">,
  login: { key: string; account: Account },
  password: string,
  then: (outcome: "ok" | "wrong" | "busy" | number) => void,
): void {
  const { env, hub } = host;
  if (login.account.bot) return then("wrong"); // no password opens a bot's name
  const waitMs = env.logins.wait(login.key, host.now());
  if (waitMs > 0) return then(waitMs);
  // Charged before the check: guesses sent together must not all pass the wait above while the
  // first ones are being checked (and then lock the owner out for as long as they took).
  env.logins.take(login.key, host.now());
  const checked = hub.passwords.verify(password, login.account.hash);
  if (checked === "busy") {
    env.logins.give(login.key, host.now());
    return then("busy");
  }
  host.after(checked, (ok) => {
    if (ok) {
      env.logins.give(login.key, host.now());
      return then("ok");
    }
    env.attempts.take(host.address, host.now());
    host.log(`! wrong password for ${login.account.name} from ${host.address}`);
    then("wrong");
  });
}

/** What the server says first, to every connection: its version, the limits a client paces itself by. */
export function helloEvent(limits: ServerLimits, password: boolean): Extract<ServerEvent, { type: "hello" }> {
  const flood = limits.linesPerSecond > 0;
  return {
    type: "hello",
    server: VERSION,
    proto: PROTOCOL_VERSION,
    maxLineBytes: LIMITS.maxLineBytes,
    maxMessageBytes: limits.maxMessageBytes,
    maxMessageLines: limits.maxMessageLines,
    nameMaxLength: LIMITS.nameMaxLength,
    burstLines: flood ? limits.burstLines : 0,
    linesPerSecond: flood ? limits.linesPerSecond : 0,
    password,
  };
}

/** A name refused because `holder` is online with it, or with one that looks like it. */
export function nameTakenError(name: string, holder: string | undefined): ErrorEvent {
  if (holder && holder.toLowerCase() !== name.toLowerCase()) {
    return error("name-taken", `The name "${name}" looks too much like ${holder}, who is online.`);
  }
  return error("name-taken", `The name "${name}" is taken${holder ? ` by ${holder}` : ""}.`);
}
