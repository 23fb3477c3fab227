// Every sentence the chat says, written once: what nc and telnet users read, what the terminal
// client shows and what the page shows (each styles it its own way: colours, the DOM).

import { COMMANDS } from "../protocol/commands.ts";
import { type Door, type FileRef, type HistoryLine, placeOf, type Unread, type LeaveReason, leftRoomOnly, type LineState, type Quote, type RoomInfo, type RoomSettings, type ServerEvent, type Topic, unreachable } from "../protocol/events.ts";
import { excerpt, sizeWords, webOrigin } from "../protocol/messages.ts";
import { WELCOME_NAMES } from "../protocol/limits.ts";

/** The commands a welcome shows: the everyday ones (/help lists them all). */
export const WELCOME_COMMANDS: readonly string[] = ["pm", "me", "join", "rooms", "users", "history", "search", "help", "quit"];

/**
 * Command help as aligned lines, shared by the text mode and the bundled client: every command,
 * or (`brief`) the everyday ones a welcome shows, then how to see the rest.
 */
export function helpLines(brief = false, more: readonly (readonly [string, string])[] = []): string[] {
  const shown = brief ? COMMANDS.filter((c) => WELCOME_COMMANDS.includes(c.name)) : COMMANDS;
  const width = Math.max(...shown.map((c) => c.usage.length), ...more.map(([what]) => what.length));
  return [
    `${"<text>".padEnd(width)}  send a message to everyone in your current room`,
    ...shown.map((c) => `${c.usage.padEnd(width)}  ${c.summary}`),
    ...more.map(([what, does]) => `${what.padEnd(width)}  ${does}`),
    ...(brief ? [`/help lists all ${COMMANDS.length} commands (/register, /whois, /topic, /nick, /away…)`] : []),
  ];
}

/** The answer to /help, or to /help <command>. */
export function helpBlock(command?: string): string[] {
  const spec = command === undefined ? undefined : COMMANDS.find((c) => c.name === command);
  if (spec) {
    const aliases = spec.aliases.length > 0 ? ` (also ${spec.aliases.map((a) => `/${a}`).join(", ")})` : "";
    const who: string[] = spec.who === "anyone" ? [] : [`  Who may: ${WHO_WORDS[spec.who]}${"showsToAnyone" in spec && spec.showsToAnyone ? " (anyone may look, without words)" : ""}.`];
    return [`${spec.usage}${aliases}: ${spec.summary}.`, `  ${spec.about}`, ...who, `  Example: ${spec.example}`];
  }
  return ["Commands:", ...helpLines().map((l) => `  ${l}`), "  //text  send a message that starts with /"];
}


/** Who may run a command, as /help says it (the command table's "who"). */
const WHO_WORDS = {
  operators: "the operators of your current room, and server admins",
  owners: "the owner of your current room (in a room a guest made, its operators), and server admins",
  admins: "server admins",
} as const;

/** What a list of who is online says: the names shown, and how many there are in all. */
export interface UsersList {
  users: readonly string[];
  away?: Readonly<Record<string, string>>;
  /** Everyone in the list, shown or not (default: those shown). */
  count?: number;
  awayCount?: number;
  prefix?: string;
}

/**
 * "Online (N): …" for the welcome and /users *, "In #dev (N): …" for /users in a room, with "and K
 * more" when not everyone is shown.
 */
export function usersLine(list: UsersList & { room?: string }, limit = Number.POSITIVE_INFINITY): string {
  const away = list.away ?? {};
  const shown = list.users.slice(0, limit).map((name) => (name in away ? `${name} (away: ${away[name]})` : name));
  const count = Math.max(list.count ?? 0, list.users.length);
  const where = list.room === undefined ? "online" : `in ${list.room}`;
  if (list.prefix !== undefined && count === 0) return `Nobody ${where} has a name starting with "${list.prefix}".`;
  const more = count - shown.length;
  const awayNote = list.awayCount ? `; ${list.awayCount} away` : "";
  const tail = more > 0 ? ` and ${more} more${awayNote} (/users <start of a name> finds someone)` : "";
  const title = list.room === undefined ? "Online" : `In ${list.room}`;
  const starting = list.prefix === undefined ? "" : `, starting with "${list.prefix}"`;
  return `${title}${starting} (${count}): ${shown.join(", ")}${tail}`;
}

/** "Topic: … (set by Sam)". */
export function topicLine(topic: Topic): string {
  return `Topic: ${topic.text} (set by ${topic.by})`;
}

/** The /rooms reply: a line per room, with its members and topic. */
export function roomsLines(event: { rooms: readonly RoomInfo[]; count: number; prefix?: string }): string {
  if (event.count === 0) {
    return event.prefix === undefined ? "No rooms." : `No room starts with "${event.prefix}".`;
  }
  const starting = event.prefix === undefined ? "" : `, starting with "${event.prefix}"`;
  const width = Math.max(...event.rooms.map((r) => r.name.length));
  const lines = event.rooms.map(
    (r) =>
      `  ${r.name.padEnd(width)}  ${String(r.count).padStart(5)} ${r.count === 1 ? "user " : "users"}${r.unread && r.unread.count > 0 ? `  [${unreadWords(r.unread)}]` : ""}${r.settings ? `  (${settingsWords(r.settings)})` : ""}${r.topic ? `  ${r.topic}` : ""}`,
  );
  const more = event.count - event.rooms.length;
  if (more > 0) lines.push(`  and ${more} more (/rooms <start of a name> finds one)`);
  return [`Rooms${starting} (${event.count}):`, ...lines].join("\n");
}

/** "3 unread, 1 mentions you" ("200+ unread" past the lines counted). */
export function unreadWords(u: Unread): string {
  const mentions = u.mentions === 0 ? "" : `, ${u.mentions} ${u.mentions === 1 ? "mentions" : "mention"} you`;
  return `${u.count}${u.more ? "+" : ""} unread${mentions}`;
}

/** After the welcome, what is unread in one's rooms: "-- Unread: #dev 12 unread, 1 mentions you; #ops 3 unread." (undefined: nothing). */
export function unreadSummary(event: Extract<ServerEvent, { type: "markers" }>): string | undefined {
  const rooms = Object.entries(event.unread ?? {}).filter(([, u]) => u.count > 0);
  if (rooms.length === 0) return undefined;
  return `-- Since you last read them: ${rooms.map(([room, u]) => `${room} ${unreadWords(u)}`).join("; ")}.`;
}

/** Whom a line for some of a room is for, in words ("Sam (to operators): …"). */
export const ONLY_WORDS = { operators: "operators", voiced: "voiced and operators" } as const;

/** A room's settings in words: "invite-only, key, limit 20" (the key itself where it is given). */
export function settingsWords(s: RoomSettings): string {
  const words: string[] = [];
  if (s.inviteOnly) words.push("invite-only");
  if (s.secret) words.push("secret");
  if (s.keyed) words.push(s.key !== undefined ? `key ${s.key}` : "key");
  if (s.limit !== undefined) words.push(`limit ${s.limit}`);
  if (s.moderated) words.push("moderated");
  if (s.topicLocked) words.push("topic-lock");
  if (s.external) words.push("external");
  return words.join(", ");
}

/** "a, b, c and 7 more": the names shown, and how many of `count` were not. */
export function andMore(shown: readonly string[], count: number): string {
  const more = count - shown.length;
  return more > 0 ? `${shown.join(", ")} and ${more} more` : shown.join(", ");
}

/** How a leave reason reads in a sentence. */
export const LEAVE_WORDS: Record<LeaveReason, string> = {
  quit: "quit",
  disconnected: "disconnected",
  parted: "parted",
  removed: "kicked",
  kicked: "kicked from the server",
  "too-slow": "dropped: not reading",
  "timed-out": "timed out",
  flooding: "dropped: flooding",
  "server-stopped": "their server was stopped",
  "server-lost": "their server stopped answering",
  "server-restarted": "their server restarted",
};

/** "quit", or "parted: see you" for a /part with a message. */
export function leaveWords(user: { reason: LeaveReason; message?: string }): string {
  // "kicked by Ana: spamming", "kicked from the server by Sam: spamming"
  if ((user.reason === "kicked" || user.reason === "removed") && user.message) return `${LEAVE_WORDS[user.reason]} ${user.message}`;
  return user.message ? `${LEAVE_WORDS[user.reason]}: ${user.message}` : LEAVE_WORDS[user.reason];
}

/**
 * How a leave reads after "left #dev": nothing for a plain /part, ": see you" for one with a
 * message, " (kicked by Ana)" for an operator's kick.
 */
function partWords(user: { reason: LeaveReason; message?: string }): string {
  if (user.reason === "removed") return ` (${leaveWords(user)})`;
  return user.message ? `: ${user.message}` : "";
}

/** The first line of a sentence: what a client shows of an answer whose other lines it shows its own way. */
export function firstLine(text: string): string {
  return text.split("\n", 1)[0] ?? "";
}

/**
 * The human-readable form of an event: what an nc user sees. `tagged`: the event is from a room
 * other than the reader's current one, so it says which.
 */
export function toText(event: ServerEvent, tagged = false): string {
  const tag = tagged && "room" in event && event.room !== undefined ? `[${event.room}] ` : "";

  switch (event.type) {
    case "hello":
      return `Welcome to bunchat ${event.server}.`;
    case "ask-password":
      return "This server needs a password:";
    case "ask-name":
      return "Enter your username:";
    case "ask-login":
      return event.unencrypted
        ? `${event.name} is a registered name. Password (this server has no TLS: it travels unencrypted; an empty line picks another name):`
        : `${event.name} is a registered name. Password:`;
    case "welcome":
      return [
        `Hi ${event.name}, you are in. Type a line and press Enter to send it to everyone.`,
        ...helpLines(true).map((l) => `  ${l}`),
        ...(event.topic ? [topicLine(event.topic)] : []),
        usersLine({ ...event, room: undefined }, WELCOME_NAMES), // "Online (N)", as it always read
      ].join("\n");
    case "public":
      // A bot's line: "deploy (bot): text", which no user's line can look like (names hold no space).
      return said(`${tag}${event.from}${event.bot ? " (bot)" : ""}${event.only ? ` (to ${ONLY_WORDS[event.only]})` : ""}${event.reply ? quoteWords(event.reply) : ""}: `, event);
    case "private":
      return said(`[pm from ${event.from}] `, event);
    case "private-sent":
      return said(`[pm to ${event.to}${event.elsewhere ? ", from another of your connections" : ""}] `, event);
    case "typing":
      // Never sent to a plain-text connection; the words for a client that wants them.
      return `-- ${event.from} ${event.state === "active" ? "is typing" : event.state === "paused" ? "stopped typing for now" : "is not typing any more"}${event.room ? ` in ${event.room}` : " to you"}.`;
    case "invite":
      return `-- ${event.from} invites you to ${event.room}: /join ${event.room} to go there.`;
    case "invite-sent":
      return `-- You invited ${event.to} to ${event.room}.`;
    // Coming into and leaving the chat read as the chat's; joining and leaving one room name it.
    case "join":
      return `--> ${event.name} joined ${event.arrived ? "the chat" : event.room}`;
    case "leave":
      return leftRoomOnly(event.reason)
        ? `<-- ${event.name} left ${event.room}${partWords(event)}`
        : `<-- ${event.name} left the chat (${leaveWords(event)})`;
    case "joins":
      return `--> ${event.count} joined ${event.arrived ? "the chat" : event.room}: ${andMore(event.names, event.count)}`;
    case "leaves": {
      // A batch is all of one kind (presence.ts): leaves of the room, or of the chat.
      const room = event.users.length > 0 && event.users.every((u) => leftRoomOnly(u.reason));
      return room
        ? `<-- ${event.count} left ${event.room}: ${andMore(
            event.users.map((u) => `${u.name}${partWords(u)}`),
            event.count,
          )}`
        : `<-- ${event.count} left the chat: ${andMore(
            event.users.map((u) => `${u.name} (${leaveWords(u)})`),
            event.count,
          )}`;
    }
    case "users":
      return usersLine(event);
    case "action":
      return said(`${tag}* ${event.from}${event.reply ? quoteWords(event.reply) : ""} `, event);
    case "edit":
      return hung(`${tag}-- ${event.by} edited ${whose(event.by, event.of)} line from ${stamp(event.at, event.ts)}${privately(event.room)}: `, event.text);
    case "delete":
      return `${tag}-- ${event.by} deleted ${whose(event.by, event.of)} line from ${stamp(event.at, event.ts)}${privately(event.room)}${event.reason ? ` (${event.reason})` : ""}.`;
    case "react":
      return `${tag}-- ${event.from} ${event.on ? "reacted" : "took back"} ${event.emoji} ${event.on ? "to" : "from"} ${whose(event.from, event.of)} line from ${stamp(event.at, event.ts)} ("${event.excerpt}")${event.count > 1 ? ` (${event.count} now)` : ""}`;
    case "tagmsg":
      return ""; // for IRC clients only (the hub hands it to no one else)
    case "marker":
      return event.at === null ? `-- You have no read marker in ${event.target}.` : `-- ${event.target} is read up to ${utcMinute(event.at)} UTC.`;
    case "markers":
    case "session":
      return ""; // for structured clients (the server sends them to no one else)
    case "sessions":
      return event.sessions.length === 0
        ? "-- You have no page sessions: the page asks for your password when it loads."
        : [
            `-- Your page sessions (${event.sessions.length}); /logout <id> signs one out, /logout all every one:`,
            ...event.sessions.map((s) => `   ${s.id}  since ${utcMinute(s.created)} UTC, last used ${utcMinute(s.used)} UTC, until ${utcMinute(s.expires)} UTC${s.current ? " (this one)" : ""}`),
          ].join("\n");
    case "reactions":
      return event.reactions.length === 0
        ? `-- Nobody has reacted to ${event.of}'s line "${event.excerpt}".`
        : `-- Reactions to ${event.of}'s line "${event.excerpt}": ${event.reactions.map((r) => `${r.emoji} ${r.names.join(", ")}`).join("; ")}`;
    case "room":
      return [
        event.elsewhere
          ? `--> You are in ${event.room} too (from another of your connections); /join ${event.room} to send your lines there.`
          : event.joined
            ? `--> You joined ${event.room}; your lines go there now.`
            : `-- Your lines go to ${event.room} now.`,
        ...(event.topic ? [topicLine(event.topic)] : []),
        ...(event.settings ? [`-- ${event.room} is ${settingsWords(event.settings)} (/room shows what that means).`] : []),
        usersLine(event, WELCOME_NAMES),
      ].join("\n");
    case "settings": {
      const words = settingsWords(event.settings);
      return `${tag}-- ${event.room} ${words === "" ? "is a public room" : `is ${words}`}.`;
    }
    case "parted":
      if (event.elsewhere) return `<-- You left ${event.room} from another of your connections${event.current ? `; your lines go to ${event.current}` : ", and you are in no room now: /join a room to talk"}.`;
      return event.current
        ? `<-- You left ${event.room}; your lines go to ${event.current} now.`
        : `<-- You left ${event.room}, and you are in no room now: /join a room to talk.`;
    case "topic":
      return event.text === ""
        ? `${tag}--- ${event.by} cleared the topic`
        : `${tag}--- ${event.by} set the topic: ${event.text}`;
    case "topic-is":
      return event.topic
        ? `-- ${event.room}: ${topicLine(event.topic)}`
        : `-- ${event.room} has no topic. /topic <text> sets one.`;
    case "rooms":
      return roomsLines(event);
    case "history":
      return historyText(event);
    case "search":
      return event.events.length === 0
        ? `-- No line in your rooms or conversations has "${event.query}".`
        : [
            `-- ${event.events.length === 1 ? "1 line has" : `${event.events.length} lines have`} "${event.query}", newest first:`,
            ...event.events.map((e) => `[${placeOf(e)} ${stamp(e.ts, event.ts)}] ${toText(e)}`),
          ].join("\n");
    case "whois":
      return whoisText(event);
    case "rename":
      return `--- ${event.from} is now known as ${event.to}`; // not "* …": /me could write that
    case "away":
      return event.reason === null ? "You are back." : `You are marked as away: ${event.reason}`;
    case "away-notice":
      return `${event.name} is away: ${event.reason}`;
    case "help":
      return helpBlock(event.command).join("\n");
    case "notice":
      return `-- ${event.text}`;
    case "pong":
      return `pong ${event.token}`;
    case "ping":
      return "ping";
    case "error":
      return `! ${event.message}`;
    case "bye":
      return event.name ? `Goodbye, ${event.name}!` : "Goodbye!";
    case "shutdown":
      return "!! The server is shutting down. Goodbye!";
    case "upload":
      // For nc: the command that uploads (the bundled client and the page send the file themselves).
      return `-- You may share one file (at most ${sizeWords(event.maxBytes)}) in ${event.room} within ${Math.round((event.until - event.ts) / 60_000)} minutes: curl -F file=@<path> -H 'Authorization: Bearer ${event.token}' ${webOrigin(event.tls, event.host ?? "<this server>", event.port)}${event.path}`;
    case "file-key":
      return ""; // for structured clients only
    default:
      return unreachable(event);
  }
}

/** "their" when someone acts on their own line, else "Sam's". */
function whose(by: string, of: string): string {
  return by === of ? "their" : `${of}'s`;
}

/** What a reply shows of the line it answers: ` (re Sam "the build is…")`, or that it is gone. */
export function quoteWords(reply: Quote | undefined): string {
  if (!reply) return "";
  return reply.from === undefined ? " (re a line no longer kept)" : ` (re ${reply.from} "${excerpt(reply.text ?? "")}")`;
}

/** What a line shown again carries: ` (edited)`, and its reactions ` [👍 2, 🎉 1]`. */
export function stateWords(event: LineState): string {
  const edited = event.edited !== undefined ? " (edited)" : "";
  const reactions = event.reactions?.length ? ` [${event.reactions.map((r) => `${r.emoji} ${r.names.length}`).join(", ")}]` : "";
  return edited + reactions;
}

/** "2026-11-30 14:02": a time as the server's answers write it, in UTC. */
export function utcMinute(ts: number): string {
  return new Date(ts).toISOString().slice(0, 16).replace("T", " ");
}

/** A connection's door, as /whois says it. */
export const DOOR_WORDS: Record<Door, string> = { tcp: "bunchat's port (nc, the terminal client)", irc: "IRC", web: "the web page" };

/** The /whois answer: who, registered or not, since when, idle, away, where. */
function whoisText(e: Extract<ServerEvent, { type: "whois" }>): string {
  const kind = e.registered ? "a registered name" : "a guest";
  if (!e.online) return `-- ${e.name} is ${kind}, not online now.`;
  const minutes = (ms: number) => (ms < 60_000 ? "under a minute" : `${Math.floor(ms / 60_000)} min`);
  return [
    `-- ${e.name} is ${kind}, online${e.elsewhere ? " on another server of the cluster" : ""}.`,
    ...(e.since !== undefined ? [`   here since ${utcMinute(e.since)} UTC`] : []),
    ...(e.idle !== undefined ? [`   idle ${minutes(e.idle)}`] : []),
    ...(e.away !== undefined ? [`   away: ${e.away}`] : []),
    ...(e.rooms ? [`   in ${e.rooms.length === 0 ? "no room" : e.rooms.map((r) => (e.settings?.[r] ? `${r} (${settingsWords(e.settings[r])})` : r)).join(", ")}`] : []),
    ...(e.doors && e.doors.length > 1 ? [`   connected ${e.doors.length} times: ${e.doors.map((d) => DOOR_WORDS[d]).join(", ")}`] : []),
    ...(e.admin ? ["   a server admin"] : []),
    ...(e.operator && e.operator.length > 0 ? [`   operator of ${e.operator.join(", ")}`] : []),
  ].join("\n");
}

/** A block of earlier lines between markers, each with its time. */
function historyText(event: Extract<ServerEvent, { type: "history" }>): string {
  const n = event.events.length;
  // A private conversation's ("@Sam"): "with Sam".
  const where = event.room.startsWith("@") ? `with ${event.room.slice(1)}` : `in ${event.room}`;
  const lines = n === 1 ? "1 line" : `${n} lines`;
  if (event.after !== undefined) {
    // What came after a line this connection had: newer, not earlier.
    if (n === 0) return `-- Nothing new ${where}.`;
    const last = event.events[n - 1]!.id;
    return [`--- ${lines} ${where} since you were last sent one ---`, ...event.events.map((e) => keptLine(e, event.ts)), `--- end of new lines${event.more ? ` (/history ${event.room.startsWith("@") ? event.room.slice(1) : event.room} after ${last} for more)` : ""} ---`].join("\n");
  }
  if (n === 0) return `-- No earlier lines ${where}.`;
  return [
    event.since === undefined
      ? `--- ${n === 1 ? "1 earlier line" : `${n} earlier lines`} ${where} ---`
      : `--- ${lines} ${where} since you last read it (${stamp(event.since, event.ts)}) ---`,
    ...event.events.map((e) => keptLine(e, event.ts)),
    `--- end of earlier lines${event.more ? " (/history for more)" : ""} ---`,
  ].join("\n");
}

/** How a line shows the file it shares to those who read text: its name (unless the line's text is it) and size, and how to get its link. */
export function fileWords(file: FileRef, text: string): string {
  return ` [file: ${file.name === text ? "" : `${file.name}, `}${sizeWords(file.size)}: /file ${file.id} for its link]`;
}

/** "[14:02] Sam: hi": a line from history as text (a message's further lines under its first's text). */
export function keptLine(event: HistoryLine, now: number): string {
  const time = `[${stamp(event.ts, now)}] `;
  const line = toText(event);
  return time + (line.includes("\n") ? line.replaceAll("\n", `\n${" ".repeat(time.length)}`) : line);
}

/** A line's text after `head` ("Sam: "), with what it carries (edited, reactions) after it. */
function said(head: string, event: { text: string } & LineState): string {
  return hung(head, event.text) + (event.file ? fileWords(event.file, event.text) : "") + (event.edited !== undefined || event.reactions ? stateWords(event) : "");
}

/** How far a message's further lines are indented under a head this wide: to its text, between 2 and 32 columns. */
export function hangIndent(headWidth: number): number {
  return Math.max(2, Math.min(32, headWidth));
}

/**
 * `text` after `head`, its further lines (a message of several) each indented under its first
 * line's text: "Sam: one\n     two". Each starts with spaces, as no line of the server's or of
 * another user's does, so none can pass for one.
 */
export function hung(head: string, text: string): string {
  if (!text.includes("\n")) return head + text;
  const indent = " ".repeat(hangIndent([...head].length));
  return head + text.replaceAll("\n", `\n${indent}`);
}

/** " (private, with Sam)" for a line of a private conversation ("@Sam"); "" for a room's. */
function privately(room: string): string {
  return room.startsWith("@") ? ` (private, with ${room.slice(1)})` : "";
}

/** "14:02" for a time of the same day as `now` (local time), "2026-11-29 14:02" for an earlier one. */
export function stamp(ts: number, now: number): string {
  const d = new Date(ts);
  const today = new Date(now);
  const pad = (n: number) => String(n).padStart(2, "0");
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const sameDay =
    d.getFullYear() === today.getFullYear() && d.getMonth() === today.getMonth() && d.getDate() === today.getDate();
  return sameDay ? time : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}
