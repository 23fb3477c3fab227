// The HTTP API, for bots, CI and scripts: post a line to a room as a bot, read a room's history.
// Every answer is JSON; every refusal says why (401, 404, 413, 429 with Retry-After).
//
//   POST /api/rooms/<room>/messages   {"text": "…"}        → 201 {room, from, text, ts}
//   GET  /api/rooms/<room>/messages?limit=50&before=<id>   → 200 {room, messages, more, before}
//
// `<room>` is the room's name with or without its "#" (`dev`, or `%23dev`).

import type { ServerLimits } from "../../protocol/limits.ts";
import { filePath } from "../../protocol/messages.ts";
import { checkRoom } from "../../protocol/names.ts";
import { sanitizeMessage } from "../../protocol/sanitize.ts";
import { Files } from "../../core/files.ts";
import { keepUpload, type Received, type Uploader } from "./files.ts";
import { messageTooBig } from "../../session/refusals.ts";
import type { Clock } from "../../net/clock.ts";
import { chain, type Cursor, HISTORY_PAGE_MAX, type Kept, settled } from "../../store/history.ts";
import type { BotToken } from "../../store/tokens.ts";
import { tokenId, tokenMatches } from "../../session/secrets.ts";
import type { Hub } from "../../core/hub.ts";
import { PerAddress } from "../../session/per-address.ts";
import type { ChatLog, Repeat } from "../../session/log-digest.ts";
import { messageIdOf, type Quote, type ServerEvent } from "../../protocol/events.ts";
import { quoteOf } from "../../core/messages.ts";
import { saidLogLine } from "../../core/commands/kit.ts";
import { PAGE_HEADERS } from "../../web/page.ts";

/** Bytes of a request body read at most (Bun answers 413 past it before the body is read). */
export const API_MAX_BODY = 64 * 1024;
const DEFAULT_LIMIT = 50;
const MESSAGES = /^\/api\/rooms\/([^/]+)\/messages$/;

export interface ApiParts {
  hub: Hub;
  limits: ServerLimits;
  clock: Clock;
  /** Failed tokens per address: a guesser is slowed like a name guesser. */
  attempts: PerAddress;
  log(line: string): void;
  /** A line that may repeat from many addresses: summed up per network under a storm. */
  logRepeat(repeat: Repeat, address: string, line: string): void;
  /** Which rooms' lines the log writes (a bot's too). */
  chatLog: ChatLog;
}

const WRONG_TOKEN: Repeat = { one: "wrong API token", many: "wrong API tokens" };

/** What the API did, for /metrics. */
export interface ApiCounts {
  posted: number;
  refused: Record<number, number>;
}

export class Api {
  /** Lines per token: a bot gets the same budget as a user (--flood-burst, --flood-rate). */
  private readonly posts: PerAddress;
  readonly counts: ApiCounts = { posted: 0, refused: {} };

  constructor(private readonly parts: ApiParts) {
    this.posts = new PerAddress(parts.limits.burstLines, parts.limits.linesPerSecond);
  }

  /** An /api/ request's answer; undefined for any other path. */
  handle(req: Request, path: string, address: string): Promise<Response> | undefined {
    if (!path.startsWith("/api/")) return undefined;
    return this.answer(req, path, address).then((res) => {
      if (res.status >= 400) this.counts.refused[res.status] = (this.counts.refused[res.status] ?? 0) + 1;
      return res;
    });
  }

  sweep(now: number): void {
    this.posts.sweep(now);
  }

  private async answer(req: Request, path: string, address: string): Promise<Response> {
    const m = MESSAGES.exec(path);
    if (!m) return fail(404, "not-found", `No API at ${path}; see README: POST or GET /api/rooms/<room>/messages.`);
    if (req.method !== "POST" && req.method !== "GET") {
      return fail(405, "method-not-allowed", `${req.method} is not served here: GET reads a room's lines, POST posts one.`, { allow: "GET, POST" });
    }
    const bot = await this.authorize(req, address);
    if (bot instanceof Response) return bot;
    let name = m[1]!;
    try {
      name = decodeURIComponent(name);
    } catch {
      return fail(404, "unknown-room", "That room name is not valid URL encoding.");
    }
    const check = checkRoom(name.startsWith("#") ? name : `#${name}`);
    if (!check.ok) return fail(404, "unknown-room", check.reason);
    const room = check.name;
    if (req.method === "GET") return this.read(room, new URL(req.url).searchParams);
    return this.post(req, room, bot);
  }

  /**
   * Who sends an upload to `room` (POST /api/rooms/<room>/files), from its head alone: a bot by its
   * token (to a room that exists), or a user by the ticket /upload gave them (for this room, once);
   * within the uploads a minute one uploader and one address may make. Or the refusal.
   */
  async uploader(headers: Headers, room: string, address: string): Promise<Uploader | Response> {
    const { hub, clock } = this.parts;
    const files = hub.files;
    if (!files) return fail(404, "no-files", "This server takes no files (it was started without --files).");
    const now = clock.now();
    const given = /^Bearer\s+(\S+)$/i.exec(headers.get("authorization") ?? "")?.[1];
    let up: Uploader;
    if (given !== undefined && Files.isTicket(given)) {
      const ticket = files.redeem(given, now);
      if (!ticket) return fail(401, "unauthorized", "That upload ticket is used, expired or not this server's: /upload gives another.");
      if (ticket.room !== room) return fail(403, "not-allowed", `That ticket is for ${ticket.room}, not ${room}.`);
      up = { room, from: ticket.name, owner: ticket.account ?? ticket.name, bot: false, reader: ticket };
    } else {
      const bot = await this.authorize(new Request("http://bunchat/", { headers }), address);
      if (bot instanceof Response) return bot;
      const known = await settled(hub.keeping.knownRoom(room));
      if (known === null) return fail(503, "unavailable", "Rooms can't be checked right now; try again in a moment.", { "retry-after": "1" });
      if (!known) return fail(404, "unknown-room", `There is no room ${room}: nobody is in it and it has no history.`);
      up = { room, from: bot.bot, owner: `bot:${bot.bot}`, bot: true };
    }
    const wait = files.wait(up.owner, address, now);
    if (wait > 0) return tooFast(wait, `Too many uploads (${files.config.perMinute} a minute)`);
    files.took(up.owner, address, now);
    return up;
  }

  /** An upload's body is in: kept and said (201, with the file's link path), or refused. */
  async uploaded(up: Uploader, got: Received | { problem: string }): Promise<Response> {
    const { hub, clock } = this.parts;
    const files = hub.files!;
    if ("problem" in got) return fail(got.problem.startsWith("A file is at most") ? 413 : 400, "bad-request", got.problem);
    const kept = await keepUpload(hub, files, this.parts.limits, up, got, clock.now(), this.parts.log);
    if (kept.status === 201) this.counts.posted++;
    else this.counts.refused[kept.status] = (this.counts.refused[kept.status] ?? 0) + 1;
    return json(kept.status, kept.body);
  }

  /** The token's bot, or the refusal: 401 for none or a wrong one, 429 for an address that guessed too often. */
  private async authorize(req: Request, address: string): Promise<BotToken | Response> {
    const { hub, clock, attempts } = this.parts;
    const now = clock.now();
    const wait = attempts.wait(address, now);
    if (wait > 0) return tooFast(wait, "Too many wrong tokens from your address");
    const header = req.headers.get("authorization") ?? "";
    const given = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const unauthorized = (message: string) => {
      attempts.take(address, now);
      return fail(401, "unauthorized", message, { "www-authenticate": 'Bearer realm="bunchat"' });
    };
    if (!given) return unauthorized("Send a bot token: Authorization: Bearer <token> (a server admin makes one with /token new <bot>).");
    const id = tokenId(given);
    const store = hub.tokens;
    if (!id || !store) return unauthorized("That is not a token of this server.");
    const record = await settled(store.get(id));
    if (record === null) return fail(503, "unavailable", "Tokens can't be checked right now; try again in a moment.", { "retry-after": "1" });
    if (!record || !tokenMatches(record, given)) {
      this.parts.logRepeat(WRONG_TOKEN, address, `! API: a wrong token from ${address}`);
      return unauthorized("That token is not valid (revoked, or never made here).");
    }
    return record;
  }

  private async post(req: Request, room: string, bot: BotToken): Promise<Response> {
    const { hub, clock } = this.parts;
    let body: unknown;
    try {
      body = await req.json();
    } catch {
      return fail(400, "bad-request", 'Send JSON: {"text": "…"}.');
    }
    const raw = typeof body === "object" && body !== null && "text" in body ? body.text : undefined;
    if (typeof raw !== "string") return fail(400, "bad-request", 'Send JSON with a text: {"text": "…"}.');
    const replyTo = typeof body === "object" && body !== null && "reply_to" in body ? body.reply_to : undefined;
    const answers = replyTo === undefined ? undefined : messageIdOf(replyTo);
    if (replyTo !== undefined && answers === undefined) return fail(400, "bad-request", "reply_to is a line's id, as the API or an event gave it.");
    // A message of several lines (a build's summary): its newlines kept, bounded as any (--max-message-bytes, --max-message-lines).
    const tooBig = messageTooBig(raw, this.parts.limits);
    if (tooBig) return fail(413, "too-long", tooBig.message);
    const text = sanitizeMessage(raw);
    if (text === "") return fail(400, "bad-request", "Nothing left to post once control characters are removed.");
    const now = clock.now();
    const wait = this.posts.wait(bot.id, now);
    if (wait > 0) return tooFast(wait, `${bot.bot} posts too fast (${this.parts.limits.linesPerSecond} lines a second after ${this.parts.limits.burstLines})`);
    const known = await settled(hub.keeping.knownRoom(room));
    if (known === null) return fail(503, "unavailable", "Rooms can't be checked right now; try again in a moment.", { "retry-after": "1" });
    if (!known) return fail(404, "unknown-room", `There is no room ${room}: nobody is in it and it has no history.`);
    let reply: Quote | undefined;
    if (answers !== undefined) {
      // The line answered must be one of this room's (an id of another room is one that does not exist).
      const found = hub.history ? await settled(hub.history.find(room, answers)) : undefined;
      if (found === null) return fail(503, "unavailable", "History can't be read right now; try again in a moment.", { "retry-after": "1" });
      if (!found || found.event.type === "topic") return fail(404, "unknown-line", `There is no line ${String(answers)} in ${room} (or it is no longer kept).`);
      reply = quoteOf(found.event);
    }
    this.posts.take(bot.id, now);
    const ts = clock.now();
    const event: Extract<ServerEvent, { type: "public" }> = { type: "public", id: hub.nextId(), room, from: bot.bot, text, ts, bot: true, ...(reply ? { reply } : {}) };
    hub.post(event);
    hub.keeping.commit(); // the bot is answered now, not at the end of the turn: the line is kept first
    this.counts.posted++;
    // Every public line is in the log, a bot's too (as nc shows it), unless rooms are flooding it.
    if (this.parts.chatLog.take(ts)) this.parts.log(saidLogLine(hub, event));
    return json(201, { id: event.id, room, from: bot.bot, text, ts, ...(reply ? { reply } : {}) });
  }

  private async read(room: string, params: URLSearchParams): Promise<Response> {
    const { hub } = this.parts;
    const history = hub.history;
    if (!history) return fail(404, "no-history", "This server keeps no history.");
    // One rule: a whole number of lines from 1 to HISTORY_PAGE_MAX; anything else is refused (not clamped).
    const limitText = params.get("limit");
    const limit = limitText === null ? DEFAULT_LIMIT : /^[0-9]{1,3}$/.test(limitText) ? Number(limitText) : 0;
    if (limit < 1 || limit > HISTORY_PAGE_MAX) return fail(400, "bad-request", `limit is a number of lines, 1 to ${HISTORY_PAGE_MAX}.`);
    const beforeText = params.get("before");
    let before: Cursor | undefined;
    if (beforeText !== null) {
      before = messageIdOf(beforeText);
      if (before === undefined) return fail(400, "bad-request", "before is a line's id, as a previous answer gave it.");
    }
    const known = await settled(hub.keeping.knownRoom(room));
    if (known === null) return fail(503, "unavailable", "History can't be read right now; try again in a moment.", { "retry-after": "1" });
    if (!known) return fail(404, "unknown-room", `There is no room ${room}: nobody is in it and it has no history.`);
    const read = before === undefined ? history.recent(room, limit + 1) : history.before(room, limit + 1, before);
    const found = await settled(chain(read, (lines) => hub.keeping.quoted(room, lines)));
    if (found === null) return fail(503, "unavailable", "History can't be read right now; try again in a moment.", { "retry-after": "1" });
    const lines: Kept[] = found.slice(Math.max(0, found.length - limit));
    const messages = lines.map(({ event }) =>
      event.type === "topic"
        ? { id: event.id, type: "topic", from: event.by, text: event.text, ts: event.ts }
        : {
            id: event.id,
            type: event.type,
            from: event.from,
            text: event.text,
            ts: event.ts,
            ...(event.type === "public" && event.bot ? { bot: true } : {}),
            ...(event.reply ? { reply: event.reply } : {}),
            ...(event.edited !== undefined ? { edited: event.edited } : {}),
            ...(event.reactions ? { reactions: event.reactions } : {}),
            ...(event.file ? { file: { ...event.file, url: filePath(event.file) } } : {}),
          },
    );
    const more = found.length > lines.length;
    return json(200, { room, messages, more, ...(more && lines[0] ? { before: lines[0].event.id } : {}) });
  }
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(`${JSON.stringify(body)}\n`, {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...PAGE_HEADERS, ...headers },
  });
}

function fail(status: number, error: string, message: string, headers: Record<string, string> = {}): Response {
  return json(status, { error, message }, headers);
}

function tooFast(waitMs: number, why: string): Response {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return fail(429, "too-many-requests", `${why}; try again in ${seconds} s.`, { "retry-after": String(seconds) });
}
