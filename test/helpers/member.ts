// A hub member for unit tests: it records what it is given, each part as it was handed over.

import type { Mode } from "../../src/protocol/events.ts";
import type { Member } from "../../src/server/hub.ts";

export type RecordingMember = Member & { got: Uint8Array[]; text(): string; lines(): string[] };

export function member(name: string, mode: Mode = "text"): RecordingMember {
  const got: Uint8Array[] = [];
  const text = () => got.map((b) => new TextDecoder().decode(b)).join("");
  return {
    name,
    mode,
    got,
    joinedSeq: 0,
    lastHeldSeq: 0,
    deliver: (b) => void got.push(b),
    deliverTurn: (parts) => void got.push(...parts),
    text,
    lines: () => text().split("\n").filter(Boolean),
  };
}
