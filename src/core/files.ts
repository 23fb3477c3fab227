// Files shared in rooms (issue 33), what the server decides about them: who may upload (registered
// users, guests if the operator allows, bots), how much and how often, what type a file is served
// as (from its bytes, never its name), and who may read it: a link carries a key naming its reader,
// signed by the server and expiring, and a file is sent only to a reader who is in its room at
// that moment (one who left or was banned is refused at once). The bytes are in store/blobs.ts,
// what is known of them in store/files.ts; the web door reads and writes them (doors/web/files.ts).

import { createHmac, timingSafeEqual } from "node:crypto";
import type { FileRef } from "../protocol/events.ts";
import { filePath, webOrigin } from "../protocol/messages.ts";
import { foldName } from "../protocol/names.ts";
import { sanitizeText } from "../protocol/sanitize.ts";
import { PerAddress } from "../session/per-address.ts";
import { randomText } from "../session/secrets.ts";
import type { Blobs } from "../store/blobs.ts";
import type { FileMeta, FileStore } from "../store/files.ts";
import type { Member } from "./room.ts";
import { type Maybe, then } from "../store/history.ts";

export interface FilesConfig {
  /** Bytes of one file at most (--max-file-size). */
  maxFileBytes: number;
  /** Bytes one uploader may have kept at once (--upload-quota). */
  quotaBytes: number;
  /** Uploads one uploader (and one address) may make per minute (--uploads-per-minute). */
  perMinute: number;
  /** Guests may upload too (--guest-uploads on). */
  guests: boolean;
}

export const FILES_DEFAULTS: FilesConfig = { maxFileBytes: 10 * 1024 * 1024, quotaBytes: 100 * 1024 * 1024, perMinute: 10, guests: false };

/** How long a link's key holds: a reader is given a fresh one on every connection. */
export const LINK_HOURS = 24;
/** How long an upload ticket (/upload's) holds, and how many may wait at once. */
export const TICKET_MS = 5 * 60_000;
const TICKETS_MAX = 10_000;

/** Who an upload ticket or a link key names. */
export interface Reader {
  /** The name (a guest's), or the account's name key. */
  name: string;
  account?: string;
  /** A guest's stay: the same name taken later by someone else is not them. */
  visit?: string;
}

export interface Ticket extends Reader {
  room: string;
  until: number;
}

export class Files {
  /** The web door, once open: its port, whether it is TLS, and the name links give it (--web-host's first), if any. */
  door: { port: number; tls: boolean; host?: string } | undefined;
  private readonly tickets = new Map<string, Ticket>();
  private readonly byOwner: PerAddress;
  private readonly byAddress: PerAddress;

  constructor(
    readonly store: FileStore,
    readonly blobs: Blobs,
    readonly config: FilesConfig,
    private readonly secret: string,
  ) {
    this.byOwner = new PerAddress(config.perMinute, config.perMinute / 60);
    this.byAddress = new PerAddress(config.perMinute, config.perMinute / 60);
  }

  /** Who `member` is to a key or a ticket. */
  static readerOf(member: Member): Reader {
    return member.account !== undefined ? { name: member.name, account: member.account } : { name: member.name, ...(member.visit !== undefined ? { visit: member.visit } : {}) };
  }

  /** A key for `member`'s links, good for LINK_HOURS. */
  key(member: Member, now: number): string {
    const r = Files.readerOf(member);
    const body = Buffer.from(JSON.stringify([r.account ?? "", r.account === undefined ? r.name : "", r.visit ?? "", now + LINK_HOURS * 3_600_000])).toString("base64url");
    return `${body}.${this.sign(body)}`;
  }

  /** The reader a key names, if it is this server's and has not expired. */
  readKey(key: string, now: number): Reader | undefined {
    const [body, sig] = key.split(".");
    if (!body || !sig || !this.verify(body, sig)) return undefined;
    let v: unknown;
    try {
      v = JSON.parse(Buffer.from(body, "base64url").toString());
    } catch {
      return undefined;
    }
    if (!Array.isArray(v) || v.length !== 4) return undefined;
    const [account, name, visit, until] = v;
    if (typeof account !== "string" || typeof name !== "string" || typeof visit !== "string" || typeof until !== "number" || until < now) return undefined;
    return account !== "" ? { name: account, account } : { name, ...(visit !== "" ? { visit } : {}) };
  }

  /** Whether `member` is the reader named. */
  static isReader(member: Member | undefined, reader: Reader): boolean {
    if (!member) return false;
    if (reader.account !== undefined) return member.account === reader.account;
    // A guest's key is its stay's: still theirs if they registered since, not whoever takes the name next.
    if (reader.visit !== undefined) return member.visit === reader.visit;
    return member.account === undefined && foldName(member.name) === foldName(reader.name);
  }

  /** A ticket for one upload to `room` by `member`, good for TICKET_MS. */
  ticket(member: Member, room: string, now: number): string {
    if (this.tickets.size >= TICKETS_MAX) {
      for (const [t, v] of this.tickets) if (v.until < now) this.tickets.delete(t);
      if (this.tickets.size >= TICKETS_MAX) this.tickets.delete(this.tickets.keys().next().value!);
    }
    const token = `bunchat-upload_${randomText(24)}`;
    this.tickets.set(token, { ...Files.readerOf(member), room, until: now + TICKET_MS });
    return token;
  }

  /** A ticket used: what it was for, once; undefined if it is none, used, or expired. */
  redeem(token: string, now: number): Ticket | undefined {
    const ticket = this.tickets.get(token);
    this.tickets.delete(token);
    return ticket && ticket.until >= now ? ticket : undefined;
  }

  /** Whether `token` looks like a ticket (not a bot's token). */
  static isTicket(token: string): boolean {
    return token.startsWith("bunchat-upload_");
  }

  /** A file's link for `member`, on the web door as `host` reaches it. */
  link(meta: { id: string; name: string }, member: Member, host: string, now: number): string | undefined {
    if (!this.door) return undefined;
    return `${webOrigin(this.door.tls, this.door.host ?? host, this.door.port)}${filePath(meta)}?k=${this.key(member, now)}`;
  }

  /** A line's file is gone with it: its record, and its bytes unless another record has the same. */
  forget(id: string): Maybe<void> {
    return then(this.store.remove(id), (gone) => {
      if (gone && !gone.shared) this.blobs.drop(gone.meta.sha256);
    });
  }

  /** Why `owner` (from `address`) may not upload now: too often (ms to wait); undefined: go ahead. */
  wait(owner: string, address: string, now: number): number {
    return Math.max(this.byOwner.wait(owner, now), this.byAddress.wait(address, now));
  }

  /** An upload was taken from them. */
  took(owner: string, address: string, now: number): void {
    this.byOwner.take(owner, now);
    this.byAddress.take(address, now);
  }

  sweep(now: number): void {
    this.byOwner.sweep(now);
    this.byAddress.sweep(now);
    for (const [t, v] of this.tickets) if (v.until < now) this.tickets.delete(t);
  }

  private sign(body: string): string {
    return createHmac("sha256", this.secret).update(body).digest("base64url");
  }

  private verify(body: string, sig: string): boolean {
    const want = Buffer.from(this.sign(body));
    const given = Buffer.from(sig);
    return want.length === given.length && timingSafeEqual(want, given);
  }
}

/** The type a file is served as, from its first bytes: an image a browser shows, or bytes to download. */
export function sniffType(head: Uint8Array): string {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "image/png";
  if (starts(0xff, 0xd8, 0xff)) return "image/jpeg";
  if (starts(0x47, 0x49, 0x46, 0x38) && (head[4] === 0x37 || head[4] === 0x39) && head[5] === 0x61) return "image/gif";
  if (starts(0x52, 0x49, 0x46, 0x46) && head[8] === 0x57 && head[9] === 0x45 && head[10] === 0x42 && head[11] === 0x50) return "image/webp";
  return "application/octet-stream";
}

/** Whether a browser is let show it (an image); everything else is a download. */
export function isImage(type: string): boolean {
  return type === "image/png" || type === "image/jpeg" || type === "image/gif" || type === "image/webp";
}

/** A file's name as sent, made safe to show and to send back: no path, no control or bidi characters, at most 120 characters. */
export function cleanName(raw: string): string {
  const base = raw.split(/[\\/]/).pop() ?? "";
  const name = [...sanitizeText(base).replace(/^[.\s]+/, "").trim()].slice(0, 120).join("");
  return name === "" ? "file" : name;
}

/** What a line shows of a file. */
export function fileRef(meta: FileMeta): FileRef {
  return { id: meta.id, name: meta.name, size: meta.size, type: meta.type };
}
