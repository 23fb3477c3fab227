// The bundled client: asks for a name, joins, shows what arrives and sends what is typed.
// Interactive on a terminal (readline keeps the typed line intact); line by line on a pipe.

import { existsSync } from "node:fs";
import { toText } from "../render/text.ts";
import { basename } from "node:path";
import { filePath, sizeWords, webOrigin } from "../protocol/messages.ts";
import { SeenLines } from "./seen.ts";
import { Picker } from "./pick.ts";
import * as readline from "node:readline";
import { parseInput, lookupCommand } from "../protocol/commands.ts";
import type { ErrorCode, FileRef, MessageId, ServerEvent } from "../protocol/events.ts";
import { TYPING_EVERY_MS, TYPING_SHOWN_MS } from "../core/typing.ts";
import { sanitizeText } from "../protocol/sanitize.ts";
import { FloodBudget } from "../net/bucket.ts";
import { type Clock, SYSTEM_CLOCK } from "../net/clock.ts";
import { Pacer, type PacerHost } from "../net/pacer.ts";
import { type Link, type LinkTls, openLink } from "./link.ts";
import { makeRenderer } from "./render.ts";
import { backoffMs } from "./backoff.ts";
import { complete, Completer, Roster } from "./roster.ts";
import { Terminal } from "./terminal.ts";
import { ANSWERS, CLOSING, LONG_ANSWER_EVENTS, LONG_ANSWERS, RETRYABLE, SECRET_ARGS } from "./answers.ts";

export interface ClientOptions {
  host: string;
  port: number;
  name?: string;
  /** The server password, if it asks for one (from BUNCHAT_PASSWORD); otherwise asked for on a terminal. */
  password?: string;
  /** The password of our registered name (from BUNCHAT_USER_PASSWORD); otherwise asked for on a terminal. */
  userPassword?: string;
  /** Connect with TLS; undefined for plain TCP. */
  tls?: LinkTls;
  /** stdin is a terminal: prompt, edit, redraw. Otherwise each stdin line is sent as is. */
  interactive: boolean;
  color: boolean;
  timestamps: boolean;
  /** Ring the terminal bell when a line mentions us (interactive only). */
  bell: boolean;
  /** Links in lines as OSC 8 hyperlinks (the terminal shows them: render/links.ts). */
  links?: boolean;
  /** Time and timers for pacing and reconnecting (tests pass their own). */
  clock?: Clock;
  /** For the backoff's jitter: a number in [0, 1). */
  random?: () => number;
}


/** The prompt while the connection is being retried: typed text stays on it, marked as not sendable. */
const OFFLINE_PROMPT = "(offline) > ";
/** What holds the lines to send: no connection, or an answer whose size is not known yet. */
const OFFLINE = "offline";
const ANSWER = "answer";

/** Exit codes: 0 after quit or end of input; 1 when the server goes away or refuses us. */
export async function runClient(options: ClientOptions): Promise<number> {
  const client = new ChatClient(options);
  return client.run();
}

/**
 * waiting: for the server (to connect, or to answer) · password: the server password is wanted ·
 * naming: a name is wanted · chatting · leaving.
 */
type Phase = "waiting" | "password" | "naming" | "chatting" | "leaving";

/** The client moves a room's read marker at most this often (on switching to it, and typing in it). */
const READ_EVERY_MS = 10_000;
/** Pages of 200 lines a reconnection asks for at most, for each room, of what came after the newest it had. */
const AFTER_PAGES = 5;

class ChatClient implements PacerHost<string> {
  private phase: Phase = "waiting";
  private link?: Link;
  private triedName = false;
  private serverShutdown = false;
  private readonly render;
  private readonly term: Terminal;
  private readonly rl: readline.Interface;
  /** Pipe mode: input lines waiting for the join (or, before it, for the name). */
  private readonly pending: string[] = [];
  private inputEnded = false;
  private finish!: (code: number) => void;
  /** The server's flood budget, mirrored so that we never go over it. */
  private budget?: FloodBudget;
  /**
   * Lines to send, in order, each when the budget allows. Held while there is no connection, and
   * after a /users or /help until its answer is in (its size is charged to the budget).
   */
  private readonly outgoing: Pacer<string>;
  private readonly clock: Clock;
  /** The code of the last error that closes the connection, if the server sent one. */
  private closedBecause: ErrorCode | undefined;
  /** Who is online (for Tab) and who we are (for mentions). */
  private readonly roster = new Roster();
  /** Tab: commands, names and rooms, cycling through several matches. */
  private readonly completer = new Completer((line) =>
    this.phase === "chatting" ? complete(line, this.roster.others(), this.roster.roomNames()) : [[], line],
  );
  /** The server's longest line (from its hello): a longer one is not sent. */
  private maxLineBytes = Number.POSITIVE_INFINITY;
  /** …and its bounds on a message of several lines; none from a server that takes one line at a time. */
  private maxMessage: { bytes: number; lines: number } | undefined;
  /** Files asked a ticket for (/upload <path>), in order: each goes with the next ticket for its room. */
  private readonly uploads: { path: string; room: string | undefined }[] = [];
  /** The key our file links carry and where the web door is (the server's file-key event). */
  private fileKey: Extract<ServerEvent, { type: "file-key" }> | undefined;
  /** A bracketed paste is coming in: its lines are held, not sent one by one. */
  private pasting = false;
  /** Lines pasted (all but the last, which stays in the input to be added to): Enter sends them and it as one message. */
  private pasted: string[] = [];
  private readonly seen = new SeenLines();
  /** Pages of "what came after" asked for each place since the last reconnection (AFTER_PAGES at most). */
  private readonly afterPages = new Map<string, number>();
  /** Rooms and conversations whose "what came after" is asked for and not answered yet (their replays wait for it). */
  private readonly resuming = new Set<string>();
  /** A line picked with Alt+Up / Alt+Down, which what is typed next acts on (pick.ts). */
  private readonly picker = new Picker();
  /** Interactive reconnection: attempts since we were last in, and the timer of the next one. */
  private reconnects = 0;
  private reconnectTimer: { cancel(): void } | undefined;
  /** A reconnection is under way: the welcome says we are back rather than repeating the instructions. */
  private rejoining = false;
  /** Sent by itself at the next ask-name / ask-password (the name we had; the password we gave). */
  private autoName: string | undefined;
  private givenPassword: string | undefined;
  /** Our registered name's password as typed (kept for rejoining), whether the server refused the one sent, and whether it is being typed. */
  private givenLogin: string | undefined;
  private loginRefused = false;
  private loggingIn = false;

  constructor(private readonly options: ClientOptions) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.outgoing = new Pacer<string>(this, this.clock);
    this.outgoing.hold(OFFLINE);
    this.render = makeRenderer({
      ...options,
      fileUrl: (file) => this.fileUrl(file),
      columns: options.interactive ? () => process.stdout.columns : undefined,
      me: () => this.roster.me,
      room: () => this.roster.room,
      onMention: () => {
        if (options.bell && options.interactive) process.stdout.write("\x07");
      },
    });
    this.term = new Terminal(options.interactive, (line) => this.completer.next(line));
    this.rl = this.term.rl;
  }

  async run(): Promise<number> {
    const done = new Promise<number>((resolve) => (this.finish = resolve));
    this.rl.on("line", (line) => this.onInput(line));
    this.rl.on("close", () => this.onInputEnd());
    // Ctrl-C clears a half-typed line first, as shells and irssi do; on an empty line it leaves.
    this.rl.on("SIGINT", () => (this.pasted.length > 0 ? this.dropPaste() : this.rl.line === "" ? this.leave() : this.term.clearTyped()));
    if (this.options.interactive) {
      process.stdin.on("keypress", (_text, key: { name?: string; meta?: boolean } | undefined) => this.onKey(key));
      // Before readline's own: a paste's newlines must be known as pasted when its lines arrive.
      process.stdin.prependListener("keypress", (_text, key: { name?: string } | undefined) => {
        if (key?.name === "paste-start") this.pasting = true;
        else if (key?.name === "paste-end") this.pasteEnded();
      });
      this.term.bracketedPaste(true);
    }
    try {
      this.online(await this.connect());
    } catch (err) {
      this.rl.close();
      process.stderr.write(`bunchat: ${(err as Error).message}\n`);
      return 1;
    }
    if (this.options.interactive) {
      this.show(`Connected to ${this.options.host}:${this.options.port}${this.options.tls ? " (TLS)" : ""}.`);
    }
    const code = await done;
    this.reconnectTimer?.cancel();
    if (this.options.interactive) this.term.bracketedPaste(false);
    this.rl.close();
    return code;
  }

  private connect(): Promise<Link> {
    return openLink(
      this.options.host,
      this.options.port,
      {
        event: (event, bytes) => this.onEvent(event, bytes),
        closed: (refusal, wrongProtocol) => this.onClosed(refusal, wrongProtocol),
      },
      this.options.tls,
    );
  }

  /**
   * Interactive only: after a lost connection (or a server restart), try again with exponential
   * backoff and jitter, capped at 30 s, for as long as the user stays; then rejoin with the same
   * name. Lines typed meanwhile are refused with a notice (Up brings them back), not sent late.
   */
  private scheduleReconnect(): void {
    const delay = backoffMs(this.reconnects++, (this.options.random ?? Math.random)());
    this.show(`Reconnecting in ${Math.max(1, Math.round(delay / 1000))} s… (Ctrl-C to leave)`);
    this.reconnectTimer = this.clock.later(delay, () => void this.reconnect());
  }

  /** Connected: lines that waited for a connection may go. */
  private online(link: Link): void {
    this.link = link;
    this.outgoing.release(OFFLINE);
  }

  /** The connection is gone: lines wait for the next one, and no answer is awaited on it any more. */
  private offline(): void {
    this.link = undefined;
    this.outgoing.hold(OFFLINE);
    this.outgoing.release(ANSWER);
  }

  /** Connects again: to rejoin after a lost connection, or (`rejoin` false) to be asked for the password again. */
  private async reconnect(rejoin = true): Promise<void> {
    this.reconnectTimer = undefined;
    if (this.phase === "leaving") return;
    let link: Link;
    try {
      link = await this.connect();
    } catch (err) {
      this.show(`! ${(err as Error).message}`);
      return this.scheduleReconnect();
    }
    if ((this.phase as Phase) === "leaving") return link.end(); // Ctrl-C while connecting
    this.online(link);
    if (!rejoin) return;
    this.rejoining = true;
    this.autoName = this.roster.me;
    this.triedName = true;
  }

  private onEvent(event: ServerEvent, bytes: number): void {
    // Back after a reconnection: the rooms we were in are joined again, the current one last.
    const rejoinRooms = event.type === "welcome" && this.rejoining ? this.roomsToRejoin(event.rooms) : [];
    this.roster.apply(event);
    if (event.type === "error" && CLOSING.has(event.code)) this.closedBecause = event.code;
    if (event.type === "error" && event.code === "bad-password") this.givenPassword = undefined;
    if (event.type === "error" && event.code === "login-failed" && this.phase !== "chatting") this.loginRefused = true;
    // The server charges the output of our own commands to our flood budget: so does our copy (not
    // what another device of ours did, which it tells us of).
    if (ANSWERS.has(event.type) && !("elsewhere" in event && event.elsewhere === true)) {
      this.budget?.charge(bytes, this.clock.now());
      if (LONG_ANSWER_EVENTS.has(event.type)) this.outgoing.release(ANSWER);
    }
    let wasRejoining = false;
    switch (event.type) {
      case "file-key":
        this.fileKey = event;
        return;
      case "upload":
        return void this.sendFile(event);
      case "hello":
        this.maxLineBytes = event.maxLineBytes;
        this.maxMessage = event.maxMessageBytes !== undefined && event.maxMessageLines !== undefined ? { bytes: event.maxMessageBytes, lines: event.maxMessageLines } : undefined;
        if (event.linesPerSecond > 0) {
          this.budget = new FloodBudget(event.burstLines, event.linesPerSecond, this.clock.now());
        }
        return;
      case "ping":
        return this.send(""); // any line answers; an empty one is ignored
      case "ask-password":
        return this.askPassword();
      case "ask-login":
        return this.askLogin(event.name, event.unencrypted === true);
      case "ask-name":
        return this.askName();
      case "welcome":
        this.phase = "chatting";
        this.reconnects = 0;
        // Back: who is here now (people may have come and gone meanwhile).
        wasRejoining = this.rejoining;
        this.afterPages.clear();
        this.resuming.clear();
        if (this.rejoining) {
          this.show(`Back in the chat as ${sanitizeText(event.name)}.`);
          this.show(this.render(event)?.split("\n").at(-1)); // the welcome's "Online (N): …"
        } else this.show(this.render(event));
        this.rejoining = false;
        if (this.options.interactive) {
          this.rl.setPrompt(this.chatPrompt());
          this.rl.prompt();
        }
        for (const room of rejoinRooms) this.send(`/join ${room}`);
        // What came after the newest line we had of each room and conversation: nothing missed (the
        // replays above hold the last lines, or those since our read marker; this, the rest).
        if (wasRejoining) {
          for (const [place, id] of this.seen.newest()) {
            this.resuming.add(place);
            this.askAfter(place, id);
          }
        }
        return this.flushPending();
      case "room":
      case "parted":
        this.picker.release();
        if (this.options.interactive) this.rl.setPrompt(this.chatPrompt()); // before the line redraws it
        if (event.type === "room" && !event.elsewhere) this.readSoon(event.room); // switched to it: read
        break;
      case "marker":
        // Another device's reading, or the answer to one of our own automatic /reads: not worth a line.
        if (event.elsewhere) return;
        if (this.autoReads > 0) return void this.autoReads--;
        break;
      case "typing":
        if (event.room !== undefined) this.typed(event.room, event.from, event.state === "active");
        return;
      case "public":
      case "action":
      case "edit":
      case "delete":
        if (event.type !== "edit" && event.type !== "delete") this.typed(event.room, event.from, false); // their line came
        this.picker.follow(event);
        if (this.options.interactive && this.picker.current()) this.rl.setPrompt(this.chatPrompt());
        // Our own line, back with its id (for picking it): it is on the screen already as typed,
        // unless it answers another (then it shows, with the line it answers) or shares a file (not typed).
        if ((event.type === "public" || event.type === "action") && event.from === this.roster.me && !event.reply && !event.file) return void this.seen.filter(event); // noted as shown
        break;
      case "history":
        // A room we ask what came after our newest line of: its replay is left out (the answer
        // holds all of it, in order), until the answer comes.
        if (event.why === "join" && this.resuming.has(event.room.toLowerCase())) return;
        if (event.after !== undefined) this.resuming.delete(event.room.toLowerCase());
        // More came after a line than one answer holds: the next page, a few at most.
        if (event.after !== undefined && event.more && event.events.length > 0) {
          const pages = (this.afterPages.get(event.room) ?? 0) + 1;
          this.afterPages.set(event.room, pages);
          if (pages < AFTER_PAGES) this.askAfter(event.room.toLowerCase(), event.events[event.events.length - 1]!.id);
        }
        break;
      case "bye":
        this.phase = "leaving";
        break;
      case "shutdown":
        this.serverShutdown = true;
        break;
      default:
        break;
    }
    // Left at the name or password prompt past the server's deadline: a new connection is made
    // quietly, and the prompt (with what is typed on it) stays.
    if (event.type === "error" && event.code === "registration-timeout" && this.options.interactive) return;
    // A room's history replayed on joining it again shows only what we have not shown already.
    const shown = this.seen.filter(event);
    const text = shown === undefined ? undefined : this.render(shown);
    if (text !== undefined) this.show(text);
  }

  private askPassword(): void {
    const known = this.options.password ?? this.givenPassword;
    if (known !== undefined) return this.send(known);
    if (!this.options.interactive) {
      process.stderr.write("bunchat: the server needs a password; set BUNCHAT_PASSWORD\n");
      return this.quitNow(1);
    }
    this.phase = "password";
    this.show("This server needs a password (what you type is not shown):");
    this.term.askSecret("Password: ");
  }

  /** Our name is registered: its password, from BUNCHAT_USER_PASSWORD or typed (not echoed). */
  private askLogin(name: string, unencrypted: boolean): void {
    const known = this.loginRefused ? undefined : (this.options.userPassword ?? this.givenLogin);
    if (known !== undefined) return this.send(known);
    if (!this.options.interactive) {
      process.stderr.write(
        this.loginRefused
          ? `bunchat: wrong password for ${sanitizeText(name)} (BUNCHAT_USER_PASSWORD)\n`
          : `bunchat: ${sanitizeText(name)} is a registered name; set BUNCHAT_USER_PASSWORD to its password\n`,
      );
      return this.quitNow(1);
    }
    this.phase = "password";
    this.loggingIn = true;
    const warning = unencrypted ? " This server has no TLS: the password travels unencrypted." : "";
    this.show(`${sanitizeText(name)} is a registered name: its password, please (not shown; Enter alone picks another name).${warning}`);
    this.term.askSecret("Password: ");
  }

  private askName(): void {
    this.phase = "naming";
    if (this.autoName !== undefined) {
      const name = this.autoName;
      this.autoName = undefined; // once: if it is refused now (taken meanwhile), the user chooses
      return this.send(name);
    }
    if (this.rejoining) this.show("Choose a name to rejoin with.");
    const first = !this.triedName;
    this.triedName = true;
    if (first && this.options.name !== undefined) return this.send(this.options.name);
    if (this.options.interactive) {
      this.term.ask("Enter your username: ");
      return;
    }
    if (!first) {
      process.stderr.write("bunchat: the server refused that username; choose another with --name\n");
      return this.quitNow(1);
    }
    this.flushPending(); // pipe mode without --name: the first input line is the name
  }

  private onInput(line: string): void {
    if (!this.options.interactive) {
      this.pending.push(line);
      return this.flushPending();
    }
    if (this.pasting && this.phase === "chatting") {
      // A line of a paste: held (bounded: past the server's bounds, the count is all that is kept).
      if (this.pasted.length <= (this.maxMessage?.lines ?? 0)) this.pasted.push(line);
      else this.pasted.length++;
      return;
    }
    if (this.pasted.length > 0) {
      line = [...this.pasted, line].join("\n");
      this.pasted = [];
    }
    if (this.phase === "password") {
      this.term.secretEntered(line);
      // For rejoining after a lost connection.
      if (this.loggingIn) {
        this.givenLogin = line === "" ? undefined : line;
        this.loginRefused = false;
        this.loggingIn = false;
      } else this.givenPassword = line;
    }
    if (this.phase === "naming" || this.phase === "password") {
      const naming = this.phase === "naming";
      this.phase = "waiting";
      this.rl.setPrompt("");
      // Typed while a new connection is being made (the last one timed out at this prompt): it
      // goes as soon as the server asks.
      if (!this.link) return void (naming ? (this.autoName = line) : undefined);
      return this.send(line);
    }
    if (this.phase !== "chatting") {
      const notice = this.link
        ? "! Not in the chat yet, so that line was not sent."
        : "! Not connected, so that line was not sent (Up brings it back).";
      if (line.trim() !== "" && this.phase !== "leaving") this.show(notice);
      return;
    }
    // A picked line: what was typed acts on it (answers it, or /react, /edit… it).
    const picked = line.trim() === "" ? undefined : this.picker.current();
    if (picked) {
      line = Picker.rewrite(line, picked);
      this.picker.release();
      if (this.options.interactive) this.rl.setPrompt(this.chatPrompt());
    }
    const input = parseInput(line);
    if (input.kind === "command" && lookupCommand(input.word) === "upload" && input.args !== "" && !input.args.startsWith("#")) return this.askUpload(input.args);
    if (input.kind === "command") {
      const command = lookupCommand(input.word);
      if (command !== undefined && SECRET_ARGS.has(command)) {
        // A password stays neither on the screen nor in the history (Up).
        this.term.retype(`${this.rl.getPrompt()}/${input.word} ${"•".repeat(8)}`, line);
        this.term.forget(line);
      } else if (command === "me" && this.roster.me !== undefined && Buffer.byteLength(line) <= this.maxLineBytes) {
        // Our own /me, as the others see it (a line of text stays on the screen as typed).
        const text = sanitizeText(input.args).trim();
        const shown = text === "" ? undefined : this.render({ type: "action", id: "", room: this.roster.room ?? "", from: this.roster.me, text, ts: this.clock.now() });
        if (shown !== undefined) this.term.retype(shown, line);
      }
    }
    this.sendChat(line);
    // Typing in a room: what is in it has been read.
    if (input.kind === "text" && this.roster.room !== undefined) this.readSoon(this.roster.room);
    if (this.phase === "chatting") this.rl.prompt();
  }

  /** Automatic /reads sent whose answers are not shown yet, and when each room was last marked read. */
  private autoReads = 0;
  private readAt = new Map<string, number>();

  /**
   * Moves `room`'s read marker (interactive only: a script reads nothing), at most every
   * READ_EVERY_MS per room, so that reading costs the flood budget little.
   */
  private readSoon(room: string): void {
    if (!this.options.interactive) return;
    const now = this.clock.now();
    if (now - (this.readAt.get(room) ?? Number.NEGATIVE_INFINITY) < READ_EVERY_MS) return;
    if (this.readAt.size >= 256) this.readAt.clear(); // bounded: a marker too many is harmless
    this.readAt.set(room, now);
    this.autoReads++;
    this.send(`/read ${room}`);
  }




  /** Pipe mode: send what was read once the server can take it. */
  private flushPending(): void {
    if (this.options.interactive) return;
    if (this.phase === "naming" && this.pending.length > 0) {
      this.phase = "waiting";
      return this.send(this.pending.shift()!);
    }
    while (this.phase === "chatting" && this.pending.length > 0) this.sendChat(this.pending.shift()!);
    if (this.inputEnded && this.pending.length === 0) {
      if (this.phase === "chatting") this.leave();
      else if (this.phase === "naming") {
        process.stderr.write("bunchat: input ended before a username was given\n");
        this.quitNow(1);
      }
    }
  }

  private sendChat(line: string): void {
    const input = parseInput(line);
    if (input.kind === "command" && lookupCommand(input.word) === "quit") return this.leave();
    if (input.kind === "empty") return;
    if (line.includes("\n")) return this.sendMessage(line);
    const bytes = Buffer.byteLength(line);
    if (bytes > this.maxLineBytes) {
      const again = this.options.interactive ? " (Up brings it back to shorten it)" : "";
      return this.show(`! That line is ${bytes} bytes, over the server's ${this.maxLineBytes}: it was not sent${again}.`);
    }
    this.send(line);
  }

  /**
   * A message of several lines (a paste): one JSON line the server reads as it would the typed
   * line, newlines and all, within its bounds; to a server that takes one line at a time, each line.
   */
  private sendMessage(text: string): void {
    const max = this.maxMessage;
    if (!max) {
      for (const line of text.split("\n")) if (line.trim() !== "") this.sendChat(line);
      return;
    }
    const lines = text.split("\n").length;
    const bytes = Buffer.byteLength(text);
    if (lines > max.lines || bytes > max.bytes) {
      return this.show(`! That message is ${lines} lines and ${bytes} bytes, over the server's ${max.lines} lines or ${max.bytes} bytes: it was not sent.`);
    }
    this.send(JSON.stringify({ type: "line", text }));
  }

  /** /upload <path> [#room]: a ticket is asked for; the file goes once it comes (sendFile). */
  private askUpload(args: string): void {
    const room = /\s(#\S+)$/.exec(args)?.[1];
    const path = (room ? args.slice(0, -room.length) : args).trim().replace(/^~(?=\/)/, process.env.HOME ?? "~");
    const file = Bun.file(path);
    if (!existsSync(path) || file.size === 0) return this.show(`! There is no file ${path} to share (or it is empty).`);
    if (this.uploads.length >= 20) return this.show("! At most 20 files wait to be shared at once.");
    this.uploads.push({ path, room });
    this.send(room ? `/upload ${room}` : "/upload");
  }

  /** A ticket: the next file waiting for its room is sent to the web door with it. */
  private async sendFile(ticket: Extract<ServerEvent, { type: "upload" }>): Promise<void> {
    const at = this.uploads.findIndex((u) => u.room === undefined || u.room === ticket.room);
    if (at < 0) return this.show(`${toText({ ...ticket, host: this.options.host })} (or: /upload <path>)`); // /upload with no path: the curl command
    const { path } = this.uploads.splice(at, 1)[0]!;
    const file = Bun.file(path);
    if (file.size > ticket.maxBytes) return this.show(`! ${path} is ${sizeWords(file.size)}; this server takes files of at most ${sizeWords(ticket.maxBytes)}.`);
    const form = new FormData();
    form.append("file", file, basename(path));
    const url = `${webOrigin(ticket.tls, this.options.host, ticket.port)}${ticket.path}`;
    const tls = this.options.tls;
    this.show(`-- Sharing ${basename(path)} (${sizeWords(file.size)}) in ${ticket.room}…`);
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { authorization: `Bearer ${ticket.token}` },
        body: form,
        ...(tls ? { tls: { ...(tls.ca ? { ca: tls.ca } : {}), rejectUnauthorized: !tls.insecure } } : {}),
      });
      if (res.ok) return;
      const why: unknown = await res.json().catch(() => undefined);
      const message = typeof why === "object" && why !== null && "message" in why && typeof why.message === "string" ? sanitizeText(why.message) : `the server answered ${res.status}`;
      this.show(`! ${basename(path)} was not shared: ${message}`);
    } catch (err) {
      this.show(`! ${basename(path)} was not shared: ${sanitizeText((err as Error).message)}`);
    }
  }

  /** Where a shared file is, for us: the web door as we reach the server, with our key. */
  private fileUrl(file: FileRef): string | undefined {
    const key = this.fileKey;
    if (!key) return undefined;
    return `${webOrigin(key.tls, this.options.host, key.port)}${filePath(file)}?k=${encodeURIComponent(key.key)}`;
  }

  /** A paste ended: its lines wait for Enter (which sends them, with what is typed after, as one message) or Ctrl-C. */
  private pasteEnded(): void {
    this.pasting = false;
    if (this.pasted.length === 0 || this.phase !== "chatting") return;
    const n = this.pasted.length + 1;
    this.show(`-- ${n} lines pasted: Enter sends them as one message (with anything you add to the last one); Ctrl-C drops them.`);
    this.redrawPrompt();
  }

  /** Ctrl-C on a paste waiting for Enter: it goes. */
  private dropPaste(): void {
    this.pasted = [];
    this.term.clearTyped();
    this.show("-- The pasted lines were dropped.");
    this.redrawPrompt();
  }

  /** Sends a line once the flood budget allows, after any lines still waiting. */
  private send(line: string): void {
    this.outgoing.push(line);
  }

  // PacerHost: our copy of the server's flood budget decides when a line goes.

  paceWait(line: string, now: number): number {
    return this.budget?.wait(Buffer.byteLength(line), now) ?? 0;
  }

  paceTake(line: string, now: number): void {
    this.budget?.take(Buffer.byteLength(line), now);
  }

  paced(line: string): void {
    this.link?.send(line);
    // How much /users or /help answers is known only once it is here (and charged to our budget
    // by the server): nothing more goes until it is.
    const input = parseInput(line);
    if (this.budget && input.kind === "command" && LONG_ANSWERS.has(lookupCommand(input.word) ?? "")) {
      this.outgoing.hold(ANSWER);
    }
  }

  private onInputEnd(): void {
    if (this.inputEnded) return;
    this.inputEnded = true;
    if (this.options.interactive) return this.leave(); // Ctrl-D
    this.flushPending();
  }

  /** quit: the server says goodbye and closes; we exit 0 then. */
  private leave(): void {
    if (this.phase === "leaving") return;
    this.phase = "leaving";
    this.reconnectTimer?.cancel();
    if (!this.link) return this.finish(0);
    // On a terminal, leaving drops lines still waiting for the budget (a paste cut short); from a pipe, they go first.
    if (this.options.interactive) this.outgoing.clear();
    this.send("quit");
    // If the goodbye never comes, leave anyway (after the waiting lines have had their time).
    const waitMs = this.budget && this.outgoing.length > 1 ? this.outgoing.length * 1000 : 0;
    this.clock.later(3000 + waitMs, () => this.finish(0));
  }

  private quitNow(code: number): void {
    this.phase = "leaving";
    this.outgoing.clear();
    this.finish(code); // first: end() may run the close handler right away
    this.link?.end();
  }

  private onClosed(refusal: string[], wrongProtocol: boolean): void {
    if (this.phase === "leaving") return this.finish(0);
    const why = this.closedBecause;
    this.closedBecause = undefined;
    for (const line of refusal) this.show(sanitizeText(line)); // the server's own "! …" line, as sent
    if (why === "registration-timeout" && this.options.interactive && this.roster.me === undefined) {
      this.offline();
      return void this.reconnect(false);
    }
    // A wrong password typed at the terminal: asked again on a new connection.
    if (why === "bad-password" && this.options.interactive && this.options.password === undefined) {
      this.offline();
      this.phase = "waiting";
      return void this.reconnect(false);
    }
    // The server said why it closed (it printed above): no "connection lost" after it.
    const told = why !== undefined || refusal.length > 0;
    if (!told) this.show(this.serverShutdown ? "The server has shut down." : "Connection to the server lost.");
    // A script wants to know (exit 1); a person at a terminal wants to be back when the server is,
    // unless no retry can help (the wrong protocol, a refused password or name).
    const hopeless = wrongProtocol || (why !== undefined && !RETRYABLE.has(why));
    if (!this.options.interactive || this.roster.me === undefined || hopeless) return this.finish(1);
    this.offline(); // the answer awaited, if any, will not come
    this.phase = "waiting";
    this.serverShutdown = false;
    // The prompt stays, marked, and so does what was being typed: it can be sent once we are back.
    this.term.ask(OFFLINE_PROMPT);
    this.scheduleReconnect();
  }

  /** "#dev> ": where what is typed goes. */
  private chatPrompt(): string {
    const picked = this.picker.current();
    if (picked) return Picker.promptOf(picked);
    // Who is typing in the current room, for as long as it is told (TYPING_SHOWN_MS after each "active").
    const now = this.clock.now();
    const typing = [...(this.typists.get(this.roster.room ?? "") ?? [])].filter(([, until]) => until > now).map(([name]) => sanitizeText(name));
    const who = typing.length === 0 ? "" : typing.length <= 2 ? ` (${typing.join(", ")} typing)` : " (several typing)";
    const pasted = this.pasted.length > 0 ? ` [+${this.pasted.length} pasted]` : "";
    return `${this.roster.room ?? ""}${who}${pasted}> `;
  }

  /** Who is typing where: room -> name -> until when it is shown. */
  private readonly typists = new Map<string, Map<string, number>>();
  private typingAt = 0;

  /** Someone typing (or not any more) in a room: the prompt says so while it lasts, then is drawn again without it. */
  private typed(room: string, from: string, active: boolean): void {
    let here = this.typists.get(room);
    if (!here) this.typists.set(room, (here = new Map()));
    if (active) here.set(from, this.clock.now() + TYPING_SHOWN_MS);
    else if (!here.delete(from)) return;
    if (room !== this.roster.room || !this.options.interactive) return;
    this.redrawPrompt();
    if (active) this.clock.later(TYPING_SHOWN_MS + 50, () => this.redrawPrompt());
  }

  private redrawPrompt(): void {
    if (this.phase !== "chatting" || !this.options.interactive) return;
    this.rl.setPrompt(this.chatPrompt());
    this.rl.prompt(true);
  }

  /** Alt+Up / Alt+Down pick a line of the current room (shown in the prompt); Esc lets go. */
  private onKey(key: { name?: string; meta?: boolean } | undefined): void {
    if (this.phase !== "chatting" || !key) return;
    // Typing a line (not a command) in a room: told at most every TYPING_EVERY_MS.
    const line = this.rl.line;
    const now = this.clock.now();
    if (key.name !== "return" && key.name !== "enter" && line !== "" && !line.startsWith("/") && this.roster.room !== undefined && now - this.typingAt >= TYPING_EVERY_MS) {
      this.typingAt = now;
      this.send("/typing");
    }
    if (key.meta && (key.name === "up" || key.name === "down")) this.picker.step(this.roster.room, key.name === "up");
    else if (key.name === "escape" && this.picker.current()) this.picker.release();
    else return;
    this.rl.setPrompt(this.chatPrompt());
    this.rl.prompt(true);
  }

  /** Asks what came after line `id` of `place` ("#dev", or "@sam": a conversation). */
  private askAfter(place: string, id: MessageId): void {
    this.send(`/history ${place.startsWith("@") ? place.slice(1) : place} after ${id}`);
  }

  /** The rooms we were in and the welcome did not put us back in, the current one last. */
  private roomsToRejoin(welcomed: unknown): string[] {
    const back = new Set(Array.isArray(welcomed) ? welcomed : []);
    const current = this.roster.room;
    const rooms = [...this.roster.rooms].filter((r) => !back.has(r) && r !== current);
    if (current !== undefined && (rooms.length > 0 || !back.has(current))) rooms.push(current);
    return rooms;
  }

  /** Prints a line above the prompt, leaving what is being typed intact. */
  private show(text: string | undefined): void {
    if (text === undefined) return;
    const offline = this.phase === "waiting" && this.rl.getPrompt() === OFFLINE_PROMPT;
    this.term.show(text, this.phase === "chatting" || this.phase === "naming" || this.phase === "password" || offline);
  }
}
