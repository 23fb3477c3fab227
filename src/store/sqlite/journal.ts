// Lines kept but not yet in the history file, written to a file beside it (`<db>-kept`) before
// anyone is sent them: the file's own writes come together every 100 ms (a transaction a line cost
// 60 µs), so without it a kill -9 lost what people had already read. The file is mapped into memory
// (Bun.mmap, shared): a record copied there is in the kernel's page cache at once, so it survives the
// process being killed (not the machine losing power: neither does SQLite's WAL with
// synchronous=NORMAL), and costs no system call (a write() a turn was a tenth of a steady 10-user
// chat's CPU). Zeroed each time the history file has the lines (its text overwritten, not just
// forgotten); read back up to its first zero, and its lines written to the file, when it is opened.
//
// Each write is a block: "B", then a line per kept line, "<sender>\t<text>", with what it shares
// with the line before said only when it changes ("T<time>", "I<id>" when not the last id plus one,
// "R<room>" (a room's name, or a private conversation's key), "K<kind>"): turning numbers into text is most of what a record costs. Names and rooms
// have no tabs or newlines; text has had them made spaces (sanitize.ts), and any left are here.

import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readFileSync } from "node:fs";
import { fromRecord, oneRecord, type StoredLine, storedEvent, storedType } from "../history.ts";

/** A line read back from a journal: its id (a row number of the file) and the line. */
export interface Recovered {
  id: number;
  event: StoredLine;
}

/** Bytes the journal file starts with; it doubles when lines waiting need more (a paused history file). */
const JOURNAL_START_BYTES = 1024 * 1024;

export class Journal {
  /** The file, mapped: a record written here is in the kernel's page cache at once, with no system call. */
  private map: Uint8Array;
  /** Where the next record goes: the bytes before it hold records, the rest zeros. */
  private end = 0;

  private constructor(
    readonly path: string,
    bytes: number,
  ) {
    this.map = mapped(path, bytes);
  }

  /** Opens `path` (made if missing), with the lines a server killed before writing them left in it. */
  static open(path: string): { journal: Journal; recovered: Recovered[] } {
    const held = existsSync(path) ? readFileSync(path) : undefined;
    const zero = held ? held.indexOf(0) : -1;
    const text = held ? utf8Decoder.decode(zero >= 0 ? held.subarray(0, zero) : held) : "";
    const journal = new Journal(path, Math.max(JOURNAL_START_BYTES, held?.length ?? 0));
    journal.end = Buffer.byteLength(text); // cleared once the file has the lines
    return { journal, recovered: parse(text) };
  }

  /**
   * Writes `lines` from `from` on, into the mapped file: before a turn's bytes go out. Lines the
   * history file took meanwhile (a burst writes every 1000) are no longer waiting, and cost nothing here.
   */
  commit(lines: readonly { id: number; event: StoredLine }[], from: number): void {
    if (from >= lines.length) return;
    let out = "B\n";
    let ts = Number.NaN;
    let next = Number.NaN;
    let room = "";
    let kind = "";
    for (let i = from; i < lines.length; i++) {
      const { id, event } = lines[i]!;
      if (event.ts !== ts) out += `T${(ts = event.ts)}\n`;
      if (id !== next) out += `I${id}\n`;
      next = id + 1;
      if (event.room !== room) out += `R${(room = event.room)}\n`;
      const k = storedType(event);
      if (k !== kind) out += `K${(kind = k)}\n`;
      const text = event.text.includes("\r") || event.text.includes("\0") ? oneRecord(event.text).replace(/[\r\0]/g, " ") : oneRecord(event.text);
      out += `${event.type === "topic" ? event.by : event.from}\t${text}\n`;
    }
    try {
      let written = utf8.encodeInto(out, this.map.subarray(this.end));
      if (written.read < out.length) {
        // Full (lines waiting while the history file refuses writes): the file doubles.
        this.grow(this.end + Buffer.byteLength(out));
        written = utf8.encodeInto(out, this.map.subarray(this.end));
      }
      this.end += written.written;
    } catch {
      // The file could not grow (a full disk): these lines are delivered unjournaled, and the
      // history file, which the same disk refuses too, says it is paused and keeps them waiting.
    }
  }

  /** The history file has every line committed so far: the journal is emptied, its text overwritten. */
  clear(): void {
    if (this.end === 0) return;
    this.map.fill(0, 0, this.end);
    this.end = 0;
  }

  /** Bytes it holds now. */
  get bytes(): number {
    return this.end;
  }

  private grow(needed: number): void {
    let size = this.map.length;
    while (size < needed) size *= 2;
    this.map = mapped(this.path, size);
  }
}

/** `path` mapped, made `bytes` long first (longer: kept as it is). */
function mapped(path: string, bytes: number): Uint8Array {
  const fd = openSync(path, existsSync(path) ? "r+" : "w+", 0o600);
  try {
    if (fstatSync(fd).size < bytes) ftruncateSync(fd, bytes);
  } finally {
    closeSync(fd);
  }
  return Bun.mmap(path);
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** A journal's records, checked one by one: a record cut short (killed mid-write) is skipped. */
function parse(text: string): Recovered[] {
  const out: Recovered[] = [];
  const records = text.split("\n");
  records.pop(); // "" after the last newline, or a record cut short by a kill mid-write
  let ts = Number.NaN;
  let next = Number.NaN;
  let room = "";
  let kind = "";
  for (const record of records) {
    const tab = record.indexOf("\t");
    if (tab < 0) {
      const value = record.slice(1);
      if (record === "B") [ts, next, room, kind] = [Number.NaN, Number.NaN, "", ""];
      else if (record[0] === "T") ts = Number(value);
      else if (record[0] === "I") next = Number(value);
      else if (record[0] === "R") room = value;
      else if (record[0] === "K") kind = value;
      continue;
    }
    const id = next++;
    const from = record.slice(0, tab);
    if (!Number.isSafeInteger(id) || id <= 0 || !Number.isFinite(ts) || !/^[#@]/.test(room) || from === "") continue;
    const event = storedEvent(kind, id, room, from, fromRecord(record.slice(tab + 1)), ts);
    if (event) out.push({ id, event });
  }
  return out;
}
