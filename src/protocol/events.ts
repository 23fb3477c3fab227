// Everything the server tells a client. Each event is encoded once per mode (src/render/codec.ts).

/**
 * How a connection is written to: plain text, JSON lines, or IRC: without tags, with server-time's
 * ("irc-time"), or with every tag (message-tags: "irc-tags", the time, a line's msgid, clients' tags).
 */
export type Mode = "text" | "json" | IrcView;
/**
 * IRC's ways: without tags, with server-time's, with every tag (message-tags), or with every tag
 * and messages of several lines as draft/multiline batches.
 */
export type IrcView = "irc" | "irc-time" | "irc-tags" | "irc-multiline";

/** Whether a way of writing takes every tag (message-tags). */
export function takesTags(mode: Mode): boolean {
  return mode === "irc-tags" || mode === "irc-multiline";
}

/**
 * How a recipient sees an event: in its mode, and in plain text "tagged" when the event is from a
 * room other than its current one (`[#dev] Sam: hi`).
 */
export type View = Mode | "tagged";

/**
 * quit: said goodbye · disconnected: the connection closed · too-slow: stopped reading, dropped ·
 * timed-out: stopped answering (dead network, suspended machine) · flooding: sent too much, dropped ·
 * server-stopped: their server (another node of a cluster) was stopped · server-lost: their server
 * stopped answering the cluster · server-restarted: their server died and was started again ·
 * parted: left this room with /part, still online · removed: put out of this room by one of its
 * operators (/kick), still online · kicked: put out of the chat by a server admin (/kick; the
 * leave's message says by whom and why). parted and removed are a room's; the others mean the user
 * left the chat, and a leave of the chat reaches each person once, from one room they shared.
 */
export const LEAVE_REASONS = [
  "parted",
  "removed",
  "kicked",
  "quit",
  "disconnected",
  "too-slow",
  "timed-out",
  "flooding",
  "server-stopped",
  "server-lost",
  "server-restarted",
] as const;
export type LeaveReason = (typeof LEAVE_REASONS)[number];

/** Whether `v` is a leave reason this version knows. */
export function isLeaveReason(v: unknown): v is LeaveReason {
  return typeof v === "string" && (LEAVE_REASONS as readonly string[]).includes(v);
}

export type ErrorCode =
  | "name-invalid" // the username breaks a rule; choose another
  | "name-taken" // someone online already has that name (ignoring case)
  | "not-registered" // a command before choosing a name
  | "line-too-long" // an input line over the limit; it was dropped
  | "bad-encoding" // an input line that is not UTF-8; it was dropped
  | "no-newline" // 16 KiB without a newline: not a line client; the connection closes
  | "unfinished-line" // part of a line waited 60 s for its newline; it was dropped
  | "wrong-protocol" // HTTP or TLS on the plain port; the connection closes
  | "slow-down" // lines over the rate: they are delayed, in order
  | "excess-flood" // too many lines waiting; the connection closes
  | "too-many-attempts" // too many refused names; the connection closes
  | "too-many-devices" // a login to a registered name already online from --max-devices connections
  | "session-expired" // /resume with a session that no longer signs in (expired, signed out, password changed)
  | "bad-password" // wrong server password; the connection closes
  | "ping-timeout" // no answer to the server's ping; the connection closes
  | "too-slow" // output for you piled up past a limit while you read nothing; the connection closes
  | "unknown-command"
  | "bad-usage" // a command without what it needs
  | "unknown-user" // /pm to someone not online, /reply with no one to reply to
  | "unreachable" // /pm to someone on another server of the cluster while it can't be reached
  | "bad-hello" // a structured hello the server can't accept
  | "room-invalid" // a room name that breaks the rules
  | "not-in-room" // /part of a room you are not in, or a line while you are in no room
  | "already-in-room" // /invite of someone who is in that room already
  | "too-many-rooms" // --max-rooms-per-user reached for you, or --max-rooms on the server
  | "topic-too-long"
  | "no-history" // /history or /search on a server that keeps none
  | "login-failed" // a wrong password for a registered name (asked again), or for /passwd, /unregister
  | "name-registered" // /register of a name that is registered already
  | "no-accounts" // /register, /passwd, /unregister on a server that keeps no accounts
  | "server-busy" // too many logins being checked at once; try again in a moment
  | "not-allowed" // a moderation command from someone who may not use it, or on someone it can't touch
  | "unknown-line" // /answer, /edit, /delete, /react of a line there is not (or that you can't see)
  | "invite-only" // /join of an invite-only or secret room without an invitation
  | "bad-key" // /join of a room with a key, without it or with a wrong one
  | "room-full" // /join of a room at its member limit
  | "banned-from-room" // /join of a room whose operators banned you
  | "kicked" // a server admin put you out (/kick); the connection closes
  | "banned" // this name or your network is banned from the server (/ban); the connection closes
  | "registration-timeout" // no name chosen in time; the connection closes
  | "server-full" // --max-clients reached; the connection closes
  | "too-many-connections" // --max-per-ip reached for this address, or --max-per-net for its network; the connection closes
  | "connecting-too-fast"; // --connect-rate exceeded by this address; the connection closes

/** The ways in: bunchat's own port (nc, telnet, the bundled client), the IRC door, a WebSocket (the browser). */
export type Door = "tcp" | "irc" | "web";

export type ServerEvent =
  | {
      type: "hello";
      server: string;
      proto: number;
      maxLineBytes: number;
      /** A message of several lines (`{"type":"line"}`): at most this many bytes and lines; absent from an older server (one line only). */
      maxMessageBytes?: number;
      maxMessageLines?: number;
      nameMaxLength: number;
      /** Lines a client may send at once, then per second; 0 when flood control is off. */
      burstLines: number;
      linesPerSecond: number;
      /** Whether an ask-password comes before ask-name. */
      password: boolean;
    }
  | { type: "ask-password" }
  | { type: "ask-name" }
  /**
   * The name chosen is registered: its password, please (an empty line: choose another name).
   * `unencrypted`: this connection is not TLS, so the password travels in the clear (said once).
   */
  | { type: "ask-login"; name: string; unencrypted?: boolean }
  | {
      /**
       * You are in, in `room` (the default room): who is in it, as /users lists it (in a big room the
       * first USERS_SHOWN, with counts), and its topic.
       */
      type: "welcome";
      name: string;
      room: string;
      /** Every room you are in (for now the default room). */
      rooms: readonly string[];
      topic?: Topic;
      users: readonly string[];
      away?: Readonly<Record<string, string>>;
      /** Everyone online, listed or not (default: those listed). */
      count?: number;
      awayCount?: number;
    }
  /** `notice`: said as an IRC NOTICE (a bot's convention: no automatic reply to it). */
  /** `bot`: posted through the HTTP API with a bot's token (the name is the bot's, held for it). */
  /** `only`: for the room's operators (IRC's PRIVMSG @#room), or its voiced members and operators (+#room); never kept. */
  /**
   * `id`: the line's identity (MessageId), given when the server accepted it. `reply`: the line it
   * answers; `edited`: when its text was last changed; `reactions`: emoji on it (LineState).
   * `text` may hold newlines: a message of several lines. `concat`: offsets in `text` where an IRC
   * client's draft/multiline batch continued a line in a piece of its own, so that IRC clients get
   * the pieces it sent (never kept).
   */
  | ({ type: "public"; id: MessageId; room: string; from: string; text: string; ts: number; notice?: true; bot?: true; only?: Only; tags?: string; concat?: number[] } & LineState)
  /** `tags` (here and on public, action, private-sent): an IRC client's own tags on the line (message-tags' "+…"), for IRC clients that take tags. */
  /** In history (a conversation's, `room` "@Sam"), with what is kept of it: whether it was edited, its reactions (LineState). */
  | ({ type: "private"; id: MessageId; from: string; text: string; ts: number; notice?: true; tags?: string } & LineState)
  /** `elsewhere`: sent from another connection of yours (another device), told to this one. */
  | ({ type: "private-sent"; id: MessageId; to: string; text: string; ts: number; notice?: true; tags?: string; elsewhere?: true } & LineState)
  /**
   * An IRC client's TAGMSG (tags and no text: a "+typing", a client's own kind of message) to a
   * room or to one user, for the IRC clients there that take tags; nobody else is shown it.
   */
  | { type: "tagmsg"; id: MessageId; room?: string; to?: string; from: string; tags: string; ts: number }
  /**
   * Someone is typing (`active`), stopped for a while (`paused`), or gave up (`done`): in `room`, or
   * (no room) in your private conversation with them. Never kept; not sent to plain-text
   * connections. Show it for TYPING_SHOWN_MS (6 s) after the last `active`, or until their line comes.
   */
  | { type: "typing"; id: MessageId; from: string; state: TypingState; room?: string; ts: number }
  /** Someone asks you to join a room they are in (/invite); you join it or not. */
  | { type: "invite"; from: string; room: string; ts: number }
  /** Your /invite reached them. */
  | { type: "invite-sent"; to: string; room: string }
  /** `arrived`: the user has just come into the chat (this is its first room), not online already. */
  | { type: "join"; room: string; name: string; arrived?: true; ts: number }
  /** `message`: what they said with /part. */
  | { type: "leave"; room: string; name: string; reason: LeaveReason; message?: string; ts: number }
  /** Several joined at once (a join storm): the first PRESENCE_NAMES names, and how many joined. */
  | { type: "joins"; room: string; names: readonly string[]; count: number; arrived?: true; ts: number }
  /** Several left at once: the first PRESENCE_NAMES with their reasons, and how many left. */
  | {
      type: "leaves";
      room: string;
      users: readonly { name: string; reason: LeaveReason; message?: string }[];
      count: number;
      ts: number;
    }
  | {
      /**
       * /users: everyone in `room` (everyone online without it: /users *), or in a big room the first
       * USERS_SHOWN; with a prefix, those whose name starts with it.
       */
      type: "users";
      room?: string;
      users: readonly string[];
      /** Away reasons of those in `users` who are away. */
      away?: Readonly<Record<string, string>>;
      /** How many there are in all (online, or matching the prefix): more than `users` holds when it is a summary. */
      count: number;
      /** How many of everyone online are away (without a prefix). */
      awayCount?: number;
      prefix?: string;
    }
  | ({ type: "action"; id: MessageId; room: string; from: string; text: string; ts: number; tags?: string; concat?: number[] } & LineState) // /me
  /**
   * A line of `room` (`id`, said by `of` at `at`) now reads `text`: `by` edited it (its sender).
   * History holds only the new text.
   */
  | { type: "edit"; room: string; id: MessageId; text: string; by: string; of: string; at: number; ts: number }
  /**
   * A line of `room` (`id`, said by `of` at `at`) is gone: `by` deleted it (its sender, one of the
   * room's operators, or a server admin), with `reason` if they gave one. Never shown again.
   */
  | { type: "delete"; room: string; id: MessageId; by: string; of: string; at: number; reason?: string; ts: number }
  /**
   * `from` put `emoji` on a line of `room` (`on`), or took it back: the line `id`, said by `of` at
   * `at`, starting `excerpt`. `count`: how many have that emoji on it now.
   */
  | { type: "react"; room: string; id: MessageId; emoji: string; from: string; on: boolean; count: number; of: string; at: number; excerpt: string; ts: number }
  /** /reactions: who put which emoji on a line (of `of`, at `at`, starting `excerpt`). */
  | { type: "reactions"; room: string; id: MessageId; of: string; at: number; excerpt: string; reactions: readonly Reaction[] }
  /**
   * You joined `room` (`joined`) or switched to it, a room you were in: plain lines now go there.
   * Who is in it as /users lists it, and its topic. `elsewhere`: you joined it from another
   * connection (or were in it when this one came): this one is in it too, its plain lines go where they went.
   */
  | {
      type: "room";
      room: string;
      joined: boolean;
      users: readonly string[];
      away?: Readonly<Record<string, string>>;
      count: number;
      awayCount?: number;
      topic?: Topic;
      settings?: RoomSettings;
      elsewhere?: true;
    }
  /**
   * The settings of a room you are in are now these (structured clients, to show them; everyone is
   * also told the change in words, as a notice).
   */
  | { type: "settings"; room: string; settings: RoomSettings }
  /** You left `room` (/part); `current` is where plain lines go now (none: you are in no room). */
  /** `kicked`: put out by an operator (by whom and why, "by Sam: spamming"), not a /part. `elsewhere`: you left it from another connection. */
  | { type: "parted"; room: string; current?: string; kicked?: string; elsewhere?: true }
  /** Someone set (text) or cleared ("") the topic of a room you are in. */
  | { type: "topic"; id: MessageId; room: string; text: string; by: string; ts: number }
  /** /topic without text: the current room's topic, if it has one. */
  | { type: "topic-is"; room: string; topic?: Topic }
  /** /rooms: the rooms (the first ROOMS_SHOWN), sorted by name, with a prefix those starting with it. */
  | { type: "rooms"; rooms: readonly RoomInfo[]; count: number; prefix?: string }
  /**
   * Earlier lines of `room`, oldest first, each as it was said (with its time): on joining it
   * (`why: "join"`, the last --history-on-join lines) or for /history (`why: "request"`). `more`:
   * older lines are kept too (/history shows them). `ts`: when this was sent (text mode writes the
   * date of lines from before that day). `since`: on joining, these are what was said since your
   * read marker (its time): up to 200 of them, rather than the last few. `after`: the answer to
   * `/history … after <id>`: the lines said after that one, oldest first (`more`: more after them).
   */
  | { type: "history"; room: string; why: "join" | "request"; events: readonly HistoryLine[]; more: boolean; ts: number; since?: number; after?: MessageId }
  /** /search: lines of your rooms and kept conversations holding every word of `query`, newest first (at most 20). */
  | { type: "search"; query: string; events: readonly HistoryLine[]; ts: number }
  /**
   * /whois: someone online (`online`), or a registered name that is not. `since`: when they came;
   * `idle`: ms since their last line; `node`: "another" when they are on another server.
   */
  | {
      type: "whois";
      name: string;
      online: boolean;
      registered: boolean;
      since?: number;
      idle?: number;
      away?: string;
      rooms?: readonly string[];
      elsewhere?: boolean;
      /** The doors of their connections to this server, one each ("tcp", "irc", "web"): several for a registered user on several devices. */
      doors?: readonly Door[];
      /** A server admin (--admin, logged in). */
      admin?: boolean;
      /** The rooms (of `rooms`) they own or operate. */
      operator?: readonly string[];
      /** The settings of those of `rooms` that have any (the key itself only to their members). */
      settings?: Readonly<Record<string, RoomSettings>>;
    }
  | { type: "rename"; from: string; to: string; ts: number } // /nick, to everyone including the renamed
  /**
   * Your read marker of `target` (a room, or `@name`: a private conversation) is `at` (the time of
   * the newest line read; null: none): the answer to /read, and to every other device of yours when
   * one of them moves it.
   */
  | { type: "marker"; target: string; at: number | null; elsewhere?: true }
  /**
   * The page signed in with a password: a session for its next load (`/resume <token>` at the name
   * question signs in as the same user). `token` is shown this once; `expires`: when it stops
   * signing in unless used before (each use moves it 30 days on).
   */
  | { type: "session"; id: string; token: string; expires: number }
  /** /sessions: your page sessions (`current`: the one this connection signed in with). */
  | { type: "sessions"; sessions: readonly { id: string; created: number; used: number; expires: number; current?: true }[] }
  /**
   * Your read markers, after the welcome: target -> time (registered names: kept; a guest's: of
   * this stay), and what is unread in each of your rooms that has one.
   */
  | { type: "markers"; markers: Readonly<Record<string, number>>; unread?: Readonly<Record<string, Unread>> }
  | { type: "away"; reason: string | null } // to yourself: /away (reason) or /back (null)
  | { type: "away-notice"; name: string; reason: string } // your /pm reached someone who is away
  | { type: "help"; command?: string }
  | { type: "notice"; text: string; ts: number } // from the server to everyone here (cluster reachable or not)
  /**
   * /upload's answer: a ticket for one upload to `room`, good until `until`: POST the file
   * (multipart/form-data, field "file") to `path` on the web door (`port`, TLS if `tls`) with
   * `Authorization: Bearer <token>`; at most `maxBytes`.
   */
  | { type: "upload"; room: string; path: string; token: string; port: number; tls: boolean; host?: string; maxBytes: number; until: number; ts: number }
  /**
   * After the welcome, to a structured client of a server that keeps files: the key its links
   * carry (/files/<id>/<name>?k=<key>) on the web door (`port`, `tls`), good until `until`.
   */
  | { type: "file-key"; key: string; port: number; tls: boolean; until: number }
  | { type: "pong"; token: string }
  | { type: "ping" } // structured clients only: answer with any line (an empty one is ignored)
  | { type: "error"; code: ErrorCode; message: string }
  | { type: "bye"; name: string } // name is "" when leaving before choosing one
  | { type: "shutdown" };

/**
 * A line's identity: given by the server when it accepts the line (room lines, actions, topics,
 * bots' posts, private messages), unique on the server and across a cluster, and increasing within
 * a room in the order its history holds the lines. One server numbers lines (a number: a row of
 * its file); a cluster's ids are strings (`<ms>-<n>`). Clients compare them for equality only.
 * (A number rather than the same number as a string: a string made for every line and held with
 * it in memory cost a 10-user burst a fifth of its CPU.)
 */
export type MessageId = number | string;

/** A message id as a client or a cluster sends it: a line number, or a cluster's `<ms>-<n>`; undefined if it is neither. */
export function messageIdOf(v: unknown): MessageId | undefined {
  if (typeof v === "number") return Number.isSafeInteger(v) && v > 0 ? v : undefined;
  if (typeof v !== "string") return undefined;
  if (/^[1-9][0-9]{0,15}$/.test(v)) return Number(v);
  return /^[0-9]{1,16}-[\w.]{1,40}$/.test(v) ? v : undefined;
}

/** What a room line carries besides what was said: what it answers, whether it was edited, its reactions, the file it shares. */
export interface LineState {
  reply?: Quote;
  edited?: number;
  reactions?: readonly Reaction[];
  file?: FileRef;
}

/**
 * A file a line shares: its id (in its link: /files/<id>/<name>?k=<key>), name, size in bytes, and
 * the type the server serves it as (an image it shows: image/png, jpeg, gif, webp; else
 * application/octet-stream, a download).
 */
export interface FileRef {
  id: string;
  name: string;
  size: number;
  type: string;
}

/**
 * The line a reply answers, as shown with it: its id, and who said it and how it starts (QUOTE_CHARS
 * characters) unless it is gone (deleted, or older than history keeps).
 */
export interface Quote {
  id: MessageId;
  from?: string;
  text?: string;
}

/** One emoji on a line, and who put it there, first first. */
export interface Reaction {
  emoji: string;
  names: readonly string[];
}

/** Who in a room a line is for: its operators, or its voiced members and operators. */
export type Only = "operators" | "voiced";

/** What a typing notice says (IRC's +typing values). */
export type TypingState = "active" | "paused" | "done";

/** What history keeps of a room: its lines, actions and topics. */
export type KeptEvent = Extract<ServerEvent, { type: "public" | "action" | "topic" }>;

/** A kept private message as one of its two participants is shown it: theirs to you, or yours to them. */
export type PrivateLine = Extract<ServerEvent, { type: "private" | "private-sent" }>;

/**
 * A line of history: a room's (its `room`), or of a private conversation (in a `history` whose `room`
 * is "@" and the other's name, "@Sam"; in a `search`, by `from` or `to`).
 */
export type HistoryLine = KeptEvent | PrivateLine;

/** Where a line of history was said: its room, or "@" and the other's name for a private one. */
export function placeOf(e: HistoryLine): string {
  return e.type === "private" ? `@${e.from}` : e.type === "private-sent" ? `@${e.to}` : e.room;
}

/** A room's topic: its text, who set it and when. */
export interface Topic {
  text: string;
  by: string;
  ts: number;
}

/** A room as /rooms lists it. */
export interface RoomInfo {
  name: string;
  count: number;
  topic?: string;
  settings?: RoomSettings;
  /** A room you are in with a read marker: what is unread in it (Unread). */
  unread?: Unread;
}

/**
 * What is unread in a room: lines of others after your read marker (`count`), those of them that
 * mention you (`mentions`), and `more`: the count stopped at the lines looked through (200).
 */
export interface Unread {
  count: number;
  mentions: number;
  more?: true;
}

/**
 * Who may come into a room and speak there (/room; IRC's channel modes). Empty: a public room.
 * `key` itself is shown to its members only; anyone sees `keyed`.
 */
export interface RoomSettings {
  inviteOnly?: true;
  secret?: true;
  keyed?: true;
  key?: string;
  limit?: number;
  moderated?: true;
  topicLocked?: true;
  /** Anyone online may send it lines without joining (IRC's -n). */
  external?: true;
}

export type EventType = ServerEvent["type"];
export type ErrorEvent = Extract<ServerEvent, { type: "error" }>;

/** The first line a structured client sends, to choose JSON mode. */
export interface ClientHello {
  type: "hello";
  proto: number;
  client?: string;
  /** Its own lines come back to it, with their ids (to answer, edit or delete them). */
  echo?: boolean;
}

/** Whether a leave is of one room only (the user is still online), not of the chat. */
export function leftRoomOnly(reason: LeaveReason): boolean {
  return reason === "parted" || reason === "removed";
}

/** For the default of a switch that names every case: the compiler refuses one left out. */
export function unreachable(value: never): never {
  throw new Error(`unhandled event: ${JSON.stringify(value)}`);
}
