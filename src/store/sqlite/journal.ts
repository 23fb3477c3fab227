// Lines kept but not yet in the history file, appended to a file beside it (`<db>-kept`) before
// anyone is sent them: the file's own writes come together every 100 ms (a transaction a line cost
// 60 µs, this 0.1 to 1.4 µs), so without it a kill -9 lost what people had already read. A write to
// a file is in the kernel once write() returns, so it survives the process being killed (not the
// machine losing power: neither does SQLite's WAL with synchronous=NORMAL). Emptied each time the
// history file has the lines; read back, and its lines written to the file, when the file is opened.
//
// Each write is a block: "B", then a line per kept line, "<sender>\t<text>", with what it shares
// with the line before said only when it changes ("T<time>", "I<id>" when not the last id plus one,
// "R<room>", "K<kind>"): turning numbers into text is most of what a record costs. Names and rooms
// have no tabs or newlines; text has had them made spaces (sanitize.ts), and any left are here.

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

  /**
   * Writes `lines` from `from` on, in one write: before a turn's bytes go out. Lines the history
   * file took meanwhile (a burst writes every 1000) are no longer waiting, and cost nothing here.
   */
  commit(lines: readonly { id: number; event: KeptEvent }[], from: number): void {
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
      const text = event.text.includes("\n") || event.text.includes("\r") ? event.text.replace(/[\r\n]/g, " ") : event.text;
      out += `${event.type === "topic" ? event.by : event.from}\t${text}\n`;
    }
    try {
      this.size += writeSync(this.fd, out);
    } catch {
      this.failed++;
    }
  }

  /** The history file has every line committed so far: the journal is emptied (their text with it). */
  clear(): void {
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
    if (!Number.isSafeInteger(id) || id <= 0 || !Number.isFinite(ts) || !room.startsWith("#") || from === "") continue;
    const event = storedEvent(kind, id, room, from, record.slice(tab + 1), ts);
    if (event) out.push({ id, event });
  }
  return out;
}
