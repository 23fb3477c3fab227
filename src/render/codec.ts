// The wire encodings of a server event: plain text for people on nc/telnet (the sentences of
// text.ts), JSON lines for the bundled client and the page, and IRC (irc.ts) for what every member
// of a room is sent. Encoded bytes are shared by every recipient in that view.

import type { IrcView, ServerEvent, View } from "../protocol/events.ts";
import { ircShared } from "./irc.ts";
import { toText } from "./text.ts";

const utf8 = new TextEncoder();

/** Every view an event is encoded in. */
export const VIEWS: readonly View[] = ["text", "tagged", "json", "irc", "irc-time", "irc-tags", "irc-multiline"];

/**
 * Whether a view says a run of joins or leaves in one line ("Ana, Sam and 3 more joined"). IRC's
 * clients keep a channel's names from its JOINs and PARTs, so its views state each change.
 */
export function summarisesPresence(view: View): boolean {
  return !isIrc(view);
}

/** Whether a view is one of IRC's. */
export function isIrc(view: View): view is IrcView {
  return view === "irc" || view === "irc-time" || view === "irc-tags" || view === "irc-multiline";
}

/** The event as one line of the wire, newline included, before it is turned into bytes. */
export function wireLine(event: ServerEvent, view: View): string {
  if (view === "json") return `${JSON.stringify(event)}\n`;
  if (isIrc(view)) return ircShared(event, view);
  return `${toText(event, view === "tagged")}\n`;
}

export function encode(event: ServerEvent, view: View): Uint8Array {
  return utf8.encode(wireLine(event, view));
}

/**
 * An event with its encodings computed at most once each, however many recipients it has. Fields
 * rather than a table per view: one is made for every line said, and a table would be two more
 * objects each time.
 */
export class Encoded {
  private text?: Uint8Array;
  private tagged?: Uint8Array;
  private json?: Uint8Array;
  private textLine?: string;
  private taggedLine?: string;
  private jsonLine?: string;
  /** IRC's views (without tags, with server-time's, with every tag), rarer: one object for them when needed. */
  private irc?: { bytes: Partial<Record<IrcView, Uint8Array>>; lines: Partial<Record<IrcView, string>> };
  constructor(readonly event: ServerEvent) {}
  bytes(view: View): Uint8Array {
    if (view === "text") return (this.text ??= utf8.encode(this.line("text")));
    if (view === "json") return (this.json ??= utf8.encode(this.line("json")));
    if (view === "tagged") return (this.tagged ??= utf8.encode(this.line("tagged")));
    const irc = (this.irc ??= { bytes: {}, lines: {} });
    return (irc.bytes[view] ??= utf8.encode(this.line(view)));
  }
  /** The line as text: a turn of many events is joined as text and encoded once. */
  line(view: View): string {
    if (view === "text") return (this.textLine ??= wireLine(this.event, "text"));
    if (view === "json") return (this.jsonLine ??= wireLine(this.event, "json"));
    if (view === "tagged") return (this.taggedLine ??= wireLine(this.event, "tagged"));
    const irc = (this.irc ??= { bytes: {}, lines: {} });
    return (irc.lines[view] ??= wireLine(this.event, view));
  }
}
