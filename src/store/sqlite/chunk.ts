// A chunk's per-line facts (id, kind, sender, time) as the `lines` column holds them: since schema
// 7 a BLOB of typed arrays, written with no string or array made per line; before it, JSON text
// (`[[id, type, from, ts], …]`), still read (the column's declared type does not matter to SQLite).
// A 10-user burst costs 5 % less for it.
//
// The BLOB: the ids, then the times (float64 each), the index of each line's sender among the
// chunk's names (uint16), each line's kind (uint8), then the names as a JSON array (UTF-8).

import { parseJson } from "../../protocol/decode.ts";
import { type Kept, storedType } from "../history.ts";

/** What a chunk says of one of its lines (its text is in the `text` column). */
export interface LineFacts {
  id: number;
  type: string;
  from: string;
  ts: number;
}

/** The kinds a line can be stored as (storedType), by their code in the BLOB. */
const KINDS = ["public", "action", "topic", "bot", "private"] as const;
const KIND_CODE = new Map<string, number>(KINDS.map((k, i) => [k, i]));

/** The `lines` value of a chunk: its lines' facts as the BLOB above. */
export function encodeFacts(lines: readonly Kept[]): Uint8Array {
  const count = lines.length;
  const names = new Map<string, number>();
  const order: string[] = [];
  const senders = new Uint16Array(count);
  for (let i = 0; i < count; i++) {
    const { event } = lines[i]!;
    const from = event.type === "topic" ? event.by : event.from;
    let index = names.get(from);
    if (index === undefined) {
      index = order.length;
      names.set(from, index);
      order.push(from);
    }
    senders[i] = index; // a chunk holds at most WRITE_AT lines (or a paused store's backlog): far fewer than 65,536 names
  }
  const tail = utf8.encode(JSON.stringify(order));
  const bytes = new Uint8Array(count * 19 + tail.length);
  const ids = new Float64Array(bytes.buffer, 0, count);
  const times = new Float64Array(bytes.buffer, count * 8, count);
  new Uint16Array(bytes.buffer, count * 16, count).set(senders);
  for (let i = 0; i < count; i++) {
    const { id, event } = lines[i]!;
    ids[i] = id as number;
    times[i] = event.ts;
    bytes[count * 18 + i] = KIND_CODE.get(storedType(event)) ?? 0;
  }
  bytes.set(tail, count * 19);
  return bytes;
}

const utf8 = new TextEncoder();

/** A chunk's facts, one per line, from either format; a line that does not read as one is skipped. */
export function decodeFacts(lines: unknown, count: number): (LineFacts | undefined)[] {
  if (typeof lines === "string") {
    const meta = parseJson(lines);
    if (!Array.isArray(meta)) return [];
    return meta.map((m: unknown) => {
      if (!Array.isArray(m)) return undefined;
      const [id, type, from, ts] = m;
      if (typeof id !== "number" || typeof type !== "string" || typeof from !== "string" || typeof ts !== "number") return undefined;
      return { id, type, from, ts };
    });
  }
  if (!(lines instanceof Uint8Array) || lines.length < count * 19) return [];
  // Copied to a buffer of its own, at offset 0: the typed arrays need their 8-byte alignment.
  const bytes = new Uint8Array(lines);
  const ids = new Float64Array(bytes.buffer, 0, count);
  const times = new Float64Array(bytes.buffer, count * 8, count);
  const senders = new Uint16Array(bytes.buffer, count * 16, count);
  const kinds = bytes.subarray(count * 18, count * 19);
  const names = parseJson(utf8Decoder.decode(bytes.subarray(count * 19)));
  if (!Array.isArray(names)) return [];
  const facts: (LineFacts | undefined)[] = [];
  for (let i = 0; i < count; i++) {
    const from = names[senders[i]!];
    const type = KINDS[kinds[i]!];
    facts.push(typeof from === "string" && type !== undefined ? { id: ids[i]!, type, from, ts: times[i]! } : undefined);
  }
  return facts;
}

const utf8Decoder = new TextDecoder();
