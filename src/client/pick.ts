// Picking a line in the terminal client: Alt+Up and Alt+Down step through the current room's last
// lines (the picked one shows in the prompt), Esc lets go. With a line picked, what is typed acts
// on it: text answers it, /react, /reactions, /edit and /delete take it as their line.

import type { MessageId, ServerEvent } from "../protocol/events.ts";
import { excerpt, LINES_BACK } from "../protocol/messages.ts";
import { sanitizeText } from "../protocol/sanitize.ts";

/** A room line that can be picked: its id, who said it and its text as it is now. */
export interface Pickable {
  id: MessageId;
  from: string;
  text: string;
}

export class Picker {
  /** Each room's last lines, oldest first (at most LINES_BACK). */
  private readonly rooms = new Map<string, Pickable[]>();
  /** The picked line: its room and how far back it is (1: the last). */
  private picked: { room: string; back: number } | undefined;

  /** Follows the room lines that arrive, and their edits and deletes. */
  follow(event: ServerEvent): void {
    if (event.type === "public" || event.type === "action") {
      if (event.type === "public" && event.only) return; // for some of the room, never kept
      const lines = this.rooms.get(event.room) ?? [];
      lines.push({ id: event.id, from: sanitizeText(event.from), text: sanitizeText(event.text) });
      if (lines.length > LINES_BACK) lines.shift();
      this.rooms.set(event.room, lines);
      if (this.picked?.room === event.room) this.picked.back++; // the picked line stays picked
    } else if (event.type === "edit") {
      const line = this.rooms.get(event.room)?.find((l) => l.id === event.id);
      if (line) line.text = sanitizeText(event.text);
    } else if (event.type === "delete") {
      const lines = this.rooms.get(event.room);
      const at = lines?.findIndex((l) => l.id === event.id) ?? -1;
      if (!lines || at < 0) return;
      if (this.picked?.room === event.room) {
        const picked = lines.length - this.picked.back;
        if (at === picked) this.picked = undefined; // the picked line is gone
        else if (at > picked) this.picked.back--; // one newer than it went
      }
      lines.splice(at, 1);
    }
  }

  /** Alt+Up (`older`) or Alt+Down: the next line back or forward in `room`; past the newest, none. */
  step(room: string | undefined, older: boolean): Pickable | undefined {
    const lines = room === undefined ? [] : (this.rooms.get(room) ?? []);
    const back = (this.picked && this.picked.room === room ? this.picked.back : 0) + (older ? 1 : -1);
    this.picked = room !== undefined && back >= 1 && back <= lines.length ? { room, back } : undefined;
    return this.current();
  }

  /** The picked line, if any. */
  current(): Pickable | undefined {
    if (!this.picked) return undefined;
    const lines = this.rooms.get(this.picked.room) ?? [];
    return lines[lines.length - this.picked.back];
  }

  /** Esc, a room switched, the picked line acted on: nothing is picked. */
  release(): void {
    this.picked = undefined;
  }

  /** What the prompt shows of the picked line. */
  static promptOf(line: Pickable): string {
    return `↩ ${line.from}: ${excerpt(line.text, 24)} > `;
  }

  /**
   * What a typed line becomes when `line` is picked: text answers it; /react, /reactions, /edit and
   * /delete are about it; any other command goes as typed.
   */
  static rewrite(typed: string, line: Pickable): string {
    const id = String(line.id);
    if (!typed.startsWith("/") || typed.startsWith("//")) return `/answer ${id} ${typed.startsWith("//") ? typed.slice(1) : typed}`;
    const [, word = "", rest = ""] = /^\/(\S+)\s*(.*)$/s.exec(typed) ?? [];
    if (["react", "reactions", "edit", "delete", "del", "answer"].includes(word.toLowerCase())) return `/${word} ${id}${rest ? ` ${rest}` : ""}`;
    return typed;
  }
}
