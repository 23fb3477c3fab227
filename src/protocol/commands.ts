// The command language typed by every user, whichever client they use. One table drives
// the server's dispatch, /help, the client's instructions and the README's command list.

/**
 * Who may run a command: anyone; the operators of one's current room (and server admins); its
 * owner (in a room no registered user owns, its operators; and server admins); server admins only.
 */
export type Who = "anyone" | "operators" | "owners" | "admins";

export interface CommandSpec {
  /** Without the slash. */
  readonly name: string;
  /** Who may run it (the server checks it before the command runs). */
  readonly who: Who;
  /** With no arguments anyone may run it (it only shows something). */
  readonly showsToAnyone?: boolean;
  readonly aliases: readonly string[];
  readonly usage: string;
  readonly summary: string;
  /** For /help <command>: what it does in full, and an example. */
  readonly about: string;
  readonly example: string;
}

export const COMMANDS = [
  {
    who: "anyone",
    name: "pm",
    aliases: ["msg"],
    usage: "/pm <user> <message>",
    summary: "send a private message to one user",
    about: "Only that user sees it (the server log notes that one was sent, never what). /reply answers one.",
    example: "/pm Sam see you at 3",
  },
  {
    who: "anyone",
    name: "reply",
    aliases: ["r"],
    usage: "/reply <message>",
    summary: "answer the last private message you got",
    about: "A private message to whoever last sent you one, so you don't have to type their name.",
    example: "/reply on my way",
  },
  {
    who: "anyone",
    name: "answer",
    aliases: [],
    usage: "/answer <line> <message>",
    summary: "answer a line of your current room",
    about:
      "Said to everyone in the room like any line, shown with the line it answers (who and how it starts). Name the line as ^ (the last line), ^3 (three lines back), @Sam (Sam's last line here) or its id. /reply is for private messages.",
    example: "/answer @Sam sounds good",
  },
  {
    who: "anyone",
    name: "react",
    aliases: [],
    usage: "/react <line> <emoji>",
    summary: "put an emoji on a line (again: take it back)",
    about:
      "Everyone in the room sees it, and a count. The line as for /answer; :+1: :heart: :tada: :joy: :eyes: :rocket: :fire: :check: and a few more stand for their emoji. /reactions <line> says who reacted.",
    example: "/react ^ :+1:",
  },
  {
    who: "anyone",
    name: "reactions",
    aliases: [],
    usage: "/reactions <line>",
    summary: "who put which emoji on a line",
    about: "The line as for /answer.",
    example: "/reactions @Sam",
  },
  {
    who: "anyone",
    name: "edit",
    aliases: [],
    usage: "/edit [line] <new text>",
    summary: "change the text of one of your lines",
    about:
      "Without a line, your last line in the current room. Everyone in the room is told the new text; history and /search keep only it. The line as for /answer (it must be yours); a line of a kept private conversation by its id.",
    example: "/edit the build is green now",
  },
  {
    who: "anyone",
    name: "delete",
    aliases: ["del"],
    usage: "/delete [line] [reason]",
    summary: "take back one of your lines (operators: anyone's)",
    about:
      "Without a line, your last line in the current room. Everyone in the room is told it went; it is gone from history, /search and the server's files. A room's operators and server admins can delete anyone's line there. The line as for /answer; one of your lines of a kept private conversation by its id (both of you are told).",
    example: "/delete ^2",
  },
  {
    who: "anyone",
    name: "typing",
    aliases: [],
    usage: "/typing [active|paused|done] [#room|name]",
    summary: "say you are typing (the page and the client send it for you)",
    about:
      "Tells the others in your current room (or a room you are in, or one person) that you are typing: the page, the client and IRC clients show it for a few seconds. At most one every 3 seconds is passed on; paused or done after it. Never kept; nc users are not shown it.",
    example: "/typing",
  },
  {
    who: "anyone",
    name: "upload",
    aliases: [],
    usage: "/upload [#room]",
    summary: "share a file in your room (the page and the client send it for you)",
    about:
      "Gives a ticket for one upload to your current room (or a room you are in), good for 5 minutes: the page and the terminal client (/upload <path>) send the file with it; from nc, the answer is the curl command to run. Everyone in the room sees a line with the file's name, size and link; images show in the page. Registered users (and guests if the server allows), within the server's size, rate and quota.",
    example: "/upload #dev",
  },
  {
    who: "anyone",
    name: "file",
    aliases: [],
    usage: "/file <id>",
    summary: "a link to a file shared in one of your rooms",
    about: "A line that shares a file says its id; this answers with a link to it that works for you (for a day, while you are in its room).",
    example: "/file 3q2-7b1ZQm2kT8aXc5GdFw",
  },
  {
    who: "anyone",
    name: "me",
    aliases: [],
    usage: "/me <action>",
    summary: "say what you are doing",
    about: "Shown to everyone in your current room as an action: /me waves reads * Sam waves.",
    example: "/me waves",
  },
  {
    who: "anyone",
    name: "nick",
    aliases: ["name"],
    usage: "/nick <new name>",
    summary: "change your name",
    about: "The same rules as joining (1-24 letters, digits, _ or -, not taken); everyone is told.",
    example: "/nick Samuel",
  },
  {
    who: "anyone",
    name: "away",
    aliases: [],
    usage: "/away [reason]",
    summary: "mark yourself away",
    about: "Shown in /users; whoever sends you a private message is told. /back clears it.",
    example: "/away lunch, back at 2",
  },
  {
    who: "anyone",
    name: "back",
    aliases: [],
    usage: "/back",
    summary: "you are back",
    about: "Clears /away.",
    example: "/back",
  },
  {
    who: "anyone",
    name: "join",
    aliases: ["j"],
    usage: "/join <#room> [key]",
    summary: "join a room (made if it is new) and talk there",
    about:
      'Your lines go to the room you joined or switched to last; lines from your other rooms show their room ([#dev] Sam: hi). /join of a room you are in switches to it. A room name is "#" and up to 32 of a-z, 0-9, _ and -; an empty room is gone, with its topic (a room a registered user made keeps its owner and settings). A room with a key needs it after the name; an invite-only one an /invite.',
    example: "/join #dev",
  },
  {
    who: "anyone",
    name: "part",
    aliases: ["leave"],
    usage: "/part [#room] [reason]",
    summary: "leave a room (the current one if you name none)",
    about:
      "Everyone in it is told, with your reason. Your lines then go to the room you joined before it. quit leaves every room.",
    example: "/part #dev see you tomorrow",
  },
  {
    who: "anyone",
    name: "rooms",
    aliases: ["list"],
    usage: "/rooms [start of a name]",
    summary: "list the rooms, how many are in each, and their topics",
    about:
      "Sorted by name; past 100 rooms, the first 100 and how many more. With the start of a name, the rooms whose name starts with it.",
    example: "/rooms dev",
  },
  {
    who: "anyone",
    name: "topic",
    aliases: [],
    usage: "/topic [text]",
    summary: "show or set your current room's topic",
    about:
      "Without text, shows it; with text (at most 300 characters), sets it, and everyone in the room is told. /topic - clears it. Joiners see it.",
    example: "/topic release on Friday",
  },
  {
    who: "anyone",
    name: "history",
    aliases: [],
    usage: "/history [#room|name] [after <id>] [n]",
    summary: "show earlier lines of a room, or of a private conversation",
    about:
      "The n lines (50 if you give none, at most 200) said in your current room (or a room you are in, or your private conversation with a name) before the earliest you have seen there, with their times. Again for more. With after <id>: the lines said after that one (up to 200), for a client back from a dropped connection. Private messages are kept between registered names only (unless the server turns that off).",
    example: "/history Sam 100",
  },
  {
    who: "anyone",
    name: "search",
    aliases: ["find"],
    usage: "/search <words>",
    summary: "find lines with all these words in your rooms and conversations",
    about:
      "The 20 newest lines of the rooms you are in and of your kept private conversations that hold every word (any case, accents ignored), with room (or @name), time and sender. A word ending in * matches the start of words: /search deploy fail*.",
    example: "/search release friday",
  },
  {
    who: "anyone",
    name: "users",
    aliases: ["who"],
    usage: "/users [*] [start of a name]",
    summary: "list who is in your room (* for everyone online)",
    about:
      "Everyone in your current room, sorted, with who is away and why; /users * lists everyone online. Past 100 people, the first 100 and how many more (and how many are away). With the start of a name, those whose name starts with it.",
    example: "/users * sa",
  },
  {
    who: "anyone",
    name: "register",
    aliases: [],
    usage: "/register <password>",
    summary: "make your name yours: joining as it will ask for this password",
    about:
      "A password is 8 (or the server's --password-min) to 1024 characters without spaces. From then on nobody else can use your name (or one that looks like it), online or not. Use it on a TLS server if you can: on plain TCP it travels unencrypted. A server admin's name (--admin) registers only with the setup code the server printed in its log: /register <password> <code>.",
    example: "/register correct-horse-battery",
  },
  {
    who: "anyone",
    name: "passwd",
    aliases: [],
    usage: "/passwd <old password> <new password>",
    summary: "change your registered name's password",
    about: "Give the password you have, then the new one (8, or the server's --password-min, to 1024 characters without spaces).",
    example: "/passwd correct-horse-battery staple-9-horses",
  },
  {
    who: "anyone",
    name: "unregister",
    aliases: [],
    usage: "/unregister <password>",
    summary: "give your name up: anyone may use it again",
    about: "Your name becomes a guest's name again once you leave; give its password to confirm.",
    example: "/unregister correct-horse-battery",
  },
  {
    who: "anyone",
    name: "ignore",
    aliases: [],
    usage: "/ignore [name]",
    summary: "stop seeing someone's lines and private messages (no name: whom you ignore)",
    about:
      "Their public lines, actions and private messages are not sent to you (they are not told). Kept for registered names from one login to the next; at most 100. /unignore undoes it.",
    example: "/ignore Troll",
  },
  {
    who: "anyone",
    name: "unignore",
    aliases: [],
    usage: "/unignore <name>",
    summary: "see someone's lines again",
    about: "Undoes /ignore.",
    example: "/unignore Troll",
  },
  {
    who: "operators",
    name: "kick",
    aliases: [],
    usage: "/kick <name> [reason]",
    summary: "operators: put someone out of your room (server admins: out of the chat)",
    about:
      "A room's operators put someone out of their current room; server admins (--admin, logged in to their registered name) out of the chat. Everyone concerned sees who kicked them and why; they can come back (/ban keeps them out). Nobody can kick a server admin.",
    example: "/kick Troll spamming",
  },
  {
    who: "owners",
    name: "op",
    aliases: [],
    usage: "/op <name>",
    summary: "room owners: make someone in your room an operator",
    about:
      "A room belongs to the registered user who made it; its owner (and server admins) can make registered members of it operators, who may /kick from it, /mute in it, /invite to it and change its /room settings. A room a guest made is run by its operators while they stay, as on IRC: they can make anyone in it an operator. Everyone in the room is told.",
    example: "/op Ana",
  },
  {
    who: "owners",
    name: "deop",
    aliases: [],
    usage: "/deop <name>",
    summary: "room owners: take someone's operator status away",
    about: "Undoes /op; everyone in the room is told.",
    example: "/deop Ana",
  },
  {
    who: "operators",
    name: "mute",
    aliases: [],
    usage: "/mute <name> [10m|2h|7d]",
    summary: "room operators: nobody sees someone's lines in this room, for a while or until /unmute",
    about:
      "Everyone in the room (the muted user too) is told once; then their lines and actions there go nowhere, and they can't change their name to get out of it.",
    example: "/mute Troll 10m",
  },
  {
    who: "operators",
    name: "unmute",
    aliases: [],
    usage: "/unmute <name>",
    summary: "room operators: undo /mute",
    about: "Their lines reach the room again; everyone in it is told.",
    example: "/unmute Troll",
  },
  {
    who: "operators",
    name: "ban",
    aliases: [],
    usage: "/ban <name> [10m|2h|7d] [reason]",
    summary: "keep someone out: operators of your room, server admins of the server",
    about:
      "A room's operators ban from the room (they are put out of it and can't /join it; a guest's ban covers guests from its network too). Server admins ban from the server: a registered name by its account, a guest by its name and its network (the /24 or /64 it came from), so a new name from there is refused too (a registered name from there still logs in); someone online is put out at once. Kept across restarts; a timed ban lapses by itself.",
    example: "/ban Troll 7d spamming",
  },
  {
    who: "operators",
    name: "unban",
    aliases: [],
    usage: "/unban <name>",
    summary: "lift a ban (operators: from your room; admins: from the server)",
    about: "Lifts the ban on that name (for a server ban, and the network banned with it).",
    example: "/unban Troll",
  },
  {
    who: "operators",
    name: "bans",
    aliases: [],
    usage: "/bans",
    summary: "list the bans in force (operators: your room's; admins: the server's)",
    about: "Each with when it lapses (server bans: its network, who banned and why).",
    example: "/bans",
  },
  {
    who: "anyone",
    name: "invite",
    aliases: [],
    usage: "/invite <name> [#room]",
    summary: "let someone into a room you are in (your current one if you name none)",
    about:
      "They are told who asks them and where; their next /join of it gets in past invite-only, its key and its limit (not a ban), once, within 24 hours. A registered name may be invited while offline. In an invite-only room only its operators invite.",
    example: "/invite Kim #dev",
  },
  {
    who: "operators",
    showsToAnyone: true,
    name: "room",
    aliases: [],
    usage: "/room [invite-only|secret|moderated|topic-lock|external on|off] [key <key>|off] [limit <n>|off]",
    summary: "show your room's settings; its operators change them",
    about:
      "Without words, shows them. invite-only: only those invited (/invite) and its operators join. secret: not listed, and answered about as if it did not exist, to anyone not in it; invite-only too. key: /join must give it. limit: at most that many members. moderated: only operators and members with /voice speak. topic-lock: only operators set the topic. external: anyone online may send it lines without joining (an IRC client's PRIVMSG to it). A room a registered user made keeps them across restarts; one a guest made loses them when it is empty. Several at once: /room invite-only on limit 20.",
    example: "/room invite-only on",
  },
  {
    who: "operators",
    name: "voice",
    aliases: [],
    usage: "/voice <name>",
    summary: "room operators: let someone speak in your moderated room",
    about: "In a moderated room only operators and members with voice speak. A guest's voice lasts while it stays; a registered name's is kept. /devoice takes it back.",
    example: "/voice Kim",
  },
  {
    who: "operators",
    name: "devoice",
    aliases: [],
    usage: "/devoice <name>",
    summary: "room operators: take someone's voice away",
    about: "Undoes /voice; everyone in the room is told.",
    example: "/devoice Kim",
  },
  {
    who: "anyone",
    name: "whois",
    aliases: [],
    usage: "/whois <name>",
    summary: "who someone is: registered or a guest, since when, idle, away, rooms",
    about: "Works for anyone online, and for registered names that are not.",
    example: "/whois Sam",
  },
  {
    who: "anyone",
    name: "help",
    aliases: [],
    usage: "/help [command]",
    summary: "list the commands, or explain one",
    about: "Without a command, lists them all; with one, explains it.",
    example: "/help pm",
  },
  {
    who: "admins",
    name: "token",
    aliases: [],
    usage: "/token new <bot> | list | revoke <id>",
    summary: "server admins: tokens bots and CI post with over the HTTP API",
    about:
      "/token new deploy makes a token for a bot named deploy (its name is then held for it, as a registered name is) and shows it once: keep it secret, it is stored hashed. /token list shows every token's id, bot, maker and age; /token revoke <id> stops one at once.",
    example: "/token new deploy",
  },
  {
    who: "anyone",
    name: "ping",
    aliases: [],
    usage: "/ping <token>",
    summary: "the server answers pong <token> (for scripts)",
    about: "Answered to you only, after everything you sent before it: scripts use it as a barrier.",
    example: "/ping 42",
  },
  {
    who: "anyone",
    name: "read",
    aliases: [],
    usage: "/read [#room|user] [time]",
    summary: "mark a room (or a conversation) read, up to now or a line's time",
    about:
      "Your read marker of it moves to that time (ms since 1970, or 2026-12-07T14:02:00Z), never back; every device of yours is told, and a registered name's markers are kept: unread counts and what you missed start from them. The page and the client move it as you read.",
    example: "/read #dev",
  },
  {
    who: "anyone",
    name: "always-on",
    aliases: [],
    usage: "/always-on [on|off]",
    summary: "stay online, in your rooms, when your last connection goes (registered names)",
    about:
      "Others see you away (not connected) instead of leaving; lines said meanwhile wait for you: your next device is shown what you missed since your read marker. Kept with your name. Without a word, says whether it is on.",
    example: "/always-on on",
  },
  {
    who: "anyone",
    name: "sessions",
    aliases: [],
    usage: "/sessions",
    summary: "list the page's sessions of your registered name",
    about: "A page you signed in on with your password stays signed in across reloads (30 days after it was last used). Each is listed with its id, when it was made and last used.",
    example: "/sessions",
  },
  {
    who: "anyone",
    name: "logout",
    aliases: [],
    usage: "/logout [id|all]",
    summary: "sign out a page session (this one, one by its id, or all)",
    about: "That session signs in no more: the page asks for your password again. Changing your password signs out every one.",
    example: "/logout all",
  },
  {
    who: "anyone",
    name: "quit",
    aliases: ["exit"],
    usage: "quit",
    summary: "leave the chat (also /quit)",
    about: "Says goodbye and closes the connection; everyone else is told you left.",
    example: "quit",
  },
] as const satisfies readonly CommandSpec[];

export type CommandName = (typeof COMMANDS)[number]["name"];

const BY_NAME = new Map<string, CommandName>();
for (const c of COMMANDS) for (const n of [c.name, ...c.aliases]) BY_NAME.set(n, c.name);

/** A command's entry in the table. */
export function commandSpec(name: CommandName): CommandSpec {
  return COMMANDS.find((c) => c.name === name)!;
}

/** A command name or alias, case-insensitive, to its command; undefined when there is none. */
export function lookupCommand(word: string): CommandName | undefined {
  return BY_NAME.get(word.toLowerCase());
}

/** The closest command to a mistyped one, for "did you mean" hints. */
export function suggestCommand(word: string): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  // Farther than two edits, or than all but one letter of the word, is no longer a typo.
  let bestDistance = Math.min(3, w.length - 1);
  for (const name of BY_NAME.keys()) {
    const d = name.startsWith(w) || w.startsWith(name) ? 1 : editDistance(w, name);
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return best === undefined ? undefined : `/${BY_NAME.get(best)}`;
}

/** Edits between two words, a swap of two neighbours counting as one (hepl is one edit from help). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** What one typed line means. */
export type Input =
  { kind: "empty" } | { kind: "text"; text: string } | { kind: "command"; word: string; args: string };

export function parseInput(line: string): Input {
  const trimmed = line.trim();
  if (trimmed === "") return { kind: "empty" };
  if (trimmed.length === 4 && trimmed.toLowerCase() === "quit") return { kind: "command", word: "quit", args: "" };
  // "//" escapes a message that starts with a slash: "//shrug" sends "/shrug".
  if (trimmed.startsWith("//")) return { kind: "text", text: trimmed.slice(1) };
  if (!trimmed.startsWith("/")) return { kind: "text", text: trimmed };
  const space = trimmed.search(/\s/);
  if (space === -1) return { kind: "command", word: trimmed.slice(1), args: "" };
  return { kind: "command", word: trimmed.slice(1, space), args: trimmed.slice(space).trim() };
}

/** Splits "<first> <rest>" at the first run of white space. */
export function splitFirst(args: string): [string, string] {
  const space = args.search(/\s/);
  if (space === -1) return [args, ""];
  return [args.slice(0, space), args.slice(space).trim()];
}
