// What one IRC client is sent, written for it: numerics naming its nick, the events it alone sees,
// and the lines that describe a channel (topic, names, modes). Pure rendering: it reads the client's
// state and the hub, and returns lines; the door (door.ts) decides when to send them.

import type { Hub } from "../../core/hub.ts";
import type { Member, MemberNote, Room } from "../../core/room.ts";
import { type ErrorEvent, type HistoryLine, type IrcView, type MessageId, type Mode, type ServerEvent, takesTags, unreachable } from "../../protocol/events.ts";
import { foldName } from "../../protocol/names.ts";
import { CHATHISTORY_CAP, CHATHISTORY_MAX } from "./chathistory.ts";
import { NUMERIC as N, type Numeric } from "../../protocol/irc-numerics.ts";
import { escapeTag, IRC_HOST, IRC_LINE_BYTES, ircLine, mask } from "../../protocol/irc.ts";
import { LIMITS } from "../../protocol/limits.ts";
import { addressed, clientTags, ircShared, kickLine, lineTags, messageLines, MULTILINE_CAP } from "../../render/irc.ts";
import { DOOR_WORDS, stamp, stateWords, toText } from "../../render/text.ts";
import { bannedName, roleKey, type RoomRoles } from "../../store/rooms.ts";
import { inForce, runs } from "../../core/rules.ts";
import { modeOn, SETTINGS } from "../../core/settings.ts";
import { MONITOR_LIMIT } from "./monitor.ts";
import { VERSION } from "../../version.ts";
import { Session } from "../../session/session.ts";
import type { PeerUser } from "../../session/adapter.ts";

/** The capability under which a client is sent REDACT (IRCv3 draft/message-redaction). */
export const REDACTION_CAP = "draft/message-redaction";
/** IRCv3 draft/read-marker: MARKREAD. */
export const READ_MARKER_CAP = "draft/read-marker";

/** `MARKREAD <target> timestamp=…` (or `*`: none), from the server; a conversation's target is the nick. */
export function markreadLine(server: string, target: string, at: number | null | undefined): string {
  const shown = target.startsWith("@") ? target.slice(1) : target;
  return ircLine(server, "MARKREAD", [shown, at === null || at === undefined ? "*" : `timestamp=${new Date(at).toISOString()}`]);
}

/**
 * How an IRC client with these caps is written to: with every tag (message-tags), and messages of
 * several lines as batches (draft/multiline, which needs batch); server-time's tag; or none.
 */
export function ircView(caps: ReadonlySet<string>): IrcView {
  if (caps.has("message-tags")) return caps.has(MULTILINE_CAP) && caps.has("batch") ? "irc-multiline" : "irc-tags";
  return caps.has("server-time") ? "irc-time" : "irc";
}

/** What the replies read of the client they are written for. */
export interface IrcClient {
  /** The server's name (--irc-name). */
  readonly server: string;
  /** Its nick once it has one ("" before). */
  readonly name: string;
  /** The nick numerics name: "*" until there is one. */
  readonly shownNick: string;
  readonly caps: ReadonlySet<string>;
  readonly mode: Mode;
  readonly room: Room | undefined;
  readonly hub: Hub;
  now(): number;
  /** The message of the PART being answered (the "parted" event has none of its own). */
  readonly partMessage: string | undefined;
  /** What the command being answered was about (a nick, a channel), and the command. */
  readonly target: string;
  readonly answering: string;
}

export class IrcReplies {
  constructor(private readonly c: IrcClient) {}

  /** A numeric reply to this client: `:bunchat 001 nick params…`. */
  /** ERR_NEEDMOREPARAMS for `command`: one place for what every command answers when it lacks a parameter. */
  needMoreParams(command: string): string {
    return this.numeric(N.ERR_NEEDMOREPARAMS, [command, "Not enough parameters"]);
  }

  numeric(code: Numeric, params: readonly string[], trailing = true): string {
    return ircLine(this.c.server, code, [this.c.shownNick, ...params], trailing);
  }

  /** The tags of a line to this client said at `ts` (and its msgid, and its sender's own tags, for a line that has them). */
  tag(ts: number, id?: MessageId, client?: string): string {
    return lineTags(ircView(this.c.caps), ts, id, client);
  }

  /** 001–005, LUSERS and the MOTD: what a client waits for before it joins its channels. */
  /** 001 to 005, then LUSERS and the MOTD: what a client is sent once it is registered. */
  welcome(): string {
    const nick = this.c.name;
    let out = this.numeric(N.RPL_WELCOME, [`Welcome to bunchat, ${nick}! Rooms here are channels: /join #lobby`]);
    out += this.numeric(N.RPL_YOURHOST, [`Your host is ${this.c.server}, running bunchat ${VERSION}`]);
    out += this.numeric(N.RPL_CREATED, ["This server speaks IRC as a door to bunchat's rooms"]);
    out += this.numeric(N.RPL_MYINFO, [this.c.server, `bunchat-${VERSION}`, "Biow", CHANNEL_MODES, "bklov"], false);
    for (const line of isupport()) out += this.numeric(N.RPL_ISUPPORT, [...line, "are supported by this server"]);
    return out + this.lusers() + this.motd();
  }

  lusers(): string {
    const users = this.c.hub.size;
    let invisible = 0;
    let admins = 0;
    for (const member of this.c.hub.locals()) {
      if (isInvisible(member)) invisible++;
      if (this.c.hub.isAdmin(member)) admins++;
    }
    let out = this.numeric(N.RPL_LUSERCLIENT, [`There are ${users - invisible} users and ${invisible} invisible on 1 server`]);
    out += this.numeric(N.RPL_LUSEROP, [String(admins), "operator(s) online"], true);
    out += this.numeric(N.RPL_LUSERCHANNELS, [String(this.c.hub.roomCount), "channels formed"]);
    out += this.numeric(N.RPL_LUSERME, [`I have ${users} clients and 0 servers`]);
    const peak = Math.max(users, this.c.hub.peak);
    out += this.numeric(N.RPL_LOCALUSERS, [String(users), String(peak), `Current local users ${users}, max ${peak}`]);
    out += this.numeric(N.RPL_GLOBALUSERS, [String(users), String(peak), `Current global users ${users}, max ${peak}`]);
    return out;
  }

  motd(): string {
    let out = this.numeric(N.RPL_MOTDSTART, [`- ${this.c.server} Message of the day -`]);
    for (const line of [
      "This is bunchat: the same rooms for IRC, nc, the bunchat client and the browser.",
      `Every #channel is a room. You may send lines of up to ${LIMITS.maxLineBytes} bytes (a longer one is refused: 417);`,
      "others' lines longer than IRC's 512 bytes reach you split over several, none of their text lost.",
    ]) {
      out += this.numeric(N.RPL_MOTD, [`- ${line}`]);
    }
    out += this.numeric(N.RPL_ENDOFMOTD, ["End of /MOTD command"]);
    return out;
  }

  topicLines(room: Room): string {
    if (!room.topic) return this.numeric(N.RPL_NOTOPIC, [room.name, "No topic is set"]);
    return this.numeric(N.RPL_TOPIC, [room.name, room.topic.text]) + this.numeric(N.RPL_TOPICWHOTIME, [room.name, mask(room.topic.by), String(Math.floor(room.topic.ts / 1000))], false); // a mask: clients show "by Sam [Sam@host]"
  }

  /** What a member's nick is shown with in a channel: "@" an operator, "+" voiced (both, with multi-prefix). */
  prefix(member: Member, room: Room): string {
    const rules = this.c.hub.rules;
    const op = rules.isOp(member, room) ? "@" : "";
    const voiced = rules.isVoiced(member, room) ? "+" : "";
    return this.c.caps.has("multi-prefix") ? op + voiced : op || voiced;
  }

  /** A channel's members as IRC shows them, "@" operators and "+" the voiced, as 353 lines that fit, then (`end`) 366. */
  namesLines(room: Room, end = true): string {
    const full = this.c.caps.has("userhost-in-names");
    const names = room.names.all().map((n) => {
      const member = this.c.hub.find(n);
      const shown = full && member ? `${n}!${userOf(member)}@${IRC_HOST}` : n;
      return member ? this.prefix(member, room) + shown : shown;
    });
    const kind = room.roles.secret ? "@" : "="; // 353's channel type: "@" secret
    let out = "";
    let line: string[] = [];
    let bytes = 0;
    const width = IRC_LINE_BYTES - 80 - room.name.length - this.c.name.length;
    for (const n of names) {
      if (bytes + n.length + 1 > width && line.length > 0) {
        out += this.numeric(N.RPL_NAMREPLY, [kind, room.name, line.join(" ")]);
        line = [];
        bytes = 0;
      }
      line.push(n);
      bytes += n.length + 1;
    }
    if (line.length > 0) out += this.numeric(N.RPL_NAMREPLY, [kind, room.name, line.join(" ")]);
    return end ? out + this.numeric(N.RPL_ENDOFNAMES, [room.name, "End of /NAMES list"]) : out;
  }

  /** One WHO reply: 352, or with WHOX (`%fields,token`) 354 with the fields asked for, in WHOX's order. */
  whoLine(channel: string, member: Member, room?: Room, whox?: Whox): string {
    const away = this.c.hub.awayReason(member) !== undefined ? "G" : "H";
    const prefix = room ? this.prefix(member, room) : "";
    const admin = this.c.hub.isAdmin(member) ? "*" : ""; // an IRC operator: a server admin
    const flags = `${away}${admin}${prefix}${ircUserOf(member)?.bot ? "B" : ""}`;
    if (!whox) return this.numeric(N.RPL_WHOREPLY, [channel, userOf(member), IRC_HOST, this.c.server, member.name, flags, `0 ${realnameOf(member)}`]);
    const idle = member.lastActive !== undefined ? Math.max(0, Math.floor((this.c.now() - member.lastActive) / 1000)) : 0;
    const field: Record<string, () => string> = {
      t: () => whox.token,
      c: () => channel,
      u: () => userOf(member),
      i: () => "255.255.255.255", // addresses are not shown
      h: () => IRC_HOST,
      s: () => this.c.server,
      n: () => member.name,
      f: () => flags,
      d: () => "0",
      l: () => String(idle),
      a: () => member.account !== undefined ? member.name : "0",
      o: () => "n/a",
      r: () => realnameOf(member),
    };
    const params = [...WHOX_FIELDS].filter((f) => whox.fields.includes(f)).map((f) => field[f]!());
    return this.numeric(N.RPL_WHOSPCRPL, params, whox.fields.includes("r"));
  }

  /** An event for this client as IRC lines ("" for one IRC does not show). */
  event(event: ServerEvent): string {
    switch (event.type) {
      case "hello":
      case "ask-name":
      case "ask-password":
      case "ask-login":
      case "welcome":
        return "";
      case "private":
        return messageLines(ircView(this.c.caps), event.from, this.c.name, event.text, event, false, event.tags, event.notice);
      case "private-sent":
        // From another connection of this user: shown as its own line, whatever it asked for (as ergo does for multiclient).
        return this.c.caps.has("echo-message") || event.elsewhere ? messageLines(ircView(this.c.caps), this.c.name, event.to, event.text, event, false, event.tags, event.notice) : "";
      case "marker":
        return this.c.caps.has(READ_MARKER_CAP) ? markreadLine(this.c.server, event.target, event.at) : "";
      case "markers":
      case "session":
        return ""; // IRC clients are told a channel's marker when they join it, and MARKREAD asks; sessions are the page's

      case "typing":
        // To a client that takes tags, as IRC says it: a TAGMSG with +typing.
        return takesTags(ircView(this.c.caps)) ? this.tag(event.ts, event.id, `+typing=${event.state}`) + ircLine(mask(event.from), "TAGMSG", [event.room ?? this.c.name]) : "";
      case "tagmsg":
        return takesTags(ircView(this.c.caps)) ? this.tag(event.ts, event.id, event.tags) + ircLine(mask(event.from), "TAGMSG", [event.room ?? event.to ?? this.c.name]) : "";
      case "invite":
        return this.tag(event.ts) + ircLine(mask(event.from), "INVITE", [this.c.name, event.room]);
      case "invite-sent":
        return this.numeric(N.RPL_INVITING, [event.to, event.room], false);
      case "settings":
        return ""; // IRC clients learn them from MODE lines (note)
      case "room":
        if (!event.joined) return "";
        return this.tag(this.c.now()) + ircLine(mask(this.c.name), "JOIN", [event.room]) + this.roomState(event.room);
      case "parted":
        if (event.kicked !== undefined) return kickLine(event.room, this.c.name, event.kicked, this.c.server);
        return ircLine(mask(this.c.name), "PART", this.c.partMessage ? [event.room, this.c.partMessage] : [event.room], true);
      case "topic-is": {
        const room = this.c.hub.room(event.room);
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
        // A client that fetches history itself (draft/chathistory: gamja, Goguma, senpai) is not replayed it, as ergo does.
        if (event.why === "join") return this.c.caps.has(CHATHISTORY_CAP) ? "" : this.replayLines(event.room, event.events);
        return this.asNotices(event);
      case "pong":
        return ircLine(this.c.server, "PONG", [this.c.server, event.token], true);
      case "ping":
        return ircLine(undefined, "PING", [this.c.server], true);
      case "error":
        return this.errorLines(event);
      case "bye":
        return ircLine(undefined, "ERROR", [`Closing link: ${this.c.name || "*"} (Quit)`], true);
      case "rename":
      case "public":
      case "action":
      case "join":
      case "joins":
      case "leave":
      case "leaves":
      case "topic":
      case "shutdown":
        return ircShared(event, ircView(this.c.caps));
      case "notice":
        return this.tag(event.ts) + ircLine(this.c.server, "NOTICE", [this.c.name || "*", event.text], true);
      case "upload":
        return this.tag(event.ts) + ircLine(this.c.server, "NOTICE", [this.c.name || "*", toText(event)], true);
      case "file-key":
        return "";
      case "users":
      case "search":
      case "help":
      case "reactions":
      case "sessions":
        return this.asNotices(event);
      case "edit":
      case "delete":
      case "react":
        return this.lineChange(event);
    }
  }

  /**
   * An edit, a delete or a reaction, in the words this client understands: REDACT for one that asked
   * for draft/message-redaction, a TAGMSG with +draft/react for one with message-tags; for the
   * others (and for edits, which IRC has no spec for), a notice to the channel saying what changed.
   */
  private lineChange(event: Extract<ServerEvent, { type: "edit" | "delete" | "react" }>): string {
    const tags = takesTags(ircView(this.c.caps));
    // A private line's ("@Sam"): named by whom it was sent to, as its PRIVMSG was (theirs to this nick, or this nick's to them).
    const target = !event.room.startsWith("@") ? event.room : foldName(event.of) === foldName(this.c.name) ? event.room.slice(1) : this.c.name;
    if (event.type === "delete" && this.c.caps.has(REDACTION_CAP)) {
      return this.tag(event.ts) + ircLine(mask(event.by), "REDACT", event.reason ? [target, String(event.id), event.reason] : [target, String(event.id)], event.reason !== undefined);
    }
    if (target !== event.room) return this.tag(event.ts) + ircLine(this.c.server, "NOTICE", [this.c.name, toText(event)], true);
    if (event.type === "react" && tags) {
      const which = event.on ? "+draft/react" : "+draft/unreact";
      return `${this.tag(event.ts).slice(0, -1)};${which}=${escapeTag(event.emoji)};+draft/reply=${escapeTag(String(event.id))} ${ircLine(mask(event.from), "TAGMSG", [event.room])}`;
    }
    const reply = tags ? `${this.tag(event.ts).slice(0, -1)};+draft/reply=${escapeTag(String(event.id))} ` : this.tag(event.ts);
    return reply + ircLine(this.c.server, "NOTICE", [event.room, toText(event)], true);
  }

  /** What a client is sent on joining: the topic and the names (with the JOIN before them). */
  roomState(name: string): string {
    const room = this.c.hub.room(name);
    if (!room) return "";
    // draft/read-marker: the channel's marker before the end of NAMES.
    const marker = this.c.caps.has(READ_MARKER_CAP) ? markreadLine(this.c.server, room.name, this.c.hub.find(this.c.name)?.markers?.get(room.name)) : "";
    return (room.topic ? this.topicLines(room) : "") + marker + this.namesLines(room);
  }

  /**
   * A room's last lines on joining it, dated in their text as the plain door dates them ("[14:02]",
   * "[2026-11-29 14:02]" before today), and with their times as tags for server-time. Both: irssi
   * asks for server-time but shows its own clock unless `/set show_server_time on`, so by default
   * every replayed line read as said the moment one joined.
   */
  replayLines(room: string, events: readonly HistoryLine[]): string {
    const now = this.c.now();
    const view = ircView(this.c.caps);
    let out = "";
    for (const e of events) {
      if (e.type === "topic") continue; // the topic itself follows the JOIN
      if (e.type === "private" || e.type === "private-sent") {
        // A kept conversation's: theirs to this nick, or this nick's to them, as they were said.
        const [from, to] = e.type === "private" ? [e.from, this.c.name] : [this.c.name, e.to];
        out += messageLines(view, from, to, `[${stamp(e.ts, now)}] ${e.text}${stateWords(e)}`, e, false);
        continue;
      }
      // As it is now: whom it answers (a tag, or "Ana: " for a client without), edited, its reactions.
      out += messageLines(view, e.from, room, `[${stamp(e.ts, now)}] ${addressed(e, view)}${stateWords(e)}`, e, e.type === "action", clientTags(e));
    }
    return out;
  }

  whoisLines(w: Extract<ServerEvent, { type: "whois" }>): string {
    if (!w.online) {
      return this.numeric(N.ERR_NOSUCHNICK, [w.name, w.registered ? "No such nick (a registered name, offline)" : "No such nick"]) + this.numeric(N.RPL_ENDOFWHOIS, [w.name, "End of /WHOIS list"]);
    }
    const member = this.c.hub.find(w.name);
    let out = this.numeric(N.RPL_WHOISUSER, [w.name, member ? userOf(member) : w.name, IRC_HOST, "*", member ? realnameOf(member) : w.name]);
    if (w.rooms && w.rooms.length > 0) {
      const ops = new Set(w.operator ?? []);
      out += this.numeric(N.RPL_WHOISCHANNELS, [w.name, w.rooms.map((r) => (ops.has(r) ? `@${r}` : r)).join(" ")]);
    }
    out += this.numeric(N.RPL_WHOISSERVER, [w.name, this.c.server, w.elsewhere ? "on another server of this bunchat cluster" : "bunchat"]);
    if (w.away !== undefined) out += this.numeric(N.RPL_AWAY, [w.name, w.away]);
    if (w.registered) out += this.numeric(N.RPL_WHOISACCOUNT, [w.name, w.name, "is logged in as"]);
    if (w.admin) out += this.numeric(N.RPL_WHOISOPERATOR, [w.name, "is a server admin"]);
    if (w.doors && w.doors.length > 1) out += this.numeric(N.RPL_WHOISSPECIAL, [w.name, `is connected ${w.doors.length} times: ${w.doors.map((d) => DOOR_WORDS[d]).join(", ")}`]);
    if (member && ircUserOf(member)?.bot) out += this.numeric(N.RPL_WHOISBOT, [w.name, "is a bot"]);
    if (w.idle !== undefined) {
      out += this.numeric(N.RPL_WHOISIDLE, [w.name, String(Math.floor(w.idle / 1000)), String(Math.floor((w.since ?? 0) / 1000)), "seconds idle, signon time"]);
    }
    return out + this.numeric(N.RPL_ENDOFWHOIS, [w.name, "End of /WHOIS list"]);
  }

  /** An error as IRC's numeric for it where there is one, else a NOTICE (closing ones: ERROR). */
  errorLines(e: ErrorEvent): string {
    const t = this.c.target;
    switch (e.code) {
      case "name-invalid":
        return ircLine(this.c.server, N.ERR_ERRONEUSNICKNAME, [this.c.name || "*", t, e.message], true);
      case "name-taken":
        return ircLine(this.c.server, N.ERR_NICKNAMEINUSE, [this.c.name || "*", t, e.message], true);
      case "unknown-user":
        return this.c.answering === "WHOIS" ? this.numeric(N.ERR_NOSUCHNICK, [t, e.message]) + this.numeric(N.RPL_ENDOFWHOIS, [t, "End of /WHOIS list"]) : this.numeric(N.ERR_NOSUCHNICK, [t, e.message]);
      case "already-in-room":
        return this.numeric(N.ERR_USERONCHANNEL, [t, "*", e.message]);
      case "not-in-room":
        return this.numeric(N.ERR_NOTONCHANNEL, [t, e.message]);
      case "room-invalid":
        return this.numeric(N.ERR_NOSUCHCHANNEL, [t, e.message]);
      case "too-many-rooms":
        return this.numeric(N.ERR_TOOMANYCHANNELS, [t, e.message]);
      case "not-allowed":
        return this.numeric(N.ERR_CHANOPRIVSNEEDED, [t.startsWith("#") ? t : (this.c.room?.name ?? t), e.message]);
      case "invite-only":
        return this.numeric(N.ERR_INVITEONLYCHAN, [t, `Cannot join channel (+i): ${e.message}`]);
      case "bad-key":
        return this.numeric(N.ERR_BADCHANNELKEY, [t, `Cannot join channel (+k): ${e.message}`]);
      case "room-full":
        return this.numeric(N.ERR_CHANNELISFULL, [t, `Cannot join channel (+l): ${e.message}`]);
      case "banned-from-room":
        return this.numeric(N.ERR_BANNEDFROMCHAN, [t, `Cannot join channel (+b): ${e.message}`]);
      case "unknown-command":
        return this.numeric(N.ERR_UNKNOWNCOMMAND, [this.c.answering || "?", e.message]);
      case "line-too-long":
        return this.numeric(N.ERR_INPUTTOOLONG, [`Input line was too long (bunchat takes ${LIMITS.maxLineBytes} bytes)`]);
      case "bad-encoding":
        return ircLine(this.c.server, "FAIL", ["*", "INVALID_UTF8", "Message rejected: it was not UTF-8"], true);
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
        return ircLine(this.c.server, "NOTICE", [this.c.name || "*", e.message], true);
    }
  }

  /** An event IRC has no reply for, as the plain-text lines nc users read, each a NOTICE. */
  asNotices(event: ServerEvent): string {
    return toText(event, false)
      .split("\n")
      .map((line) => ircLine(this.c.server, "NOTICE", [this.c.name || "*", flat(line) || " "], true))
      .join("");
  }
  /** What a note (Member.note) is as IRC lines: an AWAY (with away-notify), a MODE. */
  note(note: MemberNote): string {
    switch (note.type) {
      case "away":
        return this.away(note.name, note.reason);
      case "joined":
        // A JOIN line can't say that the joiner runs the room or is away: a MODE, then an AWAY.
        return (
          (note.op ? this.tag(this.c.now()) + ircLine(this.c.server, "MODE", [note.room.name, "+o", note.name]) : "") +
          (note.voiced ? this.tag(this.c.now()) + ircLine(this.c.server, "MODE", [note.room.name, "+v", note.name]) : "") +
          (note.away !== undefined ? this.away(note.name, note.away) : "")
        );
      case "roles":
        return this.modeLines(note.room, note.before, note.after, note.by) + this.inviteNotices(note.room, note.before, note.after);
      default:
        return unreachable(note);
    }
  }

  /** Someone sharing a room went away (reason) or came back: AWAY, for clients with away-notify. */
  private away(name: string, reason: string | undefined): string {
    if (!this.c.caps.has("away-notify")) return "";
    return this.tag(this.c.now()) + ircLine(mask(name), "AWAY", reason === undefined ? [] : [reason], true);
  }

  /**
   * A room's roles changed, as MODE lines from whoever changed them: IRC clients keep a channel's
   * modes, and who is "@" and "+", from MODE lines. One line for one change (+int, +ov a b), as
   * IRC daemons send it.
   */
  private modeLines(room: Room, before: RoomRoles, after: RoomRoles, by: string | undefined): string {
    const changes: ModeChange[] = [];
    for (const s of SETTINGS) {
      const [was, is] = [modeOn(s, before), modeOn(s, after)];
      const value = s.get(after);
      if (was !== is) changes.push({ plus: is, letter: s.letter, ...(s.takes === "key" ? { arg: is ? String(value) : "*" } : s.takes === "number" && is ? { arg: String(value) } : {}) });
      else if (is && s.takes !== "switch" && s.get(before) !== value) changes.push({ plus: true, letter: s.letter, arg: String(value) });
    }
    for (const name of room.names.all()) {
      const member = this.c.hub.find(name);
      if (!member) continue;
      const key = roleKey(member);
      if (runs(before, key) !== runs(after, key)) changes.push({ plus: runs(after, key), letter: "o", arg: name });
      const voiced = (r: RoomRoles) => r.voiced?.includes(key) === true;
      if (voiced(before) !== voiced(after)) changes.push({ plus: voiced(after), letter: "v", arg: name });
    }
    const now = this.c.now();
    const banned = (r: RoomRoles, key: string) => inForce(r.banned?.[key], now);
    for (const key of new Set([...Object.keys(before.banned ?? {}), ...Object.keys(after.banned ?? {})])) {
      const is = banned(after, key);
      if (banned(before, key) !== is) changes.push({ plus: is, letter: "b", arg: `${bannedName(is ? after : before, key)}!*@*` });
    }
    const source = by !== undefined ? mask(by) : this.c.server;
    let out = "";
    for (let i = 0; i < changes.length && i < 60; i += MODES_PER_LINE) {
      out += this.tag(now) + ircLine(source, "MODE", [room.name, ...modeParams(changes.slice(i, i + MODES_PER_LINE))]);
    }
    return out;
  }

  /** invite-notify: an invitation made to a room this client is in (not by it, not to it). */
  private inviteNotices(room: Room, before: RoomRoles, after: RoomRoles): string {
    if (!this.c.caps.has("invite-notify") || after.invites === undefined) return "";
    let out = "";
    for (const [key, invite] of Object.entries(after.invites)) {
      const earlier = before.invites?.[key];
      if (earlier !== undefined && earlier.at === invite.at) continue;
      if (invite.by === this.c.name || invite.name === this.c.name) continue;
      out += this.tag(invite.at) + ircLine(mask(invite.by), "INVITE", [invite.name, room.name]);
    }
    return out;
  }
}

/** WHO's WHOX form: the fields asked for ("%cnf") and the token to give back ("%tn,42"). */
export interface Whox {
  fields: string;
  token: string;
}

/** WHOX's fields, in the order its replies give them. */
const WHOX_FIELDS = "tcuihsnfdlaor";

/** WHO's second parameter as WHOX, if it is one: "%fields[,token]". */
export function parseWhox(param: string | undefined): Whox | undefined {
  const m = param === undefined ? null : /^%([a-z]*)(?:,(\d{1,3}))?$/.exec(param);
  return m ? { fields: m[1]!, token: m[2] ?? "0" } : undefined;
}

/** Channel modes as 004 and CHANMODES say them. */
const CHANNEL_MODES = `b${SETTINGS.map((s) => s.letter).join("")}`;
/** Mode changes a MODE line carries at most (ISUPPORT's MODES). */
const MODES_PER_LINE = 12;

/** One mode change: +o nick, -k *, +i. */
export interface ModeChange {
  plus: boolean;
  letter: string;
  arg?: string;
}

/** MODE's parameters for some changes: "+it-k+o", "*", "Sam". */
export function modeParams(changes: readonly ModeChange[]): string[] {
  let letters = "";
  let sign: boolean | undefined;
  const args: string[] = [];
  for (const c of changes) {
    if (c.plus !== sign) letters += c.plus ? "+" : "-";
    sign = c.plus;
    letters += c.letter;
    if (c.arg !== undefined) args.push(c.arg);
  }
  return [letters, ...args];
}

/** Text that may go in an IRC parameter: no line breaks, no NUL. */
export function flat(text: string): string {
  return text.replace(/[\r\n\0]+/g, " ");
}

/** ISUPPORT (005) tokens, a few per line. */
export function isupport(): string[][] {
  const tokens = [
    "AWAYLEN=100",
    "CASEMAPPING=ascii",
    `CHANNELLEN=${LIMITS.roomNameMaxLength + 1}`,
    "CHANMODES=b,k,l,imnst",
    "CHANTYPES=#",
    `KICKLEN=${LIMITS.reasonMaxLength}`,
    `MODES=${MODES_PER_LINE}`,
    "NETWORK=bunchat",
    `NICKLEN=${LIMITS.nameMaxLength}`,
    "PREFIX=(ov)@+",
    "TARGMAX=JOIN:10,PART:,PRIVMSG:4,NOTICE:4,NAMES:,KICK:1",
    `TOPICLEN=${LIMITS.topicMaxLength}`,
    `MONITOR=${MONITOR_LIMIT}`,
    "BOT=B",
    "STATUSMSG=@+",
    "UTF8ONLY",
    "WHOX",
    `CHATHISTORY=${CHATHISTORY_MAX}`,
    "MSGREFTYPES=msgid,timestamp",
  ];
  const lines: string[][] = [];
  for (let i = 0; i < tokens.length; i += 12) lines.push(tokens.slice(i, i + 12));
  return lines;
}

/** A member's user name as WHO and WHOIS show it: an IRC user's from USER, anyone else's nick. */
export function userOf(member: Member): string {
  const irc = ircUserOf(member);
  return irc?.username ? `~${irc.username}` : member.name;
}

/** A member's real name as WHO and WHOIS show it: an IRC user's from USER, anyone else's nick. */
function realnameOf(member: Member): string {
  return ircUserOf(member)?.realname || member.name;
}

/** What a member said of itself (its first IRC connection: USER, user mode +i); undefined for anyone else. */
function ircUserOf(member: Member): PeerUser | undefined {
  for (const d of member.devices) if (d instanceof Session && d.adapter.user) return d.adapter.user;
  return undefined;
}

/** A member with user mode +i: not shown by a WHO mask to those who share no room with it. */
export function isInvisible(member: Member): boolean {
  return ircUserOf(member)?.invisible === true;
}
