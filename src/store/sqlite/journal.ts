// Lines kept but not yet in the history file, appended to a file beside it (`<db>-kept`) before
// anyone is sent them: the file's own writes come together every 100 ms (a transaction a line cost
// 60 µs, this 0.1 to 1.4 µs), so without it a kill -9 lost what people had already read. A write to
// a file is in the kernel once write() returns, so it survives the process being killed (not the
// machine losing power: neither does SQLite's WAL with synchronous=NORMAL). Emptied each time the
// history file has the lines; read back, and its lines written to the file, when the file is opened.
//
// One record a line: id, kind, room, sender, time, text, separated by tabs, ending in a newline.
// Names and rooms have neither; text has had its tabs and newlines made spaces (sanitize.ts).

import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { storedEvent, storedType } from "../history.ts";
import type { KeptEvent } from "../../protocol/events.ts";

/** A line read back from a journal: its id (a row number of the file) and the line. */
export interface Recovered {
  id: number;
  event: KeptEvent;
}

export class Journal {
  private readonly fd: number;
  /** Records appended since the last commit. */
  private waiting = "";
  /** Bytes in the file since it was last emptied (about: string length). */
  private size = 0;
  /** Commits that failed (a full disk): the lines were still delivered, and the history says it is paused. */
  failed = 0;

  private constructor(
    readonly path: string,
    /** What it held when opened. */
    held: number,
  ) {
    this.fd = openSync(path, "a", 0o600);
    this.size = held;
  }

  /** Opens `path` (made if missing), with the lines a server killed before writing them left in it. */
  static open(path: string): { journal: Journal; recovered: Recovered[] } {
    const text = existsSync(path) ? readFileSync(path, "utf8") : "";
    return { journal: new Journal(path, text.length), recovered: parse(text) };
  }

  /** A line kept: in the file at the next commit. */
  append(id: number, event: KeptEvent): void {
    const from = event.type === "topic" ? event.by : event.from;
    const text = event.text.includes("\n") ? event.text.replaceAll("\n", " ") : event.text;
    this.waiting += `${id}\t${storedType(event)}\t${event.room}\t${from}\t${event.ts}\t${text}\n`;
  }

  /** Whether lines wait for a commit. */
  get pending(): boolean {
    return this.waiting !== "";
  }

  /** Writes what was appended since the last commit, in one write (before the turn's bytes go out). */
  commit(): void {
    if (this.waiting === "") return;
    const records = this.waiting;
    this.waiting = "";
    try {
      writeSync(this.fd, records);
      this.size += records.length;
    } catch {
      this.failed++;
    }
  }

  /** The history file has every line appended so far: the journal is emptied (their text with it). */
  clear(): void {
    this.waiting = "";
    if (this.size === 0) return;
    try {
      ftruncateSync(this.fd, 0);
      this.size = 0;
    } catch {
      this.failed++;
    }
  }

  /** Bytes written since it was last emptied. */
  get bytes(): number {
    return this.size;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** A journal's records, checked one by one: a torn last record (killed mid-write) is skipped. */
function parse(text: string): Recovered[] {
  const out: Recovered[] = [];
  const records = text.split("\n");
  records.pop(); // "" after the last newline, or a record cut short by a kill mid-write
  for (const record of records) {
    const fields = record.split("\t");
    if (fields.length < 6) continue;
    const [idText, kind, room, from, tsText] = fields as [string, string, string, string, string];
    const id = Number(idText);
    const ts = Number(tsText);
    if (!Number.isSafeInteger(id) || id <= 0 || !Number.isFinite(ts) || !room.startsWith("#") || from === "") continue;
    const event = storedEvent(kind, id, room, from, fields.slice(5).join("\t"), ts);
    if (event) out.push({ id, event });
  }
  return out;
}
