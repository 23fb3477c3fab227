// IRCv3 draft/multiline, what a client sends: "BATCH +ref draft/multiline #room", its lines as
// PRIVMSGs (or NOTICEs) tagged batch=ref, a piece that continues the line before it tagged
// draft/multiline-concat, then "BATCH -ref": one message of several lines, said when it ends.
// Bounded as any message of several lines (--max-message-bytes, --max-message-lines).

import type { IrcMessage } from "../../protocol/irc.ts";
import type { ServerLimits } from "../../protocol/limits.ts";
import { foldName } from "../../protocol/names.ts";
import { sanitizeText } from "../../protocol/sanitize.ts";
import { CONCAT_TAG, fromIrcFormatting, MULTILINE_CAP } from "../../render/irc.ts";

/** A batch gathered whole: its message, as the door says it (a PRIVMSG with the batch's tags). */
export interface Gathered {
  /** PRIVMSG or NOTICE, to the batch's target, with the text; tagged as the batch's start was. */
  message: IrcMessage & { command: "PRIVMSG" | "NOTICE" };
  /** Where a piece continued the line before it (offsets in the text). */
  concat: number[];
}

interface Open {
  ref: string;
  target: string;
  start: IrcMessage;
  command?: "PRIVMSG" | "NOTICE";
  pieces: string[];
  joined: boolean[];
  lines: number;
  bytes: number;
}

const utf8 = new TextEncoder();

/** One connection's batch in progress: at most one at a time, bounded in bytes and lines. */
export class MultilineBatches {
  private open: Open | undefined;
  /** A batch refused on the way: its further lines and its end are dropped without a word more. */
  private refused: string | undefined;

  constructor(
    private readonly limits: Pick<ServerLimits, "maxMessageBytes" | "maxMessageLines">,
    /** FAIL BATCH <code> [<limit>] <why>, to the client. */
    private readonly fail: (code: string, why: string, limit?: number) => void,
  ) {}

  /** What the cap's value says: the bounds. */
  static capValue(limits: Pick<ServerLimits, "maxMessageBytes" | "maxMessageLines">): string {
    return `max-bytes=${limits.maxMessageBytes},max-lines=${limits.maxMessageLines}`;
  }

  /**
   * A line of the client's: undefined when it has nothing to do with a batch (handled as any
   * line); "taken" when it was part of one (or refused, with a FAIL); the message when a batch ended.
   */
  take(m: IrcMessage): Gathered | "taken" | undefined {
    const tag = m.tags?.get("batch");
    if (m.command === "BATCH") return this.batchCommand(m);
    if (tag === undefined) return undefined;
    if (tag === this.refused) return "taken";
    const open = this.open;
    if (!open || tag !== open.ref) return this.refuse("MULTILINE_INVALID", `There is no batch ${tag} open.`);
    if (m.command !== "PRIVMSG" && m.command !== "NOTICE") return this.refuse("MULTILINE_INVALID", "A multiline batch holds PRIVMSGs or NOTICEs only.");
    if ((open.command ?? m.command) !== m.command) return this.refuse("MULTILINE_INVALID", "A multiline batch holds one kind of message: PRIVMSGs or NOTICEs.");
    if (foldName(m.params[0] ?? "") !== foldName(open.target)) return this.refuse("MULTILINE_INVALID", `Every line of the batch goes to ${open.target}.`);
    open.command = m.command;
    const text = sanitizeText(fromIrcFormatting(m.params[1] ?? ""));
    const joined = m.tags?.has(CONCAT_TAG) === true;
    if (joined && text === "") return this.refuse("MULTILINE_INVALID", "A blank line can't continue the line before it.");
    if (!joined || open.pieces.length === 0) open.lines++;
    open.bytes += utf8.encode(text).length + (joined ? 0 : 1);
    if (open.lines > this.limits.maxMessageLines) {
      return this.refuse("MULTILINE_MAX_LINES", `A message is at most ${this.limits.maxMessageLines} lines here.`, this.limits.maxMessageLines);
    }
    if (open.bytes - 1 > this.limits.maxMessageBytes) {
      return this.refuse("MULTILINE_MAX_BYTES", `A message is at most ${this.limits.maxMessageBytes} bytes here.`, this.limits.maxMessageBytes);
    }
    open.pieces.push(text);
    open.joined.push(joined && open.pieces.length > 1);
    return "taken";
  }

  private batchCommand(m: IrcMessage): Gathered | "taken" {
    const ref = m.params[0] ?? "";
    if (ref.startsWith("+")) {
      if (this.open) this.refuse("MULTILINE_INVALID", `Batch ${this.open.ref} was still open; it was dropped.`);
      this.refused = undefined;
      const id = ref.slice(1);
      if (id === "" || m.params[1] !== MULTILINE_CAP || !m.params[2]) {
        this.refused = id;
        this.fail("MULTILINE_INVALID", `A batch from a client is "BATCH +<ref> ${MULTILINE_CAP} <target>".`);
        return "taken";
      }
      this.open = { ref: id, target: m.params[2], start: m, pieces: [], joined: [], lines: 0, bytes: 0 };
      return "taken";
    }
    const id = ref.slice(1);
    if (ref.startsWith("-") && id === this.refused) {
      this.refused = undefined;
      return "taken";
    }
    const open = this.open;
    if (!ref.startsWith("-") || !open || id !== open.ref) return this.refuse("MULTILINE_INVALID", `There is no batch ${id || ref} open.`);
    this.open = undefined;
    let text = "";
    const concat: number[] = [];
    open.pieces.forEach((piece, i) => {
      if (i > 0 && open.joined[i]) concat.push(text.length);
      else if (i > 0) text += "\n";
      text += piece;
    });
    const message = { command: open.command ?? "PRIVMSG", params: [open.target, text], ...(open.start.tags ? { tags: open.start.tags } : {}) } as const;
    return { message: { ...message, params: [...message.params] }, concat };
  }

  /** The batch in progress is refused (the client told why); what is left of it is dropped. */
  private refuse(code: string, why: string, limit?: number): "taken" {
    this.refused = this.open?.ref;
    this.open = undefined;
    this.fail(code, why, limit);
    return "taken";
  }
}
