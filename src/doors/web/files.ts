// Files through the web door (issue 33): an upload is POST /api/rooms/<room>/files, multipart/form-data
// with the file in the field "file" (what `curl -F file=@build.log` sends) and an optional "text";
// allowed by a bot's token or by an upload ticket (/upload gives one to the page, the terminal
// client, or an nc user's curl). Its size is known from Content-Length before a byte is read (past
// the limit: 413, unread); its body goes to disk as it arrives (MultipartSink), hashed on the way.
// A file is served at /files/<id>/<name>?k=<key> to a reader in its room, as the type its bytes
// say: an image a browser shows, else a download, never a page of its own (nosniff, a sandbox).

import { closeSync, writeSync } from "node:fs";
import { cleanName, fileRef, Files, isImage, sniffType } from "../../core/files.ts";
import type { Hub } from "../../core/hub.ts";
import { type FileRef, type ServerEvent } from "../../protocol/events.ts";
import { checkRoom } from "../../protocol/names.ts";
import { sanitizeMessage } from "../../protocol/sanitize.ts";
import { filePath, sizeWords } from "../../protocol/messages.ts";
import { saidLogLine } from "../../core/commands/kit.ts";
import { messageTooBig } from "../../session/refusals.ts";
import { randomText } from "../../session/secrets.ts";
import type { ServerLimits } from "../../protocol/limits.ts";
import type { FileMeta } from "../../store/files.ts";

/** Bytes a multipart body may carry besides its file (boundaries, the part's headers, a text). */
export const UPLOAD_OVERHEAD = 64 * 1024;
/** The headers of one part at most. */
const PART_HEAD_MAX = 8 * 1024;

export const UPLOAD_PATH = /^\/api\/rooms\/([^/]+)\/files$/;
const SERVE_PATH = /^\/files\/([A-Za-z0-9_-]{22})\/[^/]*$/;

/** What a finished upload left: the file's part written to `temp`, its hash, size and first bytes; the text field. */
export interface Received {
  temp: string;
  sha256: string;
  size: number;
  head: Uint8Array;
  name: string;
  text: string;
}

/**
 * A multipart/form-data body read as it arrives: the part named "file" written to a file on
 * disk (and hashed), a part named "text" kept (bounded), others skipped. Never holds more than
 * a part's head and a boundary's length of the body in memory.
 */
export class MultipartSink {
  private buf = Buffer.alloc(0);
  private state: "preamble" | "head" | "body" | "after" | "done" = "preamble";
  private readonly delimiter: Buffer;
  private part: "file" | "text" | "skip" = "skip";
  private readonly hasher = new Bun.CryptoHasher("sha256");
  private size = 0;
  private head = new Uint8Array(0);
  private name = "";
  private text = "";
  private sawFile = false;
  problem: string | undefined;

  constructor(
    boundary: string,
    private readonly file: { path: string; fd: number },
    private readonly maxFileBytes: number,
  ) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`);
    this.buf = Buffer.from("\r\n"); // the first boundary has no CRLF before it: one is lent
  }

  /** The boundary of a multipart/form-data Content-Type, or undefined. */
  static boundaryOf(contentType: string | null): string | undefined {
    if (!contentType || !/^multipart\/form-data\s*;/i.test(contentType)) return undefined;
    const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
    return m?.[1] ?? m?.[2];
  }

  write(chunk: Uint8Array): void {
    if (this.problem || this.state === "done") return;
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.state === "preamble") {
        const at = this.buf.indexOf(this.delimiter);
        if (at < 0) {
          this.buf = this.buf.subarray(Math.max(0, this.buf.length - this.delimiter.length)); // a preamble is skipped
          return;
        }
        this.buf = this.buf.subarray(at + this.delimiter.length);
        this.state = "after";
      }
      if (this.state === "after") {
        if (this.buf.length < 2) return;
        if (this.buf[0] === 0x2d && this.buf[1] === 0x2d) {
          this.state = "done"; // "--": the last boundary; the epilogue is ignored
          return;
        }
        const eol = this.buf.indexOf("\r\n");
        if (eol < 0) return;
        this.buf = this.buf.subarray(eol + 2); // transport padding, then the CRLF
        this.state = "head";
      }
      if (this.state === "head") {
        const end = this.buf.indexOf("\r\n\r\n");
        if (end < 0) {
          if (this.buf.length > PART_HEAD_MAX) this.problem = "A part's headers are too long.";
          return;
        }
        this.startPart(this.buf.subarray(0, end).toString("utf8"));
        if (this.problem) return;
        this.buf = this.buf.subarray(end + 4);
        this.state = "body";
      }
      if (this.state === "body") {
        const at = this.buf.indexOf(this.delimiter);
        // What can't be part of a delimiter goes now; the rest waits for the next bytes.
        const upTo = at >= 0 ? at : Math.max(0, this.buf.length - this.delimiter.length + 1);
        this.take(this.buf.subarray(0, upTo));
        if (this.problem) return;
        this.buf = this.buf.subarray(upTo);
        if (at < 0) return;
        this.buf = this.buf.subarray(this.delimiter.length);
        this.state = "after";
      }
    }
  }

  private startPart(headers: string): void {
    const disposition = /^content-disposition:\s*form-data\s*;(.*)$/im.exec(headers)?.[1] ?? "";
    const field = /(?:^|;)\s*name="([^"]*)"/i.exec(disposition)?.[1];
    const star = /(?:^|;)\s*filename\*=UTF-8''([^;\s]+)/i.exec(disposition)?.[1];
    const plain = /(?:^|;)\s*filename="([^"]*)"/i.exec(disposition)?.[1];
    if (field === "file" && !this.sawFile) {
      this.sawFile = true;
      this.part = "file";
      let name = plain ?? "";
      if (star) {
        try {
          name = decodeURIComponent(star);
        } catch {}
      }
      this.name = name;
    } else this.part = field === "text" ? "text" : "skip";
  }

  private take(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.part === "file") {
      this.size += bytes.length;
      if (this.size > this.maxFileBytes) {
        this.problem = `A file is at most ${sizeWords(this.maxFileBytes)} here.`;
        return;
      }
      if (this.head.length < 16) this.head = Buffer.concat([this.head, bytes.subarray(0, 16 - this.head.length)]);
      this.hasher.update(bytes);
      let written = 0;
      while (written < bytes.length) written += writeSync(this.file.fd, bytes, written);
    } else if (this.part === "text") {
      this.text += Buffer.from(bytes).toString("utf8");
      if (this.text.length > UPLOAD_OVERHEAD / 2) this.problem = "The text with a file is too long.";
    }
  }

  /** The body is all here: what it held, or why it is not an upload. */
  end(): Received | { problem: string } {
    closeSync(this.file.fd);
    if (this.problem) return { problem: this.problem };
    if (this.state !== "done") return { problem: "The body ended before its last boundary: not a whole multipart/form-data body." };
    if (!this.sawFile) return { problem: 'Send the file in a field named "file" (curl -F file=@<path>).' };
    if (this.size === 0) return { problem: "That file is empty." };
    return { temp: this.file.path, sha256: this.hasher.digest("hex"), size: this.size, head: this.head, name: this.name, text: this.text };
  }
}

/** Who an upload is from, once its head was let in: a bot (its token) or a user (a ticket), and where it goes. */
export interface Uploader {
  room: string;
  /** The name the line is said as. */
  from: string;
  /** Whose quota it counts against. */
  owner: string;
  bot: boolean;
  /** For a user: their ticket's reader, checked again (still online, still in the room) when the body is in. */
  reader?: { name: string; account?: string; visit?: string };
}

/** The room named in an upload's path, or why not. */
export function uploadRoom(path: string): string | { problem: string } {
  const m = UPLOAD_PATH.exec(path);
  if (!m) return { problem: "Not an upload path." };
  let name = m[1]!;
  try {
    name = decodeURIComponent(name);
  } catch {
    return { problem: "That room name is not valid URL encoding." };
  }
  const check = checkRoom(name.startsWith("#") ? name : `#${name}`);
  return check.ok ? check.name : { problem: check.reason };
}

/**
 * A received upload said: checked again (the uploader still in the room and allowed to speak, within
 * their quota), kept under its hash, recorded, and said in the room as a line sharing it.
 */
export async function keepUpload(
  hub: Hub,
  files: Files,
  limits: ServerLimits,
  up: Uploader,
  got: Received,
  now: number,
  log: (line: string) => void,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const refuse = (status: number, error: string, message: string) => {
    files.blobs.discard({ path: got.temp });
    return { status, body: { error, message } };
  };
  const caption = sanitizeMessage(got.text);
  const tooBig = messageTooBig(caption, limits);
  if (tooBig) return refuse(413, "too-long", tooBig.message);
  const room = hub.room(up.room);
  let from = up.from;
  if (up.reader) {
    const member = hub.find(up.reader.name);
    if (!member || !Files.isReader(member, up.reader) || !room || !room.has(member)) return refuse(403, "not-in-room", `You are no longer in ${up.room}.`);
    from = member.name;
    if (!hub.rules.maySpeak(member, room)) {
      return refuse(403, "not-allowed", `You can't speak in ${room.name} now, so you can't share a file there.`);
    }
  }
  const used = await files.store.usage(up.owner);
  if (used + got.size > files.config.quotaBytes) {
    return refuse(413, "over-quota", `You keep ${sizeWords(used)} of files here; with this one it would be over your ${sizeWords(files.config.quotaBytes)}. Delete the lines of files you no longer need.`);
  }
  files.blobs.keep(got.temp, got.sha256);
  const meta: FileMeta = {
    id: randomText(16),
    sha256: got.sha256,
    room: up.room,
    name: cleanName(got.name),
    size: got.size,
    type: sniffType(got.head),
    owner: up.owner,
    ts: now,
  };
  const file: FileRef = fileRef(meta);
  const event: Extract<ServerEvent, { type: "public" }> = { type: "public", id: hub.nextId(), room: up.room, from, text: caption === "" ? meta.name : caption, ts: now, file, ...(up.bot ? { bot: true as const } : {}) };
  meta.line = event.id;
  await files.store.put(meta);
  hub.post(event);
  hub.keeping.commit();
  log(`${saidLogLine(hub, event)} [file ${meta.id}: ${meta.name}, ${meta.size} bytes, ${meta.type}]`);
  return { status: 201, body: { id: event.id, room: up.room, from, text: event.text, ts: now, file: { ...file, url: filePath(file) } } };
}

/** A file to send from disk: its path, and the answer's status and headers. */
export interface FileAnswer {
  path: string;
  size: number;
  headers: Record<string, string>;
}

/**
 * GET /files/<id>/<name>?k=<key>: the file, to a reader its key names who is in its room now; the
 * same 404 for a file that is not there and one that is not theirs (a guessed id learns nothing).
 */
export async function serveFile(hub: Hub, files: Files, path: string, key: string | null, now: number): Promise<FileAnswer | { status: number; why: string } | undefined> {
  const m = SERVE_PATH.exec(path);
  if (!m) return path.startsWith("/files/") ? { status: 404, why: "No such file." } : undefined;
  const reader = key ? files.readKey(key, now) : undefined;
  if (!reader) return { status: 403, why: "This link's key is missing or expired: open the file again from the chat (or /file <id> for a new link)." };
  const meta = await files.store.get(m[1]!);
  const member = hub.find(reader.name);
  const room = meta ? hub.room(meta.room) : undefined;
  const sent = meta && room && member && Files.isReader(member, reader) && room.has(member);
  if (!meta || !sent) return { status: 404, why: "No such file, or not one you may read (you are not in its room)." };
  const size = files.blobs.size(meta.sha256);
  if (size === undefined) return { status: 404, why: "That file's bytes are gone." };
  const image = isImage(meta.type);
  const ascii = meta.name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return {
    path: files.blobs.path(meta.sha256),
    size,
    headers: {
      "content-type": meta.type,
      "content-disposition": `${image ? "inline" : "attachment"}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(meta.name)}`,
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'; sandbox",
      "cross-origin-resource-policy": "same-origin",
      "referrer-policy": "no-referrer",
      "cache-control": "private, max-age=3600",
    },
  };
}
