// A hub member for unit tests: it records what it is given, each part as it was handed over, in
// the order of everything sent (parts handed over later with earlier sequence numbers are merged
// into place, as an outbox does).

import type { Mode } from "../../src/protocol/events.ts";
import type { Device, Member } from "../../src/core/room.ts";
import { Encoded } from "../../src/render/codec.ts";

/** A member with one connection, itself: what it is sent, and its current room, are on the one object. */
export type RecordingMember = Member & Device & { got: Uint8Array[]; text(): string; lines(): string[] };

export function member(name: string, mode: Mode = "text"): RecordingMember {
  const got: Uint8Array[] = [];
  const seqs: number[] = [];
  const put = (bytes: Uint8Array, seq: number | undefined) => {
    if (seqs.length > got.length) seqs.length = got.length; // the test emptied `got`
    const at = seq ?? seqs[seqs.length - 1] ?? 0; // no place given: now, after everything
    let i = seqs.length;
    while (i > 0 && seqs[i - 1]! > at) i--;
    got.splice(i, 0, bytes);
    seqs.splice(i, 0, at);
  };
  const text = () => got.map((b) => new TextDecoder().decode(b)).join("");
  const m: RecordingMember = {
    name,
    mode,
    got,
    devices: [],
    rooms: [],
    room: undefined,
    attachedSeq: 0,
    get lastHeldSeq() {
      return got.length === 0 ? 0 : seqs[Math.min(seqs.length, got.length) - 1]!;
    },
    deliver: (b, seq) => put(b, seq),
    deliverTurn: (parts, partSeqs) => parts.forEach((p, i) => put(p, partSeqs[i])),
    tell: (event) => put(new Encoded(event).bytes(mode), undefined),
    text,
    lines: () => text().split("\n").filter(Boolean),
  };
  (m.devices as Device[]).push(m);
  return m;
}
